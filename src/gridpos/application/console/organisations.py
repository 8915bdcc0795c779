"""组织机构: the organisation tree page and its admin (create, rename, move, disable, enable).

Every use case checks the actor's permission and that each node it touches lies in the actor's
subtree; the actor's own node may be renamed but not moved or disabled (they would lose it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridpos.adapters.db.console import OrganisationAdmin, OrganisationRow
from gridpos.adapters.db.organisations import OrganisationError
from gridpos.adapters.db.tables.organisation import ORGANISATION_LEVELS
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.admin_forms import PARENT, Acted, act_once, enabled_node
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    ConsoleError,
    Done,
    InvalidFormError,
    NotFoundError,
    field_error,
)
from gridpos.application.console.paging import Paged, offset_of
from gridpos.domain.audit import AuditAction

LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "province": ("省公司", "provincial company"),
    "city": ("市供电公司", "city company"),
    "county": ("县供电公司", "county company"),
    "station": ("供电所", "supply station"),
    "collection_point": ("代收点", "collection point"),
}
STATUSES = ("enabled", "disabled")


@dataclass(frozen=True, slots=True)
class TreePage:
    """A page of the actor's subtree, and the depth of the actor's own node (for indenting)."""

    nodes: Paged[OrganisationRow]
    root_depth: int


def organisation_tree(
    services: ConsoleServices,
    actor: Actor,
    *,
    search: str | None = None,
    level: str | None = None,
    status: str | None = None,
    page: int = 1,
) -> TreePage:
    """One page of the actor's subtree in tree order, searched by code or name.

    Unknown ``level`` or ``status`` values are ignored. Raises :class:`AccessDeniedError`
    without ``organisations.view``.
    """
    require(actor, Permission.ORGANISATIONS_VIEW)
    per_page = services.policy.tree_page_size
    with services.reading() as uow:
        rows, total = OrganisationAdmin(uow.connection).page(
            root_path=actor.org_path,
            search=(search or "").strip() or None,
            level=level if level in ORGANISATION_LEVELS else None,
            disabled={"enabled": False, "disabled": True}.get(status or ""),
            offset=offset_of(page, per_page),
            limit=per_page,
        )
    return TreePage(
        nodes=Paged(items=rows, total=total, page=max(page, 1), per_page=per_page),
        root_depth=actor.org_path.count("/") - 2,
    )


def organisation_detail(services: ConsoleServices, actor: Actor, org_id: int) -> OrganisationRow:
    """The node ``org_id``. Raises :class:`NotFoundError` when there is none and
    :class:`AccessDeniedError` without ``organisations.view`` or outside the actor's subtree."""
    require(actor, Permission.ORGANISATIONS_VIEW)
    with services.reading() as uow:
        node = OrganisationAdmin(uow.connection).by_id(org_id)
    if node is None:
        raise _unknown(org_id)
    if not actor.covers(node.path):
        raise AccessDeniedError()
    return node


def levels_below(level: str) -> tuple[str, ...]:
    """The levels a child of a node at ``level`` may have."""
    return ORGANISATION_LEVELS[ORGANISATION_LEVELS.index(level) + 1 :]


def create_organisation(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    parent_code: str,
    code: str,
    name: str,
    level: str,
) -> Done:
    """Add a node under the node ``parent_code`` of the actor's subtree.

    Raises :class:`AccessDeniedError` without ``organisations.manage``, and
    :class:`InvalidFormError` naming each wrong field: a parent unknown, outside the subtree or
    disabled; a code malformed or taken; a name empty or too long; a level unknown or not below
    the parent's. Nothing is written then.
    """
    require(actor, Permission.ORGANISATIONS_MANAGE)
    check = FieldChecks()
    parent_code = check.code(
        parent_code, field="parent_code", label_zh="上级机构", label_en="parent"
    )
    code = check.code(code, field="code", label_zh="机构编码", label_en="code")
    name = check.name(name, field="name", label_zh="机构名称", label_en="name")
    level = check.choice(
        level, ORGANISATION_LEVELS, field="level", label_zh="机构层级", label_en="level"
    )
    check.done()

    def create(uow: SqlUnitOfWork, now: datetime) -> Acted:
        parent = enabled_node(uow.connection, actor, parent_code, check, node_field=PARENT)
        if parent is not None and level not in levels_below(parent.level):
            check.add(_level_not_below(parent))
        if OrganisationAdmin(uow.connection).by_code(code) is not None:
            check.add(_code_taken(code))
        if parent is None or check.errors:
            raise InvalidFormError(check.errors)
        try:
            created = uow.organisations.add(code=code, name=name, level=level, parent_id=parent.id)
        except OrganisationError as exc:  # a concurrent form took the code
            raise InvalidFormError([exc]) from exc
        return Acted(
            f"organisation:{created.id}",
            {"code": code, "name": name, "level": level, "parent": parent.code},
        )

    return act_once(
        services, actor, form_token=form_token, action=AuditAction.ORGANISATION_CREATE, act=create
    )


def rename_organisation(
    services: ConsoleServices, actor: Actor, *, form_token: str, org_id: int, name: str
) -> Done:
    """Give a node of the actor's subtree (their own included) a new name.

    Raises :class:`AccessDeniedError` without ``organisations.manage`` or outside the subtree,
    :class:`NotFoundError` for an unknown node, :class:`InvalidFormError` for a bad name.
    """
    require(actor, Permission.ORGANISATIONS_MANAGE)
    check = FieldChecks()
    name = check.name(name, field="name", label_zh="机构名称", label_en="name")
    check.done()

    def rename(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OrganisationAdmin(uow.connection)
        node = _node_in_scope(admin, actor, org_id, own_allowed=True)
        admin.rename(node.id, name=name)
        return Acted(f"organisation:{node.id}", {"code": node.code, "from": node.name, "to": name})

    return act_once(
        services, actor, form_token=form_token, action=AuditAction.ORGANISATION_RENAME, act=rename
    )


def move_organisation(
    services: ConsoleServices, actor: Actor, *, form_token: str, org_id: int, parent_code: str
) -> Done:
    """Hang a node below the actor's own, with everything under it, under another parent of
    the actor's subtree.

    Raises :class:`AccessDeniedError` without ``organisations.manage``, for the actor's own node
    or a node outside the subtree; :class:`NotFoundError` for an unknown node;
    :class:`InvalidFormError` (field ``parent_code``) for a parent unknown, outside the subtree,
    disabled, the node itself or below it (``organisation_move_into_own_subtree``), already its
    parent, or of a level not above the node's.
    """
    require(actor, Permission.ORGANISATIONS_MANAGE)
    check = FieldChecks()
    parent_code = check.code(
        parent_code, field="parent_code", label_zh="上级机构", label_en="parent"
    )
    check.done()

    def move(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OrganisationAdmin(uow.connection)
        node = _node_in_scope(admin, actor, org_id, own_allowed=False)
        parent = enabled_node(uow.connection, actor, parent_code, check, node_field=PARENT)
        if parent is None:
            raise InvalidFormError(check.errors)
        if parent.path.startswith(node.path):
            check.add(
                field_error(
                    "organisation_move_into_own_subtree",
                    field="parent_code",
                    message_zh="不能把机构移到它自己或它的下级机构之下",
                    message_en="a node cannot be moved under itself or one of its own children",
                )
            )
        elif parent.id == node.parent_id:
            check.add(
                field_error(
                    "organisation_already_there",
                    field="parent_code",
                    message_zh="该机构已在此上级机构之下",
                    message_en="the node already sits under this parent",
                )
            )
        elif node.level not in levels_below(parent.level):
            zh, en = LEVEL_NAMES[node.level]
            check.add(
                field_error(
                    "organisation_level_invalid",
                    field="parent_code",
                    message_zh=f"{zh}不能放在{LEVEL_NAMES[parent.level][0]}之下",
                    message_en=f"a {en} cannot sit under a {LEVEL_NAMES[parent.level][1]}",
                )
            )
        check.done()
        moved = admin.move(
            node.id, old_path=node.path, new_parent_id=parent.id, new_parent_path=parent.path
        )
        return Acted(
            f"organisation:{node.id}",
            {"code": node.code, "to_parent": parent.code, "nodes_moved": moved},
        )

    return act_once(
        services, actor, form_token=form_token, action=AuditAction.ORGANISATION_MOVE, act=move
    )


def set_organisation_disabled(
    services: ConsoleServices, actor: Actor, *, form_token: str, org_id: int, disabled: bool
) -> Done:
    """Disable (or enable again) a node below the actor's own. Operators of a disabled node or
    of any node below it can no longer sign in, and their sessions end.

    Raises :class:`AccessDeniedError` without ``organisations.manage``, for the actor's own node
    or one outside the subtree; :class:`NotFoundError`; :class:`InvalidFormError` when disabling
    a node with enabled children (``organisation_has_enabled_children``) or enabling one under
    a disabled parent (``organisation_parent_disabled``).
    """
    require(actor, Permission.ORGANISATIONS_MANAGE)
    action = AuditAction.ORGANISATION_DISABLE if disabled else AuditAction.ORGANISATION_ENABLE

    def switch(uow: SqlUnitOfWork, now: datetime) -> Acted:
        admin = OrganisationAdmin(uow.connection)
        node = _node_in_scope(admin, actor, org_id, own_allowed=False)
        check = FieldChecks()
        if disabled and admin.enabled_children(node.id):
            check.add(
                field_error(
                    "organisation_has_enabled_children",
                    field="disabled",
                    message_zh="请先停用它的全部下级机构",
                    message_en="disable every node under it first",
                )
            )
        if not disabled and node.parent_id is not None:
            parent = admin.by_id(node.parent_id)
            if parent is not None and parent.disabled:
                check.add(
                    field_error(
                        "organisation_parent_disabled",
                        field="disabled",
                        message_zh=f"上级机构 {parent.code} 已停用，请先启用上级机构",
                        message_en=f"its parent {parent.code} is disabled: enable that first",
                    )
                )
        check.done()
        admin.set_disabled(node.id, disabled=disabled)
        return Acted(f"organisation:{node.id}", {"code": node.code})

    return act_once(services, actor, form_token=form_token, action=action, act=switch)


def _unknown(org_id: int) -> NotFoundError:
    return NotFoundError(
        code="organisation_unknown",
        field="org_id",
        message_zh=f"机构 {org_id} 不存在",
        message_en=f"there is no organisation {org_id}",
    )


def _node_in_scope(
    admin: OrganisationAdmin, actor: Actor, org_id: int, *, own_allowed: bool
) -> OrganisationRow:
    node = admin.by_id(org_id)
    if node is None:
        raise _unknown(org_id)
    allowed = actor.covers(node.path) if own_allowed else actor.strictly_covers(node.path)
    if not allowed:
        raise AccessDeniedError()
    return node


def _level_not_below(parent: OrganisationRow) -> ConsoleError:
    allowed = levels_below(parent.level)
    return field_error(
        "organisation_level_invalid",
        field="level",
        message_zh=(
            f"{LEVEL_NAMES[parent.level][0]}之下只能建："
            + ("、".join(LEVEL_NAMES[level][0] for level in allowed) or "无")
        ),
        message_en=(
            f"under a {LEVEL_NAMES[parent.level][1]} you may add: "
            + (", ".join(LEVEL_NAMES[level][1] for level in allowed) or "nothing")
        ),
    )


def _code_taken(code: str) -> ConsoleError:
    return field_error(
        "organisation_code_taken",
        field="code",
        message_zh=f"机构编码 {code} 已被使用",
        message_en=f"the organisation code {code} is already in use",
    )
