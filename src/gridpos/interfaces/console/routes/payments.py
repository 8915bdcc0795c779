"""收费明细: the payment list (business dates, organisation, agent, terminal, state, customer;
keyset pages newest or oldest first; a bounded count) and its Excel export, the undo requests
awaiting a decision, and a payment's page — allocation, ledger entries, undo history, MIS
posting, receipt — with the forms to ask for a void (撤销) or cancellation (冲销) and to decide
one (maker-checker)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.console.payments import (
    MAX_DAYS,
    PAYMENT_STATES,
    PaymentExport,
    PaymentPage,
    PaymentQuery,
    payment_by_txn,
    payment_detail,
    payment_export,
    payment_list,
)
from gridpos.application.console.undo_requests import (
    decide_payment_undo,
    request_payment_undo,
    waiting_undo_requests,
)
from gridpos.domain.money import capital_numerals
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.rendering import local_time
from gridpos.interfaces.console.routes.agents import PAYMENT_STATES as STATE_LABELS
from gridpos.interfaces.console.routes.agents import yuan
from gridpos.interfaces.console.spreadsheets import Column, ColumnKind, Sheet, xlsx_response
from gridpos.interfaces.console.web import Visit, console_page, new_token

FILTERS = ("date_from", "date_to", "org", "agent", "terminal", "state", "account_no", "order")
MIS_STATES = {
    "none": N_("Not sent"),
    "pending": N_("Waiting to post"),
    "posted": N_("Posted"),
    "failed": N_("Posting failed"),
    "undo_pending": N_("Undo waiting"),
    "undone": N_("Undone in the MIS"),
}
UNDO_KINDS = {
    "reversal": N_("Reversal"),
    "void": N_("Void"),
    "cancellation": N_("Next-day cancellation"),
}
REQUEST_STATES = {
    "requested": N_("Awaiting approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
EVENT_KINDS = {
    "payment": N_("Payment"),
    "offline_payment": N_("Offline payment"),
    "commission": N_("Commission"),
    "reversal": N_("Reversal"),
    "void": N_("Void"),
    "cancellation": N_("Next-day cancellation"),
}
ACCOUNT_KINDS = {
    "agent_float": N_("Agent float"),
    "agent_float_held": N_("Agent float held"),
    "agent_commission": N_("Agent commission"),
    "customer_prepaid": N_("Customer prepaid balance"),
    "customer_rounding": N_("Customer rounding credit"),
    "receivable_principal": N_("Receivable principal"),
    "receivable_penalty": N_("Receivable late penalty"),
    "topup_clearing": N_("Top-up clearing"),
    "commission_expense": N_("Commission expense"),
}
OUTBOX_TOPICS = {
    "mis.post": N_("Post to the MIS"),
    "mis.reverse": N_("Reverse in the MIS"),
    "mis.cancel": N_("Cancel in the MIS"),
}
OUTBOX_STATES = {"pending": N_("Waiting"), "sent": N_("Delivered"), "dead": N_("Given up")}
UNDO_REFUSALS = {
    "payment_not_confirmed": N_("Only a confirmed payment can be voided or cancelled."),
    "payment_offline": N_(
        "An offline collection cannot be voided or cancelled here: settle it in reconciliation."
    ),
}
DONE_NOTICES = {
    "requested": N_("The request was made; a second person must approve it."),
    "approved": N_("The request was approved: the payment is undone."),
    "rejected": N_("The request was rejected; the payment stands."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
}
PAGE = Page(
    key="payments",
    path="/payments",
    label=N_("Payment records"),
    section=Section.OPERATIONS,
    permission=Permission.PAYMENTS_VIEW,
    order=40,
)


def _query(visit: Visit) -> PaymentQuery:
    return PaymentQuery(
        date_from=visit.query("date_from"),
        date_to=visit.query("date_to"),
        org_code=visit.query("org"),
        agent_code=visit.query("agent"),
        terminal_no=visit.query("terminal"),
        state=visit.query("state"),
        account_no=visit.query("account_no"),
        order=visit.query("order", "desc"),
        after=visit.query("after"),
        before=visit.query("before"),
    )


def _labels() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "mis_states": MIS_STATES,
        "undo_kinds": UNDO_KINDS,
        "request_states": REQUEST_STATES,
        "event_kinds": EVENT_KINDS,
        "account_kinds": ACCOUNT_KINDS,
        "outbox_topics": OUTBOX_TOPICS,
        "outbox_states": OUTBOX_STATES,
        "yuan": yuan,
    }


@console_page(Permission.PAYMENTS_VIEW)
async def list_page(visit: Visit) -> Response:
    """The payments of the actor's subtree, and the undo requests waiting."""
    filters = {name: visit.query(name) for name in FILTERS}
    errors: dict[str, str] = {}
    listed: PaymentPage | None = None
    try:
        listed = await run_in_threadpool(payment_list, visit.services, visit.actor, _query(visit))
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
    waiting = await run_in_threadpool(waiting_undo_requests, visit.services, visit.actor)
    return visit.render(
        "payments/list.html",
        status_code=422 if errors else 200,
        listed=listed,
        waiting=waiting,
        filters=filters,
        errors=errors,
        states=PAYMENT_STATES,
        max_days=MAX_DAYS,
        own_agent=visit.actor.own_agent_id is not None,
        **_labels(),
    )


def _export_sheet(visit: Visit, export: PaymentExport) -> Sheet:
    _ = visit.gettext
    columns = (
        Column(_("Business date"), ColumnKind.DATE),
        Column(_("Time")),
        Column(_("Transaction id")),
        Column(_("Serial"), ColumnKind.INTEGER),
        Column(_("Terminal number")),
        Column(_("Agent")),
        Column(_("Collection point")),
        Column(_("Customer number")),
        Column(_("Customer")),
        Column(_("Cash"), ColumnKind.FEN),
        Column(_("Late penalty"), ColumnKind.FEN),
        Column(_("Principal"), ColumnKind.FEN),
        Column(_("Prepaid"), ColumnKind.FEN),
        Column(_("Status")),
        Column(_("MIS posting")),
    )
    rows = [
        (
            row.business_date,
            local_time(row.recorded_at, "%Y-%m-%d %H:%M:%S"),
            row.txn_id,
            row.trace_no,
            row.terminal_no,
            f"{row.agent_code} {row.agent_name}",
            f"{row.org_code} {row.org_name}",
            row.account_no,
            row.customer_name,
            row.cash,
            row.penalty_total,
            row.principal_total,
            row.prepaid_net,
            _(STATE_LABELS.get(row.state, row.state))
            + (f" · {_('offline')}" if row.offline else ""),
            _(MIS_STATES.get(row.mis_state, row.mis_state)),
        )
        for row in export.rows
    ]
    title = (
        f"{_('Payment records')} {export.date_from.isoformat()} – {export.date_to.isoformat()}"
        f" · {visit.actor.org_name}"
    )
    return Sheet(name=_("Payment records"), columns=columns, rows=rows, title=title)


@console_page(Permission.PAYMENTS_VIEW)
async def export_xlsx(visit: Visit) -> Response:
    """The filtered list as an Excel workbook (the list page again, with the refusal, when the
    filter is refused or too broad)."""
    try:
        export = await run_in_threadpool(payment_export, visit.services, visit.actor, _query(visit))
    except InvalidFormError as refused:
        waiting = await run_in_threadpool(waiting_undo_requests, visit.services, visit.actor)
        return visit.render(
            "payments/list.html",
            status_code=422,
            listed=None,
            waiting=waiting,
            filters={name: visit.query(name) for name in FILTERS},
            errors=dict(visit.field_errors(refused.errors)),
            states=PAYMENT_STATES,
            max_days=MAX_DAYS,
            own_agent=visit.actor.own_agent_id is not None,
            **_labels(),
        )
    filename = f"payments-{export.date_from:%Y%m%d}-{export.date_to:%Y%m%d}.xlsx"
    return await xlsx_response([_export_sheet(visit, export)], filename=filename)


def _payment_id(visit: Visit) -> int:
    return int(visit.request.path_params["payment_id"])


async def _detail(
    visit: Visit,
    payment_id: int,
    *,
    status: int = 200,
    failed_form: str = "",
    errors: Any = None,
) -> Response:
    detail = await run_in_threadpool(payment_detail, visit.services, visit.actor, payment_id)
    waiting = detail.waiting_request
    actor = visit.actor
    return visit.render(
        "payments/detail.html",
        status_code=status,
        detail=detail,
        payment=detail.facts,
        receipt=detail.receipt,
        capital=capital_numerals(detail.receipt.cash) if detail.receipt else "",
        may_request=actor.can(Permission.PAYMENTS_CANCEL_REQUEST)
        and detail.undo_kind is not None
        and waiting is None,
        may_decide=actor.can(Permission.PAYMENTS_CANCEL_APPROVE)
        and waiting is not None
        and waiting.requested_by != actor.operator_id,
        waiting=waiting,
        undo_refusal=UNDO_REFUSALS.get(detail.undo_refusal, ""),
        tokens={
            form: (visit.field("form_token") if form == failed_form else "") or new_token()
            for form in ("request", "decision")
        },
        failed_form=failed_form,
        values={"reason": visit.field("reason"), "note": visit.field("note")},
        errors=errors or {},
        notice=DONE_NOTICES.get(visit.query("done"), ""),
        **_labels(),
    )


@console_page(Permission.PAYMENTS_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One payment."""
    return await _detail(visit, _payment_id(visit))


@console_page(Permission.PAYMENTS_VIEW)
async def by_txn(visit: Visit) -> Response:
    """The payment the MIS names by its transaction id."""
    payment_id = await run_in_threadpool(
        payment_by_txn, visit.services, visit.actor, visit.request.path_params["txn_id"]
    )
    return visit.redirect(f"/payments/{payment_id}")


@console_page(Permission.PAYMENTS_CANCEL_REQUEST)
async def request_submit(visit: Visit) -> Response:
    """Ask for the payment to be voided or cancelled."""
    payment_id = _payment_id(visit)
    try:
        done = await run_in_threadpool(
            lambda: request_payment_undo(
                visit.services,
                visit.actor,
                form_token=visit.field("form_token"),
                payment_id=payment_id,
                reason=visit.field("reason"),
            )
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, payment_id, status=422, failed_form="request", errors=errors)
    outcome = "repeated" if done.repeated else "requested"
    return visit.redirect(f"/payments/{payment_id}?done={outcome}")


@console_page(Permission.PAYMENTS_CANCEL_APPROVE)
async def decision_submit(visit: Visit) -> Response:
    """Approve or reject a waiting request."""
    payment_id = _payment_id(visit)
    if visit.field("approve") not in ("0", "1"):
        unchosen = {"decision": visit.gettext("Choose to approve or to reject.")}
        return await _detail(visit, payment_id, status=422, failed_form="decision", errors=unchosen)
    approve = visit.field("approve") == "1"
    try:
        done = await run_in_threadpool(
            lambda: decide_payment_undo(
                visit.services,
                visit.actor,
                form_token=visit.field("form_token"),
                payment_id=payment_id,
                request_id=int(visit.request.path_params["request_id"]),
                approve=approve,
                note=visit.field("note"),
            )
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, payment_id, status=422, failed_form="decision", errors=errors)
    shown = int(done.subject.split(":")[1])
    outcome = "repeated" if done.repeated else ("approved" if approve else "rejected")
    return visit.redirect(f"/payments/{shown}?done={outcome}")


def module() -> ConsoleModule:
    """The payments' routes and menu entry."""
    return ConsoleModule(
        name="payments",
        routes=[
            Route("/payments", list_page, methods=["GET"]),
            Route("/payments/export.xlsx", export_xlsx, methods=["GET"]),
            Route("/payments/txn/{txn_id}", by_txn, methods=["GET"]),
            Route("/payments/{payment_id:int}", detail_page, methods=["GET"]),
            Route("/payments/{payment_id:int}/undo-requests", request_submit, methods=["POST"]),
            Route(
                "/payments/{payment_id:int}/undo-requests/{request_id:int}/decision",
                decision_submit,
                methods=["POST"],
            ),
        ],
        pages=[PAGE],
    )
