"""差异明细 and 待处理差错: the differences across runs (kind, state, dates, organisation), the
work queue (what waits for a person), and one difference's page — its records (terminal journal,
company payment, MIS posting) run by run, every request made of it, and the forms: request a
resolution (the actions the use case allows, a reason), approve or reject one (another operator
than the requester). A form shown on a stale view is refused by the use case and said so."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.tables.reconciliation import ITEM_STATES
from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.reconciliation import (
    ReconciliationError,
    ResolutionRequest,
    approve_resolution,
    item_detail,
    reject_resolution,
    request_resolution,
)
from gridpos.application.reconciliation.search import WAITING_STATES, SearchForm, find_items
from gridpos.application.reconciliation.views import KINDS
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.reconciliation_common import (
    labels,
    not_found_if_unknown,
    readers,
    reconciliation_services,
)
from gridpos.interfaces.console.web import Visit, console_page

FILTERS = ("date_from", "date_to", "org", "state", "kind")
DONE_NOTICES = {
    "requested": N_("The request was made; another operator must approve it."),
    "approved": N_("The request was approved and applied."),
    "rejected": N_("The request was rejected; the difference is back in the queue."),
}
DIFFERENCES_PAGE = Page(
    key="reconciliation_differences",
    path="/reconciliation/differences",
    label=N_("Reconciliation differences"),
    section=Section.RECONCILIATION,
    permission=Permission.RECONCILIATION_VIEW,
    order=20,
)
QUEUE_PAGE = Page(
    key="reconciliation_queue",
    path="/reconciliation/queue",
    label=N_("Work queue"),
    section=Section.RECONCILIATION,
    permission=Permission.RECONCILIATION_VIEW,
    order=30,
)


async def _listing(visit: Visit, *, states: tuple[str, ...], template: str) -> Response:
    filters = {name: visit.query(name) for name in FILTERS}
    form = SearchForm(
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        org=filters["org"],
        state=filters["state"],
        kind=filters["kind"],
        page=visit.query_int("page"),
    )
    errors: dict[str, str] = {}
    listed = None
    try:
        listed = await run_in_threadpool(
            lambda: find_items(reconciliation_services(visit), visit.actor, form, states=states)
        )
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
    return visit.render(
        template,
        status_code=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        states=states,
        kinds=KINDS,
        **labels(),
        **readers(visit),
    )


@console_page(Permission.RECONCILIATION_VIEW)
async def differences_page(visit: Visit) -> Response:
    """Every difference ever found in the actor's subtree, whatever became of it."""
    return await _listing(visit, states=ITEM_STATES, template="reconciliation/differences.html")


@console_page(Permission.RECONCILIATION_VIEW)
async def queue_page(visit: Visit) -> Response:
    """The differences of the actor's subtree waiting for a person or a decision."""
    return await _listing(visit, states=WAITING_STATES, template="reconciliation/queue.html")


def _item_id(visit: Visit) -> int:
    return int(visit.request.path_params["item_id"])


async def _item(
    visit: Visit,
    *,
    status: int = 200,
    failed_form: str = "",
    errors: dict[str, str] | None = None,
    refusal: str = "",
) -> Response:
    try:
        detail = await run_in_threadpool(
            item_detail, reconciliation_services(visit), visit.actor, _item_id(visit)
        )
    except ReconciliationError as refused:
        raise not_found_if_unknown(refused) from refused
    actor = visit.actor
    waiting = next((r for r in detail.resolutions if r.state == "requested"), None)
    context: dict[str, Any] = {
        "detail": detail,
        "item": detail.item,
        "latest": detail.history[-1] if detail.history else None,
        "waiting": waiting,
        "may_request": bool(detail.actions),
        "may_decide": waiting is not None
        and actor.can(Permission.RECONCILIATION_RESOLVE)
        and waiting.requested_by != actor.operator_id,
        "own_request": waiting is not None and waiting.requested_by == actor.operator_id,
        "failed_form": failed_form,
        "errors": errors or {},
        "refusal": refusal,
        "values": {
            "action": visit.field("action"),
            "reason": visit.field("reason"),
            "note": visit.field("note"),
        },
        "notice": DONE_NOTICES.get(visit.query("done"), ""),
    }
    return visit.render(
        "reconciliation/item.html", status_code=status, **context, **labels(), **readers(visit)
    )


@console_page(Permission.RECONCILIATION_VIEW)
async def item_page(visit: Visit) -> Response:
    """One difference of the queue."""
    return await _item(visit)


async def _refused(visit: Visit, refused: ReconciliationError, form: str) -> Response:
    """The item's page again with the refusal: next to its field, or above the forms when the
    difference changed under the operator (409)."""
    refused = _known(refused)
    if refused.field in {"reason", "action"}:
        message = visit.message(refused)
        return await _item(visit, status=422, failed_form=form, errors={refused.field: message})
    status = 409 if refused.code in {"difference_changed", "resolution_decided"} else 422
    return await _item(visit, status=status, failed_form=form, refusal=visit.message(refused))


def _known(refused: ReconciliationError) -> ReconciliationError:
    if refused.code.endswith("_unknown") and refused.field == "item_id":
        raise not_found_if_unknown(refused) from refused
    return refused


@console_page(Permission.RECONCILIATION_RESOLVE)
async def request_submit(visit: Visit) -> Response:
    """Ask for the difference to be resolved."""
    item_id = _item_id(visit)
    version = visit.field("version")
    request = ResolutionRequest(
        item_id=item_id,
        version=int(version) if version.isdigit() and len(version) < 9 else 0,
        action=visit.field("action"),
        reason=visit.field("reason"),
    )
    try:
        await run_in_threadpool(
            request_resolution, reconciliation_services(visit), visit.actor, request
        )
    except ReconciliationError as refused:
        return await _refused(visit, refused, "request")
    return visit.redirect(f"/reconciliation/items/{item_id}?done=requested")


@console_page(Permission.RECONCILIATION_RESOLVE)
async def decision_submit(visit: Visit) -> Response:
    """Approve (and apply) or reject a waiting request."""
    item_id = _item_id(visit)
    resolution_id = int(visit.request.path_params["resolution_id"])
    services = reconciliation_services(visit)
    choice = visit.field("approve")
    if choice not in ("0", "1"):
        unchosen = {"decision": visit.gettext("Choose to approve or to reject.")}
        return await _item(visit, status=422, failed_form="decision", errors=unchosen)
    note = visit.field("note")
    try:
        if choice == "1":
            await run_in_threadpool(
                lambda: approve_resolution(
                    services, visit.actor, resolution_id=resolution_id, note=note
                )
            )
        else:
            await run_in_threadpool(
                lambda: reject_resolution(
                    services, visit.actor, resolution_id=resolution_id, note=note
                )
            )
    except ReconciliationError as refused:
        if refused.field == "reason":  # a rejection says why: its note
            message = visit.message(refused)
            return await _item(visit, status=422, failed_form="decision", errors={"note": message})
        return await _refused(visit, refused, "decision")
    done = "approved" if choice == "1" else "rejected"
    return visit.redirect(f"/reconciliation/items/{item_id}?done={done}")


def module() -> ConsoleModule:
    """The differences' and the work queue's routes and menu entries."""
    return ConsoleModule(
        name="reconciliation_queue",
        routes=[
            Route("/reconciliation/differences", differences_page, methods=["GET"]),
            Route("/reconciliation/queue", queue_page, methods=["GET"]),
            Route("/reconciliation/items/{item_id:int}", item_page, methods=["GET"]),
            Route("/reconciliation/items/{item_id:int}/requests", request_submit, methods=["POST"]),
            Route(
                "/reconciliation/items/{item_id:int}/requests/{resolution_id:int}/decision",
                decision_submit,
                methods=["POST"],
            ),
        ],
        pages=[DIFFERENCES_PAGE, QUEUE_PAGE],
    )
