"""What the reconciliation pages share: the reconciliation services of the console's process,
the labels of kinds, states, outcomes, remedies and actions (message ids, translated where
shown), and a refusal naming a run or difference that does not exist turned into the 404 page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gridpos.application.console import NotFoundError
from gridpos.application.reconciliation import ReconciliationError, ReconciliationServices
from gridpos.application.reconciliation.notes import say
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
NOTE_LABELS = {
    "mis_read": N_("postings of ours read from the MIS: %(count)s"),
    "mis_other_channels": N_("postings of other channels left out: %(count)s"),
    "mis_undos_before": N_("undos of postings before the range left out: %(count)s"),
    "mis_not_compared": N_("the MIS was not compared (asked so)"),
    "mis_not_configured": N_("no MIS is configured: the MIS was not compared"),
    "mis_unreadable": N_("the MIS could not be read: %(error)s"),
    "mis_load": N_("compared with MIS load %(load)s"),
    "reposted": N_("re-posted through the outbox (message %(outbox)s)"),
    "undo_resent": N_("the undo sent again through the outbox (message %(outbox)s)"),
    "confirmed_from_journal": N_(
        "confirmed from the terminal's journal as payment %(payment)s, its posting queued"
    ),
    "item_moved_on": N_("the difference moved on meanwhile"),
    "outbox_holds_it": N_("the outbox still holds it"),
    "repair_refused": N_("automatic repair refused: %(reason)s"),
    "found_again": N_("found again after it had cleared"),
    "changed_since_resolved": N_("the figures changed since it was resolved"),
    "changed_while_recorded": N_("changed by an operator while the run was recorded"),
    "repaired_before": N_("repaired before and still there: a person should look at it"),
    "no_longer_found": N_("no longer found (it was: %(was)s)"),
    "written_off": N_("written off: %(reason)s"),
    "mis_cancelled": N_("the MIS posting %(serial)s was cancelled"),
    "mis_not_standing": N_("the MIS has no standing posting of it any more"),
    "cancelled_at_mis": N_("cancelled at the MIS"),
    "confirmed_as_recorded": N_(
        "confirmed: the company's payment stands as recorded (reprint from the terminal)"
    ),
    "reversal_recorded": N_(
        "reversal of payment %(txn)s recorded, the MIS told through the outbox"
    ),
    "cancellation_recorded": N_(
        "cancellation of payment %(txn)s recorded, the MIS told through the outbox"
    ),
}
REASON_LABELS = {
    "journal_amount": N_("the journal's amount differs from the payment's"),
    "journal_confirmed": N_("the terminal's journal has it confirmed"),
    "journal_offline": N_("the terminal took it offline"),
    "journal_state": N_("the journal's state differs from the payment's"),
    "journal_undone": N_("the terminal's journal has it undone"),
    "journal_waiting_online": N_("the terminal's journal still waits for the server's answer"),
    "mis_amount": N_("the MIS posted another amount"),
    "mis_has_a_posting": N_("the MIS already has a posting of it"),
    "mis_undone": N_("the MIS undid its posting"),
    "no_payment": N_("the company has no such payment"),
    "not_in_journal": N_("not in the terminal's uploaded journal"),
    "post_in_outbox": N_("its posting still waits in the outbox"),
    "undo_in_outbox": N_("its undo still waits in the outbox"),
}
MIS_STATE_REASON = N_("the payment's message to the MIS: %(state)s")
MIS_STATE_LABELS = {
    "none": N_("not sent"),
    "pending": N_("waiting to be sent"),
    "posted": N_("delivered"),
    "failed": N_("failed"),
    "undo_pending": N_("undo waiting to be sent"),
    "undone": N_("undone"),
}
COVERAGE_LABELS = {
    "detail": N_("batch uploaded line by line"),
    "attested": N_("batch closed balanced, no lines"),
    "unreported": N_("batch not closed yet"),
}
_NOTE_VALUE_LABELS = {"was": ITEM_STATE_LABELS}
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


def note_reader(visit: Visit) -> Callable[[str], str]:
    """What turns a kept note (:mod:`gridpos.application.reconciliation.notes`) into the
    visitor's language; plain text reads as it is."""
    language = "zh" if visit.locale == "zh_CN" else "en"

    def label(name: str, value: str) -> str:
        table = _NOTE_VALUE_LABELS.get(name)
        return visit.gettext(table[value]) if table and value in table else value

    def read(text: str) -> str:
        return say(text or "", visit.gettext, language, label=label) if text else ""

    return read


def reason_reader(visit: Visit) -> Callable[[str], str]:
    """What says why a remedy was proposed (a finding's reason code) in the visitor's
    language; an unknown code reads as it is."""

    def read(code: str) -> str:
        if code in REASON_LABELS:
            return visit.gettext(REASON_LABELS[code])
        state = code.removeprefix("mis_state_")
        if state != code and state in MIS_STATE_LABELS:
            return visit.gettext(MIS_STATE_REASON) % {
                "state": visit.gettext(MIS_STATE_LABELS[state])
            }
        return code

    return read


def who(started_by: str) -> str:
    """Who started a run, as a person reads it: an operator's account and organisation
    (``operator:7:finance@340828`` reads ``finance@340828``); anything else as it is."""
    kind, _, rest = started_by.partition(":")
    if kind == "operator":
        number, _, name = rest.partition(":")
        if number.isdigit() and name:
            return name
    return started_by


def readers(visit: Visit) -> dict[str, Any]:
    """The notes', reasons' and coverages' readers for a template's context, and who started
    a run."""
    return {
        "who": who,
        "note": note_reader(visit),
        "reason": reason_reader(visit),
        "coverage": lambda code: (
            visit.gettext(COVERAGE_LABELS[code]) if code in COVERAGE_LABELS else code
        ),
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
