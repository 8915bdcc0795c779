"""What the reconciliation pages share: the reconciliation services of the console's process,
the labels of kinds, states, outcomes, remedies and actions (message ids, translated where
shown), and a refusal naming a run or difference that does not exist turned into the 404 page."""

from __future__ import annotations

from typing import Any

from gridpos.application.console import NotFoundError
from gridpos.application.reconciliation import ReconciliationError, ReconciliationServices
from gridpos.domain.money import format_yuan
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.web import Visit

KIND_LABELS = {
    "terminal_only": N_("On the terminal only (one-sided)"),
    "company_only": N_("At the company only (one-sided)"),
    "mis_missing": N_("Missing at the MIS"),
    "mis_only": N_("At the MIS only"),
    "amount_differs": N_("Amounts differ"),
    "status_differs": N_("States differ"),
}
CHANGE_LABELS = {
    "new": N_("New"),
    "again": N_("Found again"),
    "cleared": N_("Cleared since"),
}
SIDES_LABELS = {
    "terminal_company": N_("Terminal ↔ company"),
    "company_mis": N_("Company ↔ MIS"),
}
ITEM_STATE_LABELS = {
    "open": N_("Waiting for a person"),
    "awaiting": N_("Waiting for the outbox"),
    "repaired": N_("Repaired automatically"),
    "requested": N_("Awaiting approval"),
    "resolved": N_("Resolved"),
    "written_off": N_("Written off"),
    "cleared": N_("Cleared"),
}
OUTCOME_LABELS = {
    "to_repair": N_("To be repaired automatically"),
    "repaired": N_("Repaired automatically"),
    "awaiting": N_("Waiting for the outbox"),
    "refused": N_("Automatic repair refused: queued for a person"),
    "skipped": N_("Repair skipped: the difference moved on"),
    "queued": N_("Queued for a person"),
    "reopened": N_("Reopened: the figures changed since it was resolved"),
    "requested": N_("Awaiting approval"),
    "accepted": N_("Accepted: resolved before, the same figures"),
    "cleared": N_("Cleared since the previous run"),
}
REMEDY_LABELS = {
    "confirm_from_journal": N_("Confirm from the terminal's journal, then post"),
    "repost": N_("Post to the MIS again"),
    "resend_undo": N_("Send the undo to the MIS again"),
    "await_delivery": N_("Wait for the outbox to deliver"),
    "confirm_or_reverse": N_("Confirm, or reverse if the collector cancelled"),
    "reverse": N_("Reverse the payment"),
    "cancel_at_mis": N_("Cancel the posting at the MIS"),
    "investigate": N_("Find out which side is right"),
}
ACTION_LABELS = {
    "reverse": N_("Reverse (same business day)"),
    "cancel": N_("Cancel (after the business day)"),
    "confirm": N_("Confirm as recorded"),
    "write_off": N_("Write off with a reason"),
}
RESOLUTION_STATE_LABELS = {
    "requested": N_("Awaiting approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
MIS_SOURCE_LABELS = {
    "report": N_("The MIS's posting detail"),
    "file": N_("The MIS's reconciliation file (银电联网)"),
    "none": N_("Not compared with the MIS"),
    "import": N_("An imported reconciliation file"),
    "generated": N_("A generated load"),
}
RUN_STATE_LABELS = {
    "clean": N_("Clean"),
    "open": N_("Differences left for a person"),
    "failed": N_("Failed"),
    "running": N_("Running"),
}
SCOPE_KIND_LABELS = {
    "organisation": N_("Organisation"),
    "agent": N_("Agent"),
    "terminal": N_("Terminal"),
}
ORIGIN_LABELS = {
    "command": N_("Command line"),
    "console": N_("Console"),
    "schedule": N_("Daily schedule"),
    "import": N_("Imported file"),
}
RECORD_STATE_LABELS = {
    "confirmed": N_("Confirmed"),
    "pending": N_("Pending"),
    "unknown": N_("Outcome unknown"),
    "reversed": N_("Reversed"),
    "voided": N_("Voided"),
    "cancelled": N_("Cancelled"),
    "posted": N_("Posted"),
    "failed": N_("Failed"),
    "rejected": N_("Rejected"),
}
_SERVICES_KEY = "reconciliation_services"


def yuan(fen: int | None) -> str:
    """Fen shown as yuan with two decimals and thousands grouped, or a dash for none."""
    return "—" if fen is None else format_yuan(int(fen), grouping=True)


def run_state(summary: Any) -> str:
    """``clean``, ``open``, ``failed`` or ``running`` of a run summary."""
    if summary.state != "done":
        return str(summary.state)
    return "clean" if summary.clean else "open"


def labels() -> dict[str, Any]:
    """Every label table and the money helper, for a template's context."""
    return {
        "kind_labels": KIND_LABELS,
        "change_labels": CHANGE_LABELS,
        "sides_labels": SIDES_LABELS,
        "item_state_labels": ITEM_STATE_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "remedy_labels": REMEDY_LABELS,
        "action_labels": ACTION_LABELS,
        "resolution_state_labels": RESOLUTION_STATE_LABELS,
        "mis_source_labels": MIS_SOURCE_LABELS,
        "run_state_labels": RUN_STATE_LABELS,
        "scope_kind_labels": SCOPE_KIND_LABELS,
        "origin_labels": ORIGIN_LABELS,
        "record_state_labels": RECORD_STATE_LABELS,
        "run_state": run_state,
        "yuan": yuan,
    }


def reconciliation_services(visit: Visit) -> ReconciliationServices:
    """The reconciliation services of this console (built once, on the console's database,
    clock and MIS client, with one parameter cache)."""
    state = visit.request.app.state
    services: ReconciliationServices | None = getattr(state, _SERVICES_KEY, None)
    if services is None:
        console = visit.services
        services = ReconciliationServices.build(
            engine=console.engine, clock=console.clock, mis=console.mis
        )
        setattr(state, _SERVICES_KEY, services)
    return services


def not_found_if_unknown(refused: ReconciliationError) -> Exception:
    """The 404 refusal for a run, difference or request that does not exist; ``refused``
    itself otherwise."""
    if refused.code.endswith("_unknown"):
        return NotFoundError(message_zh=refused.message_zh, message_en=refused.message_en)
    return refused
