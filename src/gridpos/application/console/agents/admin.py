"""代理商: the agent list (search, filters, sort, paging), an agent's page, and the admin of agents
with their agent operator account (create, edit, disable / enable).

An agent operator sees only their own agent; everyone else sees the agents of their subtree.
Agents are managed (``agents.manage``: company admin, station head) only within the subtree, at a
supply station or a collection point that is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridpos.adapters.db.console import ConsoleSessionStore, OperatorAdmin
from gridpos.adapters.db.console.agent_admin import (
    AgentAdmin,
    AgentFilter,
    AgentOperatorRow,
    AgentRow,
    AgentSort,
    AgentTerminalRow,
    TopupRow,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor, Permission, Role, require
from gridpos.application.console.admin_forms import (
    Acted,
    account_taken,
    act_once,
    enabled_node,
    list_root,
)
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    Done,
    NotFoundError,
    field_error,
)
from gridpos.application.console.paging import Paged, offset_of
from gridpos.domain.audit import AuditAction
from gridpos.domain.money import MoneyError, parse_yuan

AGENT_STATUSES = ("enabled", "disabled")
AGENT_LEVELS = ("station", "collection_point")
MAX_ALERT_FEN = 100_000_000  # 1,000,000.00 yuan: a float alert above any float there is
PHONE_MAX = 32
DETAIL_TERMINALS = 50
DETAIL_TOPUPS = 20


@dataclass(frozen=True, slots=True)
class AgentQuery:
    """How an agent list is asked for (every part optional; bad values are ignored)."""

    search: str | None = None
    org_code: str | None = None
    status: str | None = None
    float_low: bool = False
    pending_topup: bool = False
    sort: str | None = None
    descending: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class AgentList:
    """A page of agents and how many top-up requests wait for each (agents with any)."""

    agents: Paged[AgentRow]
    pending_topups: dict[int, int]


@dataclass(frozen=True, slots=True)
class AgentDetail:
    """An agent's page: the agent, their operator accounts, terminals and top-up requests, and
    what the actor may do there."""

    agent: AgentRow
    operators: list[AgentOperatorRow]
    terminals: list[AgentTerminalRow]
    topups: list[TopupRow]
    may_manage: bool
    may_request_topup: bool
    may_decide_topup: bool


def agent_list(services: ConsoleServices, actor: Actor, query: AgentQuery) -> AgentList:
    """One page of the agents of the actor's subtree (or under the node ``org_code`` of it); an
    agent operator's list holds their own agent only.

    Raises :class:`AccessDeniedError` without ``agents.view``, and :class:`InvalidFormError`
    (field ``org_code``) for a node unknown or outside the subtree.
    """
    require(actor, Permission.AGENTS_VIEW)
    per_page = services.policy.page_size
    with services.reading() as uow:
        root_path = list_root(uow.connection, actor, query.org_code)
        sort = AgentSort(query.sort) if query.sort in set(AgentSort) else AgentSort.CODE
        admin = AgentAdmin(uow.connection)
        rows, total = admin.page(
            AgentFilter(
                root_path=root_path,
                search=(query.search or "").strip()[:50] or None,
                disabled={"enabled": False, "disabled": True}.get(query.status or ""),
                float_low=query.float_low,
                pending_topup=query.pending_topup,
                agent_id=_own_only(actor),
            ),
            sort=sort,
            descending=query.descending,
            offset=offset_of(query.page, per_page),
            limit=per_page,
        )
        pending = admin.pending_topups([row.id for row in rows])
    return AgentList(
        agents=Paged(items=rows, total=total, page=max(query.page, 1), per_page=per_page),
        pending_topups=pending,
    )


def _own_only(actor: Actor) -> int | None:
    """The agent an agent operator is limited to; refuses an agent operator without one."""
    if actor.role is not Role.AGENT:
        return None
    if actor.own_agent_id is None:
        raise AccessDeniedError()
    return actor.own_agent_id


def visible_agent(admin: AgentAdmin, actor: Actor, agent_id: int) -> AgentRow:
    """The agent ``agent_id`` if the actor may see it.

    Raises :class:`NotFoundError`, and :class:`AccessDeniedError` for an agent outside the
    subtree or, for an agent operator, any agent but their own.
    """
    agent = admin.by_id(agent_id)
    if agent is None:
        raise agent_not_found(agent_id)
    own = _own_only(actor)
    if not actor.covers(agent.org_path) or (own is not None and own != agent.id):
        raise AccessDeniedError()
    return agent


def agent_detail(services: ConsoleServices, actor: Actor, agent_id: int) -> AgentDetail:
    """The agent ``agent_id`` with their operators, terminals and recent top-up requests.

    Raises :class:`AccessDeniedError` without ``agents.view`` or outside the actor's reach,
    :class:`NotFoundError` for an unknown agent.
    """
    require(actor, Permission.AGENTS_VIEW)
    with services.reading() as uow:
        admin = AgentAdmin(uow.connection)
        agent = visible_agent(admin, actor, agent_id)
        operators = admin.operators_of(agent.id)
        terminals = admin.terminals_of(agent.id, limit=DETAIL_TERMINALS)
        topups = admin.topups_of(agent.id, limit=DETAIL_TOPUPS)
    return AgentDetail(
        agent=agent,
        operators=operators,
        terminals=terminals,
        topups=topups,
        may_manage=actor.can(Permission.AGENTS_MANAGE),
        may_request_topup=actor.can(Permission.TOPUPS_REQUEST),
        may_decide_topup=actor.can(Permission.TOPUPS_APPROVE),
    )


def _alert_level(check: FieldChecks, text: str) -> int:
    if not (text or "").strip():
        return 0
    try:
        return parse_yuan(text, field="low_float_alert", ceiling_fen=MAX_ALERT_FEN, allow_zero=True)
    except MoneyError as refused:
        check.add(refused)
        return 0


def _phone(check: FieldChecks, text: str) -> str | None:
    phone = (text or "").strip()
    if len(phone) > PHONE_MAX or any(not (c.isdigit() or c in "+- ") for c in phone):
        check.add(
            field_error(
                "phone_malformed",
                field="phone",
                message_zh=f"电话只能由数字、空格、+ 和 - 组成，最多 {PHONE_MAX} 位",
                message_en=f"the phone may hold only digits, spaces, + and -, at most {PHONE_MAX}",
            )
        )
    return phone or None


def create_agent(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    org_code: str,
    code: str,
    name: str,
    phone: str = "",
    low_float_alert: str = "",
    account: str,
    operator_name: str,
    password: str,
) -> Done:
    """Add an agent at the station or collection point ``org_code`` of the actor's subtree,
    with the agent operator account collectors sign in with on the terminal (``account`` at
    the same node, ``operator_name``, ``password``). Both or neither are written.

    Raises :class:`AccessDeniedError` without ``agents.manage``; :class:`InvalidFormError`
    naming each wrong field: node unknown, outside the subtree, disabled or of another level;
    code malformed or taken (``agent_code_taken``); name; phone; alert level; account
    malformed or taken at the node; operator name; weak password.
    """
    require(actor, Permission.AGENTS_MANAGE)
    check = FieldChecks()
    org_code = check.code(org_code, field="org_code", label_zh="所属机构", label_en="node")
    code = check.code(code, field="code", label_zh="代理商编码", label_en="agent code")
    name = check.name(name, field="name", label_zh="代理商名称", label_en="name")
    phone_value = _phone(check, phone)
    alert = _alert_level(check, low_float_alert)
    account = check.account(account)
    operator_name = check.name(
        operator_name, field="operator_name", label_zh="收费员姓名", label_en="collector's name"
    )
    password = check.new_password(password)
    check.done()
    password_hash = services.passwords.hash(password)  # slow: before the write lock

    def create(uow: SqlUnitOfWork, now: datetime) -> Acted:
        node = enabled_node(uow.connection, actor, org_code, check)
        if node is not None and node.level not in AGENT_LEVELS:
            check.add(
                field_error(
                    "agent_level_invalid",
                    field="org_code",
                    message_zh="代理商只能设在供电所或代收点",
                    message_en="an agent belongs to a supply station or a collection point",
                )
            )
        admin = AgentAdmin(uow.connection)
        if admin.by_code(code) is not None:
            check.add(
                field_error(
                    "agent_code_taken",
                    field="code",
                    message_zh=f"代理商编码 {code} 已被使用",
                    message_en=f"the agent code {code} is already in use",
                )
            )
        operators = OperatorAdmin(uow.connection)
        if node is not None and operators.account_taken(org_id=node.id, account=account):
            check.add(account_taken(account))
        check.done()
        assert node is not None  # noqa: S101 - every way to None added a refusal above
        agent_id = admin.add(
            org_id=node.id, code=code, name=name, phone=phone_value, low_float_alert=alert
        )
        operator_id = operators.add(
            org_id=node.id,
            account=account,
            name=operator_name,
            role=Role.AGENT.value,
            password_hash=password_hash,
            agent_id=agent_id,
        )
        return Acted(
            f"agent:{agent_id}",
            {"code": code, "name": name, "org": org_code, "operator_id": operator_id},
        )

    return act_once(
        services, actor, form_token=form_token, action=AuditAction.AGENT_CREATE, act=create
    )


def edit_agent(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    agent_id: int,
    name: str,
    phone: str = "",
    low_float_alert: str = "",
) -> Done:
    """Change an agent's name, phone and float alert level (yuan; the float is shown as low
    below it).

    Raises :class:`AccessDeniedError` without ``agents.manage`` or outside the subtree,
    :class:`NotFoundError`, :class:`InvalidFormError` for a bad name, phone or alert level.
    """
    require(actor, Permission.AGENTS_MANAGE)
    check = FieldChecks()
    name = check.name(name, field="name", label_zh="代理商名称", label_en="name")
    phone_value = _phone(check, phone)
    alert = _alert_level(check, low_float_alert)
    check.done()

    def edit(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = AgentAdmin(uow.connection)
        agent = visible_agent(admin, actor, agent_id)
        admin.edit(agent.id, name=name, phone=phone_value, low_float_alert=alert)
        return Acted(
            f"agent:{agent.id}", {"name": name, "phone": phone_value, "low_float_alert": alert}
        )

    return act_once(services, actor, form_token=form_token, action=AuditAction.AGENT_EDIT, act=edit)


def set_agent_disabled(
    services: ConsoleServices, actor: Actor, *, form_token: str, agent_id: int, disabled: bool
) -> Done:
    """Disable an agent — no more collection for them; their operator accounts are disabled
    too and their sessions end — or enable the agent again (their operator accounts are
    enabled one by one on the operators page).

    Raises :class:`AccessDeniedError` without ``agents.manage`` or outside the subtree,
    :class:`NotFoundError`.
    """
    require(actor, Permission.AGENTS_MANAGE)
    action = AuditAction.AGENT_DISABLE if disabled else AuditAction.AGENT_ENABLE

    def switch(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = AgentAdmin(uow.connection)
        agent = visible_agent(admin, actor, agent_id)
        admin.set_disabled(agent.id, disabled=disabled)
        ended: list[int] = []
        if disabled:
            ended = admin.disable_operators(agent.id)
            sessions = ConsoleSessionStore(uow.connection)
            for operator_id in ended:
                sessions.revoke_all(operator_id, now=now)
        return Acted(f"agent:{agent.id}", {"code": agent.code, "operators_disabled": ended})

    return act_once(services, actor, form_token=form_token, action=action, act=switch)


def agent_not_found(agent_id: int) -> NotFoundError:
    return NotFoundError(
        code="agent_unknown",
        field="agent_id",
        message_zh=f"代理商 {agent_id} 不存在",
        message_en=f"there is no agent {agent_id}",
    )
