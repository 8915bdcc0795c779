"""终端流水调阅: the company asks a terminal for its journal over a range of business dates.

The request is kept pending; the terminal learns of it on its next heartbeat or sign-in and
uploads its journal's payments of the range (:mod:`.journal_upload`), which reconciliation then
reads as the terminal's side. Asking is part of reconciliation: it needs ``reconciliation.resolve``
and a terminal of the operator's subtree (an agent operator has no such permission). The range
runs forwards and covers at most :data:`~gridpos.protocol.terminal.session.MAX_JOURNAL_DAYS`
business dates. Every request is audited as ``terminal.journal_requested``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gridpos.adapters.db.console.terminal_admin import TerminalAdmin
from gridpos.adapters.db.journal_requests import JournalRequestRecord, JournalRequestStore
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    Done,
    InvalidFormError,
    NotFoundError,
)
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.application.context import Services
from gridpos.domain.audit import AuditAction
from gridpos.domain.errors import DomainError
from gridpos.protocol.terminal.session import MAX_JOURNAL_DAYS

SHOWN_REQUESTS = 10


class JournalRequestError(DomainError):
    """A journal request that cannot be made: the field and the reason."""

    code = "journal_request_invalid"


@dataclass(frozen=True, slots=True)
class JournalRequestView:
    """A request as the terminal's page shows it."""

    id: int
    date_from: date
    date_to: date
    state: str  # pending, fulfilled, damaged
    requested_by: str
    requested_at: datetime
    fulfilled_at: datetime | None
    rows_kept: int | None
    rows_unplaced: int | None

    @classmethod
    def of(cls, record: JournalRequestRecord) -> JournalRequestView:
        return cls(
            id=record.id,
            date_from=record.date_from,
            date_to=record.date_to,
            state=record.state,
            requested_by=record.requested_by,
            requested_at=record.requested_at,
            fulfilled_at=record.fulfilled_at,
            rows_kept=record.rows_kept,
            rows_unplaced=record.rows_unplaced,
        )


def _date(text: str, *, field: str, label_zh: str, label_en: str) -> date:
    value = (text or "").strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise JournalRequestError(
            code="date_invalid",
            field=field,
            message_zh=f"{label_zh}应为 YYYY-MM-DD 格式的日期",
            message_en=f"the {label_en} is a date written YYYY-MM-DD",
        ) from None


def journal_range(date_from: str, date_to: str) -> tuple[date, date]:
    """The business dates of a request, read from text.

    Raises :class:`JournalRequestError`: ``date_invalid`` (field ``date_from`` or ``date_to``),
    ``date_range_reversed`` and ``date_range_too_long`` (field ``date_to``).
    """
    first = _date(date_from, field="date_from", label_zh="开始日期", label_en="first date")
    last = _date(date_to, field="date_to", label_zh="结束日期", label_en="last date")
    check_journal_range(first, last)
    return first, last


def check_journal_range(date_from: date, date_to: date) -> None:
    """Raises :class:`JournalRequestError` ``date_range_reversed`` or ``date_range_too_long``
    (field ``date_to``)."""
    if date_to < date_from:
        raise JournalRequestError(
            code="date_range_reversed",
            field="date_to",
            message_zh="结束日期早于开始日期",
            message_en="the range ends before it starts",
        )
    if (date_to - date_from).days + 1 > MAX_JOURNAL_DAYS:
        raise JournalRequestError(
            code="date_range_too_long",
            field="date_to",
            message_zh=f"调阅流水的日期范围最多 {MAX_JOURNAL_DAYS} 天",
            message_en=f"a journal is asked for at most {MAX_JOURNAL_DAYS} days at a time",
        )


def _ask(
    uow: SqlUnitOfWork,
    *,
    terminal_id: int,
    terminal_no: str,
    date_from: date,
    date_to: date,
    actor: str,
    now: datetime,
) -> int:
    request_id = JournalRequestStore(uow.connection).add(
        terminal_id=terminal_id,
        date_from=date_from,
        date_to=date_to,
        requested_by=actor,
        now=now,
    )
    uow.audit.append(
        occurred_at=now,
        actor=actor,
        action=AuditAction.TERMINAL_JOURNAL_REQUESTED,
        subject=f"terminal:{terminal_no}",
        details={
            "request": request_id,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
        },
    )
    return request_id


def _terminal_unknown(what: object) -> NotFoundError:
    return NotFoundError(
        code="terminal_unknown",
        field="terminal_id",
        message_zh=f"终端 {what} 不存在",
        message_en=f"there is no terminal {what}",
    )


def _visible_terminal(uow: SqlUnitOfWork, actor: Actor, terminal_id: int) -> tuple[int, str]:
    terminal = TerminalAdmin(uow.connection).by_id(terminal_id)
    if terminal is None:
        raise _terminal_unknown(terminal_id)
    own = actor.own_agent_id
    if not actor.covers(terminal.org_path) or (own is not None and terminal.agent_id != own):
        raise AccessDeniedError()
    return terminal.id, terminal.terminal_no


def request_journal(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    terminal_id: int,
    date_from: str,
    date_to: str,
) -> Done:
    """Ask terminal ``terminal_id`` for its journal of ``date_from`` … ``date_to`` (YYYY-MM-DD).

    Raises :class:`AccessDeniedError` without ``reconciliation.resolve`` or for a terminal
    outside the actor's subtree, :class:`NotFoundError` (``terminal_unknown``),
    :class:`InvalidFormError` naming the date field (see :func:`journal_range`).
    """
    require(actor, Permission.RECONCILIATION_RESOLVE)
    try:
        first, last = journal_range(date_from, date_to)
    except JournalRequestError as refused:
        raise InvalidFormError([refused]) from refused
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="terminal.journal_request", now=now
        )
        found_id, terminal_no = _visible_terminal(uow, actor, terminal_id)
        if earlier is not None:
            return earlier
        _ask(
            uow,
            terminal_id=found_id,
            terminal_no=terminal_no,
            date_from=first,
            date_to=last,
            actor=actor.audit_name,
            now=now,
        )
        done = settle_form(uow, form_token=form_token, subject=f"terminal:{found_id}")
        uow.commit()
    return done


def journal_requests_of(
    services: ConsoleServices, actor: Actor, terminal_id: int
) -> tuple[JournalRequestView, ...]:
    """The terminal's latest requests, newest first (empty for an actor who may not see them).

    Raises :class:`AccessDeniedError` for a terminal outside the actor's subtree,
    :class:`NotFoundError`.
    """
    if not actor.can(Permission.RECONCILIATION_VIEW):
        return ()
    with services.reading() as uow:
        found_id, _number = _visible_terminal(uow, actor, terminal_id)
        records = JournalRequestStore(uow.connection).of_terminal(found_id, limit=SHOWN_REQUESTS)
    return tuple(JournalRequestView.of(record) for record in records)


def request_journal_by_number(
    services: Services, *, terminal_no: str, date_from: date, date_to: date, actor: str
) -> int:
    """Ask terminal ``terminal_no`` for its journal (the command line); the request's id.

    Raises :class:`JournalRequestError`: ``terminal_unknown`` (field ``terminal_no``), and those
    of :func:`check_journal_range`.
    """
    check_journal_range(date_from, date_to)
    now = services.clock.now()
    with services.writing() as uow:
        terminal = uow.terminals.by_number(terminal_no.strip())
        if terminal is None:
            raise JournalRequestError(
                code="terminal_unknown",
                field="terminal_no",
                message_zh=f"终端 {terminal_no} 不存在",
                message_en=f"there is no terminal {terminal_no}",
            )
        request_id = _ask(
            uow,
            terminal_id=terminal.id,
            terminal_no=terminal.terminal_no,
            date_from=date_from,
            date_to=date_to,
            actor=actor,
            now=now,
        )
        uow.commit()
    return request_id
