"""用电客户: finding customers (by number, name or address, along an index only — a search that
would read the whole table is refused next to the search box) and a customer's page: arrears
with the late penalty as of today, prepaid balance, rounding credit, receivables and payments."""

from __future__ import annotations

from functools import cache

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.console.customer_search import MatchMode, SearchField
from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.console.customers import (
    CustomerQuery,
    CustomerResults,
    customer_detail,
    customer_search,
)
from gridpos.domain.penalty import PenaltyRules, default_penalty_rules
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.agents import PAYMENT_STATES, county_today, yuan
from gridpos.interfaces.console.web import Visit, console_page

FIELD_LABELS = {
    SearchField.ACCOUNT_NO.value: N_("Customer number"),
    SearchField.NAME.value: N_("Name"),
    SearchField.ADDRESS.value: N_("Address"),
}
MODE_LABELS = {
    MatchMode.EXACT.value: N_("is exactly"),
    MatchMode.PREFIX.value: N_("starts with"),
    MatchMode.CONTAINS.value: N_("contains (within one station)"),
}
CATEGORY_LABELS = {
    "residential": N_("Residential"),
    "non_residential": N_("Non-residential"),
    "shared_meter": N_("Shared meter"),
    "subsidised": N_("Subsidised household"),
}
SETTLE_LABELS = {
    "unpaid": N_("Unpaid"),
    "partial": N_("Partly paid"),
    "settled": N_("Settled"),
}
PAGE = Page(
    key="customers",
    path="/customers",
    label=N_("Customers"),
    section=Section.OPERATIONS,
    permission=Permission.CUSTOMERS_VIEW,
    order=30,
)


@cache
def penalty_rules() -> PenaltyRules:
    """The late-penalty rules the payment server prices with (read once)."""
    return default_penalty_rules()


@console_page(Permission.CUSTOMERS_VIEW)
async def search_page(visit: Visit) -> Response:
    """Find customers of the actor's subtree."""
    names = ("q", "field", "mode", "station")
    filters = {name: visit.query(name) for name in names}
    query = CustomerQuery(
        field=filters["field"] or SearchField.ACCOUNT_NO.value,
        mode=filters["mode"] or MatchMode.PREFIX.value,
        term=filters["q"],
        station_code=filters["station"],
        page=visit.query_int("page"),
    )
    errors: dict[str, str] = {}
    results: CustomerResults | None = None
    try:
        results = await run_in_threadpool(customer_search, visit.services, visit.actor, query)
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
    return visit.render(
        "customers/list.html",
        status_code=422 if errors else 200,
        results=results,
        filters=filters,
        errors=errors,
        field_labels=FIELD_LABELS,
        mode_labels=MODE_LABELS,
        category_labels=CATEGORY_LABELS,
        yuan=yuan,
    )


@console_page(Permission.CUSTOMERS_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One customer: what they owe today, their credits, receivables and payments."""
    detail = await run_in_threadpool(
        lambda: customer_detail(
            visit.services,
            visit.actor,
            int(visit.request.path_params["customer_id"]),
            today=county_today(visit),
            rules=penalty_rules(),
            page=visit.query_int("page"),
        )
    )
    return visit.render(
        "customers/detail.html",
        detail=detail,
        customer=detail.customer,
        category_labels=CATEGORY_LABELS,
        settle_labels=SETTLE_LABELS,
        payment_states=PAYMENT_STATES,
        yuan=yuan,
    )


def module() -> ConsoleModule:
    """The customers' routes and menu entry."""
    return ConsoleModule(
        name="customers",
        routes=[
            Route("/customers", search_page, methods=["GET"]),
            Route("/customers/{customer_id:int}", detail_page, methods=["GET"]),
        ],
        pages=[PAGE],
    )
