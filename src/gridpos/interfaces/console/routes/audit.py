"""审计日志: the audit log (filters on actor, action, subject and dates; keyset paging; newest or
oldest first) and the chain check button."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.audit_log import canonical_json
from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.console.audit_log import (
    COUNT_CAP,
    AuditPage,
    AuditQuery,
    ChainCheck,
    ChainCheckBusyError,
    audit_entries,
    reads_audit_log,
    run_chain_check,
)
from gridpos.domain.audit import action_families
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.labels import ACTION_FAMILY_LABELS, action_label
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.web import Visit, console_page

PAGE = Page(
    key="audit",
    path="/audit",
    label=N_("Audit log"),
    section=Section.SYSTEM,
    permission=Permission.AUDIT_VIEW,
    order=40,
    shown_to=reads_audit_log,
)
FILTERS = ("actor", "action", "subject", "from", "to", "order")
# every family of actions written, offered as suggestions ("payment." matches them all)
ACTION_SUGGESTIONS = action_families()
CHECK_LABELS = {
    "transaction_balanced": N_("Every ledger transaction has entries that sum to zero"),
    "kept_balance": N_("Every kept balance equals the sum of its account's entries"),
    "receivable_allocations": N_(
        "Receivables' paid amounts equal the allocations of confirmed payments"
    ),
    "payment_totals": N_("Each payment's totals equal the sum of its allocations"),
    "payment_float": N_("Each confirmed payment debits the agent's float by its cash"),
    "terminal_day_totals": N_(
        "Each terminal's kept day total equals its confirmed payments of that day"
    ),
    "collection_day_totals": N_(
        "Each kept collection total equals the sums of its payments of that day"
    ),
    "audit_chain": N_("The audit log is an unbroken hash chain"),
    "audit_append_only": N_("The triggers refusing changes to the audit log are on"),
}


def _cursor(visit: Visit, name: str) -> int | None:
    raw = visit.query(name)
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


async def _list(
    visit: Visit, *, check: ChainCheck | None = None, check_refusal: str = ""
) -> Response:
    filters = {name: visit.query(name) for name in FILTERS}
    query = AuditQuery(
        actor=filters["actor"],
        action=filters["action"],
        subject=filters["subject"],
        date_from=filters["from"],
        date_to=filters["to"],
        order=filters["order"],
        after=_cursor(visit, "after"),
        before=_cursor(visit, "before"),
    )
    errors: dict[str, str] = {}
    listed: AuditPage | None
    try:
        listed = await run_in_threadpool(audit_entries, visit.services, visit.actor, query)
    except InvalidFormError as refused:
        errors = {
            ("from" if key == "date_from" else "to" if key == "date_to" else key): message
            for key, message in visit.field_errors(refused.errors).items()
        }
        listed = None
    return visit.render(
        "audit/list.html",
        status_code=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        count_cap=COUNT_CAP,
        action_suggestions=ACTION_SUGGESTIONS,
        family_labels=ACTION_FAMILY_LABELS,
        action_label=action_label,
        check=check,
        check_labels=CHECK_LABELS,
        check_refusal=check_refusal,
        details_text=_details_text,
    )


def _details_text(details: Any) -> str:
    return canonical_json(details) if details else ""


@console_page(Permission.AUDIT_VIEW)
async def list_page(visit: Visit) -> Response:
    """A page of the audit log."""
    return await _list(visit)


@console_page(Permission.AUDIT_VIEW)
async def chain_check_submit(visit: Visit) -> Response:
    """Run the chain check; the log page with its outcome."""
    try:
        check = await run_in_threadpool(run_chain_check, visit.services, visit.actor)
    except ChainCheckBusyError as busy:
        return await _list(visit, check_refusal=visit.message(busy))
    return await _list(visit, check=check)


def module() -> ConsoleModule:
    """The audit log's routes and menu entry."""
    return ConsoleModule(
        name="audit",
        routes=[
            Route("/audit", list_page, methods=["GET"]),
            Route("/audit/chain-check", chain_check_submit, methods=["POST"]),
        ],
        pages=[PAGE],
    )
