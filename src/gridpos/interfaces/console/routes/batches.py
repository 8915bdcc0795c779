"""扎帐记录: the batch list (business dates, organisation, terminal, state; newest first in keyset
pages, a bounded count) and a batch's page: the terminal's and the server's totals, the cash
counted and its difference with the note, the detail upload and every difference named."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.tables.batches import BATCH_STATES
from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.console.batches import (
    MAX_DAYS,
    BatchPage,
    BatchQuery,
    batch_detail,
    batch_list,
)
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.agents import yuan
from gridpos.interfaces.console.web import Visit, console_page

FILTERS = ("date_from", "date_to", "org", "terminal", "state")
STATE_LABELS = {
    "open": N_("Not closed yet"),
    "balanced": N_("Balanced"),
    "unbalanced": N_("Unbalanced"),
}
DIFFERENCE_KINDS = {
    "terminal_only": N_("On the terminal only (one-sided, terminal side)"),
    "server_only": N_("On the server only (one-sided, company side)"),
    "amount_mismatch": N_("Amounts differ"),
    "state_mismatch": N_("States differ"),
}
DIFFERENCE_STATES = {"open": N_("Not resolved"), "resolved": N_("Resolved")}
PAGE = Page(
    key="batches",
    path="/batches",
    label=N_("Batches"),
    section=Section.OPERATIONS,
    permission=Permission.BATCHES_VIEW,
    order=50,
)


def signed_yuan(fen: int | None) -> str:
    """A difference of cash in yuan with its sign (+ overage, − shortage), or a dash."""
    if fen is None:
        return "—"
    return ("+" if fen > 0 else "") + yuan(fen)


@console_page(Permission.BATCHES_VIEW)
async def list_page(visit: Visit) -> Response:
    """The batches of the terminals of the actor's subtree."""
    filters = {name: visit.query(name) for name in FILTERS}
    query = BatchQuery(
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        org_code=filters["org"],
        terminal_no=filters["terminal"],
        state=filters["state"],
        after=visit.query("after"),
        before=visit.query("before"),
    )
    errors: dict[str, str] = {}
    listed: BatchPage | None = None
    try:
        listed = await run_in_threadpool(batch_list, visit.services, visit.actor, query)
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
    return visit.render(
        "batches/list.html",
        status_code=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        states=BATCH_STATES,
        state_labels=STATE_LABELS,
        max_days=MAX_DAYS,
        yuan=yuan,
        signed_yuan=signed_yuan,
    )


@console_page(Permission.BATCHES_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One batch."""
    detail = await run_in_threadpool(
        batch_detail, visit.services, visit.actor, int(visit.request.path_params["batch_id"])
    )
    return visit.render(
        "batches/detail.html",
        detail=detail,
        batch=detail.batch,
        state_labels=STATE_LABELS,
        difference_kinds=DIFFERENCE_KINDS,
        difference_states=DIFFERENCE_STATES,
        yuan=yuan,
        signed_yuan=signed_yuan,
    )


def module() -> ConsoleModule:
    """The batches' routes and menu entry."""
    return ConsoleModule(
        name="batches",
        routes=[
            Route("/batches", list_page, methods=["GET"]),
            Route("/batches/{batch_id:int}", detail_page, methods=["GET"]),
        ],
        pages=[PAGE],
    )
