"""POS终端: the terminal list (search, filters, sort, paging), a terminal's page with its last
heartbeat, adding a terminal, its enrolment code, disable / enable.

Enrolment and key rotation are one thing: a new one-time code (the server's enrolment use case,
:func:`~gridpos.application.terminals.enrolment.record_enrolment_code`, the same one
``gridpos terminals enrol-code`` uses). The terminal's current key keeps working until the
terminal enrols with the new code, so collection is not interrupted by a rotation; from that
enrolment on only the new key is accepted (its key version is checked with every request's
counter, in every server process). A terminal whose key may be in the wrong hands is disabled
(refused at once); a disabled terminal gets no code, so bringing it back means enabling it and
making a code at once — its old key works again only until it enrols with that code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.agent_admin import AgentAdmin
from gridpos.adapters.db.console.terminal_admin import (
    TerminalAdmin,
    TerminalFilter,
    TerminalRow,
    TerminalSort,
)
from gridpos.adapters.db.tables.terminals import TERMINAL_STATES
from gridpos.application.console.access import Actor, Permission, Role, require
from gridpos.application.console.admin_forms import agent_unknown, list_root, org_unknown
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    Done,
    InvalidFormError,
    NotFoundError,
    field_error,
)
from gridpos.application.console.paging import Paged, offset_of
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.enrolment import DEFAULT_CODE_VALIDITY, record_enrolment_code
from gridpos.domain.audit import AuditAction

TERMINAL_NO_DIGITS = 8
TERMINAL_LEVELS = ("station", "collection_point")
SILENT_AFTER = timedelta(minutes=30)
CODE_HOURS = (1, 168)


@dataclass(frozen=True, slots=True)
class TerminalQuery:
    """How a terminal list is asked for (every part optional; bad values are ignored)."""

    search: str | None = None
    org_code: str | None = None
    state: str | None = None
    silent: bool = False
    sort: str | None = None
    descending: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class TerminalDetail:
    """A terminal and what the actor may do with it."""

    terminal: TerminalRow
    may_manage: bool
    silent: bool


@dataclass(frozen=True, slots=True)
class EnrolmentCode:
    """A one-time enrolment code made for a terminal: ``code`` is shown this once (None when
    the form was a repeat: the code was shown to the first submission only)."""

    terminal_id: int
    terminal_no: str
    code: str | None
    expires_at: datetime | None
    rotation: bool  # the terminal already holds a key, which works until it enrols again

    @property
    def repeated(self) -> bool:
        return self.code is None


def terminal_list(
    services: ConsoleServices, actor: Actor, query: TerminalQuery
) -> Paged[TerminalRow]:
    """One page of the terminals of the actor's subtree (or under the node ``org_code``); an
    agent operator sees only their agent's terminals. ``silent`` keeps those not heard from
    for :data:`SILENT_AFTER` (or never).

    Raises :class:`AccessDeniedError` without ``terminals.view``, :class:`InvalidFormError`
    (field ``org_code``) for a node unknown or outside the subtree.
    """
    require(actor, Permission.TERMINALS_VIEW)
    per_page = services.policy.page_size
    now = services.clock.now()
    with services.reading() as uow:
        root_path = list_root(uow.connection, actor, query.org_code)
        sort = TerminalSort(query.sort) if query.sort in set(TerminalSort) else TerminalSort.NUMBER
        rows, total = TerminalAdmin(uow.connection).page(
            TerminalFilter(
                root_path=root_path,
                search=(query.search or "").strip()[:32] or None,
                state=query.state if query.state in TERMINAL_STATES else None,
                agent_id=_own_agent(actor),
                silent_since=now - SILENT_AFTER if query.silent else None,
            ),
            sort=sort,
            descending=query.descending,
            offset=offset_of(query.page, per_page),
            limit=per_page,
        )
    return Paged(items=rows, total=total, page=max(query.page, 1), per_page=per_page)


def _own_agent(actor: Actor) -> int | None:
    if actor.role is not Role.AGENT:
        return None
    if actor.own_agent_id is None:
        raise AccessDeniedError()
    return actor.own_agent_id


def _visible(admin: TerminalAdmin, actor: Actor, terminal_id: int) -> TerminalRow:
    terminal = admin.by_id(terminal_id)
    if terminal is None:
        raise NotFoundError(
            code="terminal_unknown",
            field="terminal_id",
            message_zh=f"终端 {terminal_id} 不存在",
            message_en=f"there is no terminal {terminal_id}",
        )
    own = _own_agent(actor)
    if not actor.covers(terminal.org_path) or (own is not None and terminal.agent_id != own):
        raise AccessDeniedError()
    return terminal


def terminal_detail(services: ConsoleServices, actor: Actor, terminal_id: int) -> TerminalDetail:
    """The terminal ``terminal_id`` with its last heartbeat.

    Raises :class:`AccessDeniedError` without ``terminals.view``, outside the subtree or (an
    agent operator) another agent's; :class:`NotFoundError`.
    """
    require(actor, Permission.TERMINALS_VIEW)
    now = services.clock.now()
    with services.reading() as uow:
        terminal = _visible(TerminalAdmin(uow.connection), actor, terminal_id)
    seen = terminal.last_seen_at
    return TerminalDetail(
        terminal=terminal,
        may_manage=actor.can(Permission.TERMINALS_MANAGE),
        # only a terminal in use can fall silent: one issued and not yet enrolled, or
        # disabled, is not expected to call
        silent=terminal.state == "active" and (seen is None or seen < now - SILENT_AFTER),
    )


def create_terminal(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    terminal_no: str,
    org_code: str,
    agent_code: str = "",
) -> Done:
    """Issue terminal ``terminal_no`` (8 digits) at the station or collection point
    ``org_code`` of the actor's subtree, collecting for the agent ``agent_code`` (optional;
    the agent who signs in on it is recorded at each sign-in). It enrols with a code made on
    its page.

    Raises :class:`AccessDeniedError` without ``terminals.manage``; :class:`InvalidFormError`
    naming each wrong field: number malformed or taken (``terminal_no_taken``); node unknown,
    outside the subtree, disabled or of another level; agent unknown, outside the subtree or
    disabled.
    """
    require(actor, Permission.TERMINALS_MANAGE)
    check = FieldChecks()
    number = check.required(terminal_no, field="terminal_no", label_zh="终端号", label_en="number")
    if number and not (number.isascii() and number.isdigit() and len(number) == TERMINAL_NO_DIGITS):
        check.add(
            field_error(
                "terminal_no_malformed",
                field="terminal_no",
                message_zh=f"终端号须为 {TERMINAL_NO_DIGITS} 位数字",
                message_en=f"the terminal number is {TERMINAL_NO_DIGITS} digits",
            )
        )
    org_code = check.code(org_code, field="org_code", label_zh="所属代收点", label_en="node")
    agent_code = (agent_code or "").strip()
    check.done()
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="terminal.create", now=now
        )
        if earlier is not None:
            return earlier
        node = OrganisationAdmin(uow.connection).by_code(org_code)
        if node is None or not actor.covers(node.path):
            check.add(org_unknown(org_code))
        elif node.disabled or node.level not in TERMINAL_LEVELS:
            check.add(
                field_error(
                    "terminal_place_invalid",
                    field="org_code",
                    message_zh="终端只能设在启用中的供电所或代收点",
                    message_en="a terminal stands at an enabled supply station or collection point",
                )
            )
        agent_id: int | None = None
        if agent_code:
            agent = AgentAdmin(uow.connection).by_code(agent_code)
            if agent is None or not actor.covers(agent.org_path):
                check.add(agent_unknown(agent_code))
            elif agent.disabled:
                check.add(
                    field_error(
                        "agent_disabled",
                        field="agent_code",
                        message_zh=f"代理商 {agent_code} 已停用",
                        message_en=f"the agent {agent_code} is disabled",
                    )
                )
            else:
                agent_id = agent.id
        if TerminalAdmin(uow.connection).number_taken(number):
            check.add(
                field_error(
                    "terminal_no_taken",
                    field="terminal_no",
                    message_zh=f"终端号 {number} 已被使用",
                    message_en=f"the terminal number {number} is already in use",
                )
            )
        check.done()
        assert node is not None  # noqa: S101 - every way to None added a refusal above
        terminal_id = uow.terminals.add(terminal_no=number, org_id=node.id, agent_id=agent_id)
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=AuditAction.TERMINAL_ADD,
            subject=f"terminal:{number}",
            details={"org": org_code, "agent": agent_code or None},
        )
        done = settle_form(uow, form_token=form_token, subject=f"terminal:{terminal_id}")
        uow.commit()
    return done


def issue_terminal_code(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    terminal_id: int,
    code: str,
    hours: str = "",
) -> EnrolmentCode:
    """Give the terminal a new one-time enrolment ``code`` (12 digits, drawn by the caller),
    valid for ``hours`` (1–168, default 24): its first enrolment, or a key rotation for a
    terminal that already holds a key (the old key works until it enrols with this code).
    Only the code's hash is stored; any earlier code not yet used stops working.

    Raises :class:`AccessDeniedError` without ``terminals.manage`` or outside the subtree,
    :class:`NotFoundError`, :class:`InvalidFormError` for hours out of range (field
    ``hours``) or a disabled terminal (field ``enrol``, ``terminal_disabled``).
    """
    require(actor, Permission.TERMINALS_MANAGE)
    valid_for = DEFAULT_CODE_VALIDITY
    text = (hours or "").strip()
    if text:
        low, high = CODE_HOURS
        if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
            raise InvalidFormError(
                [
                    field_error(
                        "hours_invalid",
                        field="hours",
                        message_zh=f"有效时长须为 {low}–{high} 小时",
                        message_en=f"the code is valid for {low} to {high} hours",
                    )
                ]
            )
        valid_for = timedelta(hours=int(text))
    now = services.clock.now()
    with services.writing() as uow:
        admin = TerminalAdmin(uow.connection)
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="terminal.enrolment_code", now=now
        )
        terminal = _visible(admin, actor, terminal_id)
        if earlier is not None:
            return EnrolmentCode(
                terminal_id=terminal.id,
                terminal_no=terminal.terminal_no,
                code=None,
                expires_at=terminal.enrolment_expires_at,
                rotation=terminal.enrolled,
            )
        try:
            expires_at = record_enrolment_code(
                uow,
                terminal_no=terminal.terminal_no,
                code=code,
                actor=actor.audit_name,
                now=now,
                valid_for=valid_for,
            )
        except RefusalError as refused:
            raise InvalidFormError(
                [
                    field_error(
                        refused.code,
                        field="enrol",
                        message_zh=refused.message_zh,
                        message_en=refused.message_en,
                    )
                ]
            ) from refused
        settle_form(uow, form_token=form_token, subject=f"terminal:{terminal.id}")
        uow.commit()
    return EnrolmentCode(
        terminal_id=terminal.id,
        terminal_no=terminal.terminal_no,
        code=code,
        expires_at=expires_at,
        rotation=terminal.enrolled,
    )


def set_terminal_disabled(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    terminal_id: int,
    disabled: bool,
) -> Done:
    """Disable a terminal (its next request is refused, in every server process: the state is
    checked with each request's counter) or enable it again (active if it holds a key, else
    issued).

    Raises :class:`AccessDeniedError` without ``terminals.manage`` or outside the subtree,
    :class:`NotFoundError`.
    """
    require(actor, Permission.TERMINALS_MANAGE)
    now = services.clock.now()
    action = AuditAction.TERMINAL_DISABLE if disabled else AuditAction.TERMINAL_ENABLE
    with services.writing() as uow:
        earlier = claim_form(uow, form_token=form_token, actor=actor, action=action, now=now)
        if earlier is not None:
            return earlier
        terminal = _visible(TerminalAdmin(uow.connection), actor, terminal_id)
        state = "disabled" if disabled else ("active" if terminal.enrolled else "issued")
        uow.terminals.set_state(terminal.id, state)
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=action,
            subject=f"terminal:{terminal.terminal_no}",
            details={"from": terminal.state, "to": state},
        )
        done = settle_form(uow, form_token=form_token, subject=f"terminal:{terminal.id}")
        uow.commit()
    return done
