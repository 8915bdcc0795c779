"""Operators and roles: the list (search, filters, paging, sort), create, change role,
disable / enable, and a new password.

An actor manages only operators of their subtree holding a role they may give
(:attr:`Actor.grantable_roles`: an admin any, a station head their staff and agents), and never
themselves. Disabling an operator or giving them a new password ends their sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridpos.adapters.db.console import (
    ConsoleSessionStore,
    OperatorAdmin,
    OperatorFilter,
    OperatorRow,
    OperatorSort,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor, Permission, Role, require
from gridpos.application.console.admin_forms import (
    Acted,
    account_taken,
    act_once,
    agent_unknown,
    enabled_node,
    list_root,
)
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    Done,
    InvalidFormError,
    NotFoundError,
)
from gridpos.application.console.paging import Paged, offset_of
from gridpos.domain.audit import AuditAction

ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "company admin"),
    Role.FINANCE: ("电费账务", "finance"),
    Role.STATION_HEAD: ("所长", "station head"),
    Role.STATION_STAFF: ("供电所员工", "station staff"),
    Role.AUDITOR: ("稽查", "auditor"),
    Role.AGENT: ("代理商", "agent"),
}
OPERATOR_STATUSES = ("active", "disabled", "locked")


@dataclass(frozen=True, slots=True)
class OperatorQuery:
    """How an operator list is asked for (every part optional; bad values are ignored)."""

    search: str | None = None
    role: str | None = None
    org_code: str | None = None
    status: str | None = None
    sort: str | None = None
    descending: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class OperatorList:
    """A page of operators; ``manageable`` holds the ids the actor may change."""

    operators: Paged[OperatorRow]
    manageable: frozenset[int]


def operator_list(services: ConsoleServices, actor: Actor, query: OperatorQuery) -> OperatorList:
    """One page of the operators of the actor's subtree (or of the node ``org_code`` within it).

    Raises :class:`AccessDeniedError` without ``operators.view``, and
    :class:`InvalidFormError` (field ``org_code``) for a node unknown or outside the subtree.
    """
    require(actor, Permission.OPERATORS_VIEW)
    per_page = services.policy.page_size
    now = services.clock.now()
    with services.reading() as uow:
        root_path = list_root(uow.connection, actor, query.org_code)
        sort = OperatorSort(query.sort) if query.sort in set(OperatorSort) else OperatorSort.ACCOUNT
        rows, total = OperatorAdmin(uow.connection).page(
            OperatorFilter(
                root_path=root_path,
                search=(query.search or "").strip() or None,
                role=query.role if query.role in set(Role) else None,
                status=query.status if query.status in OPERATOR_STATUSES else None,
                now=now,
            ),
            sort=sort,
            descending=query.descending,
            offset=offset_of(query.page, per_page),
            limit=per_page,
        )
    manageable = frozenset(row.id for row in rows if _may_manage(actor, row))
    return OperatorList(
        operators=Paged(items=rows, total=total, page=max(query.page, 1), per_page=per_page),
        manageable=manageable,
    )


def operator_detail(services: ConsoleServices, actor: Actor, operator_id: int) -> OperatorRow:
    """The operator ``operator_id``.

    Raises :class:`NotFoundError`, and :class:`AccessDeniedError` without ``operators.view`` or
    for an operator outside the actor's subtree.
    """
    require(actor, Permission.OPERATORS_VIEW)
    with services.reading() as uow:
        row = OperatorAdmin(uow.connection).by_id(operator_id)
    if row is None:
        raise _operator_unknown(operator_id)
    if not actor.covers(row.org_path):
        raise AccessDeniedError()
    return row


def may_manage(actor: Actor, operator: OperatorRow) -> bool:
    """Whether the actor may change ``operator`` (role, status, password)."""
    return _may_manage(actor, operator)


def _may_manage(actor: Actor, operator: OperatorRow) -> bool:
    return (
        operator.id != actor.operator_id
        and actor.covers(operator.org_path)
        and Role(operator.role) in actor.grantable_roles
    )


def create_operator(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    org_code: str,
    account: str,
    name: str,
    role: str,
    password: str,
    agent_code: str = "",
) -> Done:
    """Add an operator at the node ``org_code`` of the actor's subtree. An agent operator acts
    for the agent ``agent_code`` (of the subtree) and is placed at that agent's node.

    Raises :class:`AccessDeniedError` without ``operators.manage``; :class:`InvalidFormError`
    naming each wrong field: node unknown, outside the subtree or disabled; account malformed or
    taken at that node (``operator_account_taken``); name; a role the actor may not give; a weak
    password; an agent missing, unknown or outside the subtree. Nothing is written then.
    """
    require(actor, Permission.OPERATORS_MANAGE)
    check = FieldChecks()
    allowed_roles = tuple(role.value for role in actor.grantable_roles)
    account = check.account(account)
    name = check.name(name, field="name", label_zh="姓名", label_en="name")
    role = check.choice(role, allowed_roles, field="role", label_zh="角色", label_en="role")
    wants_agent = role == Role.AGENT
    org_code = (org_code or "").strip()
    if not wants_agent:
        org_code = check.code(org_code, field="org_code", label_zh="所属机构", label_en="node")
    agent_code = (agent_code or "").strip()
    if wants_agent and not agent_code:
        check.required(agent_code, field="agent_code", label_zh="代理商编码", label_en="agent")
    password = check.new_password(password)
    check.done()
    password_hash = services.passwords.hash(password)  # slow: before the write lock

    def create(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OperatorAdmin(uow.connection)
        agent_id: int | None = None
        org_id: int | None = None
        if wants_agent:
            agent = admin.agent_by_code(agent_code)
            if agent is None or not actor.covers(agent[2]):
                check.add(agent_unknown(agent_code))
            else:
                agent_id, org_id, _ = agent
        else:
            node = enabled_node(uow.connection, actor, org_code, check)
            org_id = None if node is None else node.id
        if org_id is not None and admin.account_taken(org_id=org_id, account=account):
            check.add(account_taken(account))
        if org_id is None or check.errors:
            raise InvalidFormError(check.errors)
        operator_id = admin.add(
            org_id=org_id,
            account=account,
            name=name,
            role=role,
            password_hash=password_hash,
            agent_id=agent_id,
        )
        return Acted(
            f"operator:{operator_id}",
            {"account": account, "name": name, "role": role, "org_id": org_id},
        )

    return act_once(
        services, actor, form_token=form_token, action=AuditAction.OPERATOR_CREATE, act=create
    )


def change_operator_role(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    operator_id: int,
    role: str,
    agent_code: str = "",
) -> Done:
    """Give an operator another role; the agent role needs the agent they act for
    (``agent_code``, of the actor's subtree).

    Raises :class:`AccessDeniedError` without ``operators.manage`` or for an operator the actor
    may not manage; :class:`NotFoundError`; :class:`InvalidFormError` for a role the actor may
    not give or a missing or unknown agent.
    """
    require(actor, Permission.OPERATORS_MANAGE)
    check = FieldChecks()
    allowed_roles = tuple(r.value for r in actor.grantable_roles)
    role = check.choice(role, allowed_roles, field="role", label_zh="角色", label_en="role")
    agent_code = (agent_code or "").strip()
    if role == Role.AGENT and not agent_code:
        check.required(agent_code, field="agent_code", label_zh="代理商编码", label_en="agent")
    check.done()

    def change(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OperatorAdmin(uow.connection)
        operator = _manageable(admin, actor, operator_id)
        agent_id: int | None = None
        if role == Role.AGENT:
            agent = admin.agent_by_code(agent_code)
            if agent is None or not actor.covers(agent[2]):
                raise InvalidFormError([agent_unknown(agent_code)])
            agent_id = agent[0]
        admin.set_role(operator.id, role=role, agent_id=agent_id)
        return Acted(
            f"operator:{operator.id}",
            {"account": operator.account, "from": operator.role, "to": role},
        )

    return act_once(
        services, actor, form_token=form_token, action=AuditAction.OPERATOR_ROLE, act=change
    )


def set_operator_disabled(
    services: ConsoleServices, actor: Actor, *, form_token: str, operator_id: int, disabled: bool
) -> Done:
    """Disable an operator (their sessions end at once) or enable them again.

    Raises :class:`AccessDeniedError` without ``operators.manage`` or for an operator the actor
    may not manage (themselves included); :class:`NotFoundError`.
    """
    require(actor, Permission.OPERATORS_MANAGE)
    action = AuditAction.OPERATOR_DISABLE if disabled else AuditAction.OPERATOR_ENABLE

    def switch(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OperatorAdmin(uow.connection)
        operator = _manageable(admin, actor, operator_id)
        admin.set_disabled(operator.id, disabled=disabled)
        ended = (
            ConsoleSessionStore(uow.connection).revoke_all(operator.id, now=now) if disabled else 0
        )
        return Acted(
            f"operator:{operator.id}", {"account": operator.account, "sessions_ended": ended}
        )

    return act_once(services, actor, form_token=form_token, action=action, act=switch)


def reset_operator_password(
    services: ConsoleServices, actor: Actor, *, form_token: str, operator_id: int, password: str
) -> Done:
    """Give an operator a new password: any lockout is lifted and their sessions end.

    Raises :class:`AccessDeniedError` without ``operators.manage`` or for an operator the actor
    may not manage; :class:`NotFoundError`; :class:`InvalidFormError` for a weak password.
    """
    require(actor, Permission.OPERATORS_MANAGE)
    check = FieldChecks()
    password = check.new_password(password)
    check.done()
    password_hash = services.passwords.hash(password)

    def reset(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OperatorAdmin(uow.connection)
        operator = _manageable(admin, actor, operator_id)
        admin.set_password(operator.id, password_hash=password_hash)
        ended = ConsoleSessionStore(uow.connection).revoke_all(operator.id, now=now)
        return Acted(
            f"operator:{operator.id}", {"account": operator.account, "sessions_ended": ended}
        )

    return act_once(
        services,
        actor,
        form_token=form_token,
        action=AuditAction.OPERATOR_PASSWORD_RESET,
        act=reset,
    )


def _manageable(admin: OperatorAdmin, actor: Actor, operator_id: int) -> OperatorRow:
    operator = admin.by_id(operator_id)
    if operator is None:
        raise _operator_unknown(operator_id)
    if not _may_manage(actor, operator):
        raise AccessDeniedError()
    return operator


def _operator_unknown(operator_id: int) -> NotFoundError:
    return NotFoundError(
        code="operator_unknown",
        field="operator_id",
        message_zh=f"操作员 {operator_id} 不存在",
        message_en=f"there is no operator {operator_id}",
    )
