"""组织机构: the tree page (search, filters, paging) and a node's page with its forms
(rename, move, disable / enable), and the form to add a node."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.tables.organisation import ORGANISATION_LEVELS
from gridpos.application.console import Done, InvalidFormError, Permission
from gridpos.application.console.organisations import (
    create_organisation,
    levels_below,
    move_organisation,
    organisation_detail,
    organisation_tree,
    rename_organisation,
    set_organisation_disabled,
)
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.labels import LEVEL_LABELS
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.web import Visit, console_page, new_token

DONE_NOTICES = {
    "created": N_("The organisation was added."),
    "renamed": N_("The organisation was renamed."),
    "moved": N_("The organisation was moved."),
    "disabled": N_("The organisation was disabled."),
    "enabled": N_("The organisation was enabled."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
}
PAGE = Page(
    key="organisations",
    path="/organisations",
    label=N_("Organisations"),
    section=Section.SYSTEM,
    permission=Permission.ORGANISATIONS_VIEW,
    order=10,
)


def _org_id(visit: Visit) -> int:
    return int(visit.request.path_params["org_id"])


@console_page(Permission.ORGANISATIONS_VIEW)
async def tree_page(visit: Visit) -> Response:
    """The actor's subtree, a page at a time."""
    search, level, status = visit.query("q"), visit.query("level"), visit.query("status")
    tree = await run_in_threadpool(
        organisation_tree,
        visit.services,
        visit.actor,
        search=search,
        level=level,
        status=status,
        page=visit.query_int("page"),
    )
    return visit.render(
        "organisations/tree.html",
        tree=tree,
        filters={"q": search, "level": level, "status": status},
        levels=ORGANISATION_LEVELS,
        level_labels=LEVEL_LABELS,
        can_manage=visit.actor.can(Permission.ORGANISATIONS_MANAGE),
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )


async def _new_form(visit: Visit, *, status: int = 200, errors: Any = None) -> Response:
    parent_code = visit.field("parent_code") or visit.query("parent")
    return visit.render(
        "organisations/new.html",
        status_code=status,
        form_token=visit.field("form_token") or new_token(),
        values={
            "parent_code": parent_code,
            "code": visit.field("code"),
            "name": visit.field("name"),
            "level": visit.field("level"),
        },
        levels=ORGANISATION_LEVELS,
        level_labels=LEVEL_LABELS,
        errors=errors or {},
    )


@console_page(Permission.ORGANISATIONS_MANAGE)
async def new_page(visit: Visit) -> Response:
    """The form to add a node."""
    return await _new_form(visit)


@console_page(Permission.ORGANISATIONS_MANAGE)
async def new_submit(visit: Visit) -> Response:
    """Add a node; the form again, with each wrong field marked, when refused."""
    try:
        done = await run_in_threadpool(
            create_organisation,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            parent_code=visit.field("parent_code"),
            code=visit.field("code"),
            name=visit.field("name"),
            level=visit.field("level"),
        )
    except InvalidFormError as refused:
        return await _new_form(visit, status=422, errors=visit.field_errors(refused.errors))
    return _after(visit, done, "created")


def _after(visit: Visit, done: Done, what: str) -> Response:
    org_id = done.subject.split(":")[1]
    return visit.redirect(f"/organisations/{org_id}?done={'repeated' if done.repeated else what}")


async def _detail(
    visit: Visit, *, status: int = 200, failed_form: str = "", errors: Any = None
) -> Response:
    node = await run_in_threadpool(organisation_detail, visit.services, visit.actor, _org_id(visit))
    return visit.render(
        "organisations/detail.html",
        status_code=status,
        node=node,
        level_labels=LEVEL_LABELS,
        child_levels=levels_below(node.level),
        own_node=node.id == visit.actor.org_id,
        can_manage=visit.actor.can(Permission.ORGANISATIONS_MANAGE),
        tokens={
            form: (visit.field("form_token") if form == failed_form else "") or new_token()
            for form in ("rename", "move", "status")
        },
        failed_form=failed_form,
        values={
            "name": visit.field("name") or node.name,
            "parent_code": visit.field("parent_code"),
        },
        errors=errors or {},
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )


@console_page(Permission.ORGANISATIONS_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One node, with the forms that change it."""
    return await _detail(visit)


@console_page(Permission.ORGANISATIONS_MANAGE)
async def rename_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            rename_organisation,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            org_id=_org_id(visit),
            name=visit.field("name"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="rename", errors=errors)
    return _after(visit, done, "renamed")


@console_page(Permission.ORGANISATIONS_MANAGE)
async def move_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            move_organisation,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            org_id=_org_id(visit),
            parent_code=visit.field("parent_code"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="move", errors=errors)
    return _after(visit, done, "moved")


@console_page(Permission.ORGANISATIONS_MANAGE)
async def status_submit(visit: Visit) -> Response:
    disabled = visit.field("disabled") == "1"
    try:
        done = await run_in_threadpool(
            set_organisation_disabled,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            org_id=_org_id(visit),
            disabled=disabled,
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="status", errors=errors)
    return _after(visit, done, "disabled" if disabled else "enabled")


def module() -> ConsoleModule:
    """The organisation tree's routes and menu entry."""
    return ConsoleModule(
        name="organisations",
        routes=[
            Route("/organisations", tree_page, methods=["GET"]),
            Route("/organisations/new", new_page, methods=["GET"]),
            Route("/organisations/new", new_submit, methods=["POST"]),
            Route("/organisations/{org_id:int}", detail_page, methods=["GET"]),
            Route("/organisations/{org_id:int}/rename", rename_submit, methods=["POST"]),
            Route("/organisations/{org_id:int}/move", move_submit, methods=["POST"]),
            Route("/organisations/{org_id:int}/status", status_submit, methods=["POST"]),
        ],
        pages=[PAGE],
    )
