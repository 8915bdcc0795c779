"""操作员与角色: the operator list (search, filters, paging, sort), the form to add one, and an
operator's page with its forms (role, disable / enable, new password)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.console import OperatorSort
from gridpos.application.console import Done, InvalidFormError, Permission
from gridpos.application.console.operators import (
    OPERATOR_STATUSES,
    OperatorQuery,
    change_operator_role,
    create_operator,
    may_manage,
    operator_detail,
    operator_list,
    reset_operator_password,
    set_operator_disabled,
)
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.labels import ROLE_LABELS
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.web import Visit, console_page, new_token

STATUS_LABELS = {
    "active": N_("Active"),
    "disabled": N_("Disabled"),
    "locked": N_("Locked"),
}
SORT_LABELS = {
    OperatorSort.ACCOUNT.value: N_("Account"),
    OperatorSort.NAME.value: N_("Name"),
    OperatorSort.ROLE.value: N_("Role"),
    OperatorSort.ORGANISATION.value: N_("Organisation"),
}
DONE_NOTICES = {
    "created": N_("The operator was added."),
    "role": N_("The role was changed."),
    "disabled": N_("The operator was disabled; their sessions have ended."),
    "enabled": N_("The operator was enabled."),
    "password": N_("The password was changed; the operator's sessions have ended."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
}
PAGE = Page(
    key="operators",
    path="/operators",
    label=N_("Operators and roles"),
    section=Section.SYSTEM,
    permission=Permission.OPERATORS_VIEW,
    order=20,
)


def _operator_id(visit: Visit) -> int:
    return int(visit.request.path_params["operator_id"])


@console_page(Permission.OPERATORS_VIEW)
async def list_page(visit: Visit) -> Response:
    """The operators of the actor's subtree."""
    filters = {name: visit.query(name) for name in ("q", "role", "org", "status", "sort", "dir")}
    query = OperatorQuery(
        search=filters["q"],
        role=filters["role"],
        org_code=filters["org"],
        status=filters["status"],
        sort=filters["sort"],
        descending=filters["dir"] == "desc",
        page=visit.query_int("page"),
    )
    errors: dict[str, str] = {}
    try:
        listed = await run_in_threadpool(operator_list, visit.services, visit.actor, query)
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
        listed = await run_in_threadpool(
            operator_list, visit.services, visit.actor, OperatorQuery(search=filters["q"])
        )
    return visit.render(
        "operators/list.html",
        status_code=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        roles=list(ROLE_LABELS),
        role_labels=ROLE_LABELS,
        statuses=OPERATOR_STATUSES,
        status_labels=STATUS_LABELS,
        sort_labels=SORT_LABELS,
        now=visit.services.clock.now(),
        can_manage=visit.actor.can(Permission.OPERATORS_MANAGE),
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )


async def _new_form(visit: Visit, *, status: int = 200, errors: Any = None) -> Response:
    return visit.render(
        "operators/new.html",
        status_code=status,
        form_token=visit.field("form_token") or new_token(),
        values={
            name: visit.field(name) or visit.query(name)
            for name in ("org_code", "account", "name", "role", "agent_code")
        },
        roles=[role.value for role in visit.actor.grantable_roles],
        role_labels=ROLE_LABELS,
        errors=errors or {},
    )


@console_page(Permission.OPERATORS_MANAGE)
async def new_page(visit: Visit) -> Response:
    """The form to add an operator."""
    return await _new_form(visit)


@console_page(Permission.OPERATORS_MANAGE)
async def new_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            create_operator,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            org_code=visit.field("org_code"),
            account=visit.field("account"),
            name=visit.field("name"),
            role=visit.field("role"),
            password=visit.field("password"),
            agent_code=visit.field("agent_code"),
        )
    except InvalidFormError as refused:
        return await _new_form(visit, status=422, errors=visit.field_errors(refused.errors))
    return _after(visit, done, "created")


def _after(visit: Visit, done: Done, what: str) -> Response:
    operator_id = done.subject.split(":")[1]
    return visit.redirect(f"/operators/{operator_id}?done={'repeated' if done.repeated else what}")


async def _detail(
    visit: Visit, *, status: int = 200, failed_form: str = "", errors: Any = None
) -> Response:
    operator = await run_in_threadpool(
        operator_detail, visit.services, visit.actor, _operator_id(visit)
    )
    return visit.render(
        "operators/detail.html",
        status_code=status,
        operator=operator,
        manageable=may_manage(visit.actor, operator),
        roles=[role.value for role in visit.actor.grantable_roles],
        role_labels=ROLE_LABELS,
        now=visit.services.clock.now(),
        tokens={
            form: (visit.field("form_token") if form == failed_form else "") or new_token()
            for form in ("role", "status", "password")
        },
        failed_form=failed_form,
        values={
            "role": visit.field("role") or operator.role,
            "agent_code": visit.field("agent_code") or (operator.agent_code or ""),
        },
        errors=errors or {},
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )


@console_page(Permission.OPERATORS_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One operator, with the forms that change them."""
    return await _detail(visit)


@console_page(Permission.OPERATORS_MANAGE)
async def role_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            change_operator_role,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            operator_id=_operator_id(visit),
            role=visit.field("role"),
            agent_code=visit.field("agent_code"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="role", errors=errors)
    return _after(visit, done, "role")


@console_page(Permission.OPERATORS_MANAGE)
async def status_submit(visit: Visit) -> Response:
    disabled = visit.field("disabled") == "1"
    try:
        done = await run_in_threadpool(
            set_operator_disabled,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            operator_id=_operator_id(visit),
            disabled=disabled,
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="status", errors=errors)
    return _after(visit, done, "disabled" if disabled else "enabled")


@console_page(Permission.OPERATORS_MANAGE)
async def password_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            reset_operator_password,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            operator_id=_operator_id(visit),
            password=visit.field("password"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="password", errors=errors)
    return _after(visit, done, "password")


def module() -> ConsoleModule:
    """The operators' routes and menu entry."""
    return ConsoleModule(
        name="operators",
        routes=[
            Route("/operators", list_page, methods=["GET"]),
            Route("/operators/new", new_page, methods=["GET"]),
            Route("/operators/new", new_submit, methods=["POST"]),
            Route("/operators/{operator_id:int}", detail_page, methods=["GET"]),
            Route("/operators/{operator_id:int}/role", role_submit, methods=["POST"]),
            Route("/operators/{operator_id:int}/status", status_submit, methods=["POST"]),
            Route("/operators/{operator_id:int}/password", password_submit, methods=["POST"]),
        ],
        pages=[PAGE],
    )
