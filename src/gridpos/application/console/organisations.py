"""组织机构: the organisation tree page and its admin (create, rename, move, disable, enable).

Every use case checks the actor's permission and that each node it touches lies in the actor's
subtree; the actor's own node may be renamed but not moved or disabled (they would lose it).
"""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.adapters.db.console import OrganisationAdmin, OrganisationRow
from gridpos.adapters.db.organisations import OrganisationError
from gridpos.adapters.db.tables.organisation import ORGANISATION_LEVELS
from gridpos.application.console.access import Actor, Permission, require
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
from gridpos.application.console.submissions import claim_form, settle_form

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
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="organisation.create", now=now
        )
        if earlier is not None:
            return earlier
        admin = OrganisationAdmin(uow.connection)
        parent = _parent_in_scope(admin, actor, parent_code, check)
        if parent is not None and level not in levels_below(parent.level):
            check.add(_level_not_below(parent))
        if admin.by_code(code) is not None:
            check.add(_code_taken(code))
        if parent is None or check.errors:
            raise InvalidFormError(check.errors)
        try:
            created = uow.organisations.add(code=code, name=name, level=level, parent_id=parent.id)
        except OrganisationError as exc:  # a concurrent form took the code
            raise InvalidFormError([exc]) from exc
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action="organisation.create",
            subject=f"organisation:{created.id}",
            details={"code": code, "name": name, "level": level, "parent": parent.code},
        )
        done = settle_form(uow, form_token=form_token, subject=f"organisation:{created.id}")
        uow.commit()
    return done


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
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="organisation.rename", now=now
        )
        if earlier is not None:
            return earlier
        admin = OrganisationAdmin(uow.connection)
        node = _node_in_scope(admin, actor, org_id, own_allowed=True)
        admin.rename(node.id, name=name)
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action="organisation.rename",
            subject=f"organisation:{node.id}",
            details={"code": node.code, "from": node.name, "to": name},
        )
        done = settle_form(uow, form_token=form_token, subject=f"organisation:{node.id}")
        uow.commit()
    return done


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
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="organisation.move", now=now
        )
        if earlier is not None:
            return earlier
        admin = OrganisationAdmin(uow.connection)
        node = _node_in_scope(admin, actor, org_id, own_allowed=False)
        parent = _parent_in_scope(admin, actor, parent_code, check)
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
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action="organisation.move",
            subject=f"organisation:{node.id}",
            details={"code": node.code, "to_parent": parent.code, "nodes_moved": moved},
        )
        done = settle_form(uow, form_token=form_token, subject=f"organisation:{node.id}")
        uow.commit()
    return done


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
    now = services.clock.now()
    action = "organisation.disable" if disabled else "organisation.enable"
    with services.writing() as uow:
        earlier = claim_form(uow, form_token=form_token, actor=actor, action=action, now=now)
        if earlier is not None:
            return earlier
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
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=action,
            subject=f"organisation:{node.id}",
            details={"code": node.code},
        )
        done = settle_form(uow, form_token=form_token, subject=f"organisation:{node.id}")
        uow.commit()
    return done


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


def _parent_in_scope(
    admin: OrganisationAdmin, actor: Actor, parent_code: str, check: FieldChecks
) -> OrganisationRow | None:
    parent = admin.by_code(parent_code)
    if parent is None or not actor.covers(parent.path):
        # outside the subtree reads like unknown: the form must not reveal what lies outside
        check.add(
            field_error(
                "parent_unknown",
                field="parent_code",
                message_zh=f"您的管辖范围内没有编码为 {parent_code} 的机构",
                message_en=f"there is no organisation {parent_code} within your scope",
            )
        )
        return None
    if parent.disabled:
        check.add(
            field_error(
                "parent_disabled",
                field="parent_code",
                message_zh=f"上级机构 {parent_code} 已停用",
                message_en=f"the parent {parent_code} is disabled",
            )
        )
        return None
    return parent


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
