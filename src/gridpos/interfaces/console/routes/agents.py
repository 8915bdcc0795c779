"""代理商: the agent list (search, filters, sort, paging), the form to add an agent with their
agent operator account, an agent's page (float, top-ups to request and decide, terminals,
operators, edit, disable / enable), the float statement (page, PDF, Excel), the collections
and the monthly commission summary.

An agent operator's menu entry leads straight to their own agent's page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.console.agent_admin import AgentSort
from gridpos.application.console import Done, InvalidFormError, Permission
from gridpos.application.console.agents import (
    AGENT_STATUSES,
    AgentQuery,
    agent_collections,
    agent_commission,
    agent_detail,
    agent_list,
    agent_statement,
    commission_summary,
    create_agent,
    decide_float_topup,
    edit_agent,
    request_float_topup,
    set_agent_disabled,
)
from gridpos.domain.dates import period_of
from gridpos.domain.money import format_yuan
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.rendering import COUNTY_TIME
from gridpos.interfaces.console.routes.agents_statement import statement_pdf, statement_xlsx
from gridpos.interfaces.console.web import Visit, console_page, new_token

SORT_LABELS = {
    AgentSort.CODE.value: N_("Agent code"),
    AgentSort.NAME.value: N_("Name"),
    AgentSort.FLOAT.value: N_("Float available"),
    AgentSort.ORGANISATION.value: N_("Organisation"),
}
STATUS_LABELS = {"enabled": N_("Enabled"), "disabled": N_("Disabled")}
TOPUP_STATES = {
    "requested": N_("Awaiting approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
TERMINAL_STATES = {"issued": N_("Issued"), "active": N_("Active"), "disabled": N_("Disabled")}
PAYMENT_STATES = {
    "pending": N_("Pending"),
    "unknown": N_("Unknown outcome"),
    "rejected": N_("Rejected"),
    "confirmed": N_("Confirmed"),
    "reversed": N_("Reversed"),
    "voided": N_("Voided"),
    "cancelled": N_("Cancelled"),
}
DONE_NOTICES = {
    "created": N_("The agent and their operator account were added."),
    "edited": N_("The agent's details were saved."),
    "disabled": N_("The agent was disabled; their operator accounts were disabled too."),
    "enabled": N_("The agent was enabled; enable their operator accounts on the operators page."),
    "requested": N_("The top-up was requested; a second person must approve it."),
    "approved": N_("The top-up was approved: the float has grown by its amount."),
    "rejected": N_("The top-up was rejected; the float is unchanged."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
}
PAGE = Page(
    key="agents",
    path="/agents",
    label=N_("Agents"),
    section=Section.OPERATIONS,
    permission=Permission.AGENTS_VIEW,
    order=10,
)


def yuan(fen: int) -> str:
    """Fen shown as yuan with two decimals and thousands grouped."""
    return format_yuan(int(fen), grouping=True)


def county_today(visit: Visit) -> date:
    """Today's date in the county (the business date the console works on)."""
    return visit.services.clock.now().astimezone(COUNTY_TIME).date()


def _agent_id(visit: Visit) -> int:
    return int(visit.request.path_params["agent_id"])


def _money(visit: Visit, template: str, status: int = 200, **context: Any) -> Response:
    return visit.render(
        template,
        status_code=status,
        yuan=yuan,
        payment_states=PAYMENT_STATES,
        terminal_states=TERMINAL_STATES,
        topup_states=TOPUP_STATES,
        **context,
    )


@console_page(Permission.AGENTS_VIEW)
async def list_page(visit: Visit) -> Response:
    """The agents of the actor's subtree (an agent operator: their own page)."""
    own = visit.actor.own_agent_id
    if own is not None:
        return visit.redirect(f"/agents/{own}")
    names = ("q", "org", "status", "low", "pending", "sort", "dir")
    filters = {name: visit.query(name) for name in names}
    query = AgentQuery(
        search=filters["q"],
        org_code=filters["org"],
        status=filters["status"],
        float_low=filters["low"] == "1",
        pending_topup=filters["pending"] == "1",
        sort=filters["sort"],
        descending=filters["dir"] == "desc",
        page=visit.query_int("page"),
    )
    errors: dict[str, str] = {}
    try:
        listed = await run_in_threadpool(agent_list, visit.services, visit.actor, query)
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
        listed = await run_in_threadpool(
            agent_list, visit.services, visit.actor, AgentQuery(search=filters["q"])
        )
    return _money(
        visit,
        "agents/list.html",
        status=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        statuses=AGENT_STATUSES,
        status_labels=STATUS_LABELS,
        sort_labels=SORT_LABELS,
        can_manage=visit.actor.can(Permission.AGENTS_MANAGE),
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )


NEW_FIELDS = (
    "org_code",
    "code",
    "name",
    "phone",
    "low_float_alert",
    "account",
    "operator_name",
)


async def _new_form(visit: Visit, *, status: int = 200, errors: Any = None) -> Response:
    return visit.render(
        "agents/new.html",
        status_code=status,
        form_token=visit.field("form_token") or new_token(),
        values={name: visit.field(name) or visit.query(name) for name in NEW_FIELDS},
        errors=errors or {},
    )


@console_page(Permission.AGENTS_MANAGE)
async def new_page(visit: Visit) -> Response:
    """The form to add an agent and their operator account."""
    return await _new_form(visit)


@console_page(Permission.AGENTS_MANAGE)
async def new_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            create_agent,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            org_code=visit.field("org_code"),
            code=visit.field("code"),
            name=visit.field("name"),
            phone=visit.field("phone"),
            low_float_alert=visit.field("low_float_alert"),
            account=visit.field("account"),
            operator_name=visit.field("operator_name"),
            password=visit.field("password"),
        )
    except InvalidFormError as refused:
        return await _new_form(visit, status=422, errors=visit.field_errors(refused.errors))
    return _after(visit, done, "created")


def _after(visit: Visit, done: Done, what: str, agent_id: int | None = None) -> Response:
    subject = agent_id if agent_id is not None else done.subject.split(":")[1]
    return visit.redirect(f"/agents/{subject}?done={'repeated' if done.repeated else what}")


FORMS = ("edit", "status", "topup")


async def _detail(
    visit: Visit,
    *,
    status: int = 200,
    failed_form: str = "",
    errors: Any = None,
) -> Response:
    detail = await run_in_threadpool(agent_detail, visit.services, visit.actor, _agent_id(visit))
    agent = detail.agent
    tokens = {
        form: (visit.field("form_token") if form == failed_form else "") or new_token()
        for form in FORMS
    }
    for topup in detail.topups:
        form = f"decision-{topup.id}"
        tokens[form] = (visit.field("form_token") if form == failed_form else "") or new_token()
    period = visit.query("period") or period_of(county_today(visit))
    commission = None
    commission_errors: dict[str, str] = {}
    try:
        commission = await run_in_threadpool(
            agent_commission, visit.services, visit.actor, agent_id=agent.id, period=period
        )
    except InvalidFormError as refused:
        commission_errors = dict(visit.field_errors(refused.errors))
    editing = failed_form == "edit"
    return _money(
        visit,
        "agents/detail.html",
        status=status,
        detail=detail,
        agent=agent,
        tokens=tokens,
        failed_form=failed_form,
        values={
            "name": visit.field("name") if editing else agent.name,
            "phone": visit.field("phone") if editing else (agent.phone or ""),
            "low_float_alert": (
                visit.field("low_float_alert") if editing else yuan(agent.low_float_alert)
            ),
            "amount": visit.field("amount") if failed_form == "topup" else "",
            "note": visit.field("note") if failed_form == "topup" else "",
        },
        errors=errors or {},
        period=period,
        commission=commission,
        commission_errors=commission_errors,
        own_view=visit.actor.own_agent_id == agent.id,
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )


@console_page(Permission.AGENTS_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One agent: float, top-ups, terminals, operators and the forms that change them."""
    return await _detail(visit)


@console_page(Permission.AGENTS_MANAGE)
async def edit_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            edit_agent,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            agent_id=_agent_id(visit),
            name=visit.field("name"),
            phone=visit.field("phone"),
            low_float_alert=visit.field("low_float_alert"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="edit", errors=errors)
    return _after(visit, done, "edited")


@console_page(Permission.AGENTS_MANAGE)
async def status_submit(visit: Visit) -> Response:
    disabled = visit.field("disabled") == "1"
    done = await run_in_threadpool(
        set_agent_disabled,
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        agent_id=_agent_id(visit),
        disabled=disabled,
    )
    return _after(visit, done, "disabled" if disabled else "enabled")


@console_page(Permission.TOPUPS_REQUEST)
async def topup_submit(visit: Visit) -> Response:
    """Request a float top-up (maker)."""
    try:
        done = await run_in_threadpool(
            request_float_topup,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            agent_id=_agent_id(visit),
            amount=visit.field("amount"),
            note=visit.field("note"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="topup", errors=errors)
    return _after(visit, done, "requested", _agent_id(visit))


@console_page(Permission.TOPUPS_APPROVE)
async def decision_submit(visit: Visit) -> Response:
    """Approve or reject a float top-up (checker, a second person)."""
    topup_id = int(visit.request.path_params["topup_id"])
    approve = visit.field("approve") == "1"
    try:
        done = await run_in_threadpool(
            decide_float_topup,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            topup_id=topup_id,
            approve=approve,
            business_date=county_today(visit),
            reason=visit.field("reason"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form=f"decision-{topup_id}", errors=errors)
    return _after(visit, done, "approved" if approve else "rejected", _agent_id(visit))


@console_page(Permission.AGENTS_VIEW)
async def statement_page(visit: Visit) -> Response:
    """The float statement for a date range: on the page, or as PDF / Excel."""
    agent_id = _agent_id(visit)
    typed = {"date_from": visit.query("date_from"), "date_to": visit.query("date_to")}
    try:
        statement = await run_in_threadpool(
            agent_statement,
            visit.services,
            visit.actor,
            agent_id=agent_id,
            today=county_today(visit),
            **typed,
        )
    except InvalidFormError as refused:
        return _money(
            visit,
            "agents/statement.html",
            status=422,
            statement=None,
            agent_id=agent_id,
            typed=typed,
            errors=visit.field_errors(refused.errors),
        )
    kind = visit.query("format")
    if kind == "pdf":
        return await statement_pdf(visit, statement)
    if kind == "xlsx":
        return await statement_xlsx(visit, statement)
    return _money(
        visit,
        "agents/statement.html",
        statement=statement,
        agent_id=agent_id,
        typed={
            "date_from": statement.date_from.isoformat(),
            "date_to": statement.date_to.isoformat(),
        },
        errors={},
    )


@console_page(Permission.AGENTS_VIEW)
async def collections_page(visit: Visit) -> Response:
    """The payments the agent's terminals collected in a date range."""
    agent_id = _agent_id(visit)
    typed = {"date_from": visit.query("date_from"), "date_to": visit.query("date_to")}
    try:
        collections = await run_in_threadpool(
            agent_collections,
            visit.services,
            visit.actor,
            agent_id=agent_id,
            today=county_today(visit),
            page=visit.query_int("page"),
            **typed,
        )
    except InvalidFormError as refused:
        return _money(
            visit,
            "agents/collections.html",
            status=422,
            collections=None,
            agent_id=agent_id,
            typed=typed,
            errors=visit.field_errors(refused.errors),
        )
    return _money(
        visit,
        "agents/collections.html",
        collections=collections,
        agent_id=agent_id,
        typed={
            "date_from": collections.date_from.isoformat(),
            "date_to": collections.date_to.isoformat(),
        },
        errors={},
    )


@console_page(Permission.AGENTS_VIEW)
async def commission_page(visit: Visit) -> Response:
    """The monthly commission settlement summary of the agents in scope."""
    period = visit.query("period") or period_of(county_today(visit))
    errors: dict[str, str] = {}
    lines = []
    try:
        lines = await run_in_threadpool(
            commission_summary, visit.services, visit.actor, period=period
        )
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
    return _money(
        visit,
        "agents/commission.html",
        status=422 if errors else 200,
        period=period,
        lines=lines,
        totals={
            "payments": sum(line.payments for line in lines),
            "cash": sum(line.cash for line in lines),
            "commission": sum(line.commission for line in lines),
        },
        errors=errors,
    )


def module() -> ConsoleModule:
    """The agents' routes and menu entry."""
    return ConsoleModule(
        name="agents",
        routes=[
            Route("/agents", list_page, methods=["GET"]),
            Route("/agents/new", new_page, methods=["GET"]),
            Route("/agents/new", new_submit, methods=["POST"]),
            Route("/agents/commission", commission_page, methods=["GET"]),
            Route("/agents/{agent_id:int}", detail_page, methods=["GET"]),
            Route("/agents/{agent_id:int}/edit", edit_submit, methods=["POST"]),
            Route("/agents/{agent_id:int}/status", status_submit, methods=["POST"]),
            Route("/agents/{agent_id:int}/topups", topup_submit, methods=["POST"]),
            Route(
                "/agents/{agent_id:int}/topups/{topup_id:int}/decision",
                decision_submit,
                methods=["POST"],
            ),
            Route("/agents/{agent_id:int}/statement", statement_page, methods=["GET"]),
            Route("/agents/{agent_id:int}/collections", collections_page, methods=["GET"]),
        ],
        pages=[PAGE],
    )
