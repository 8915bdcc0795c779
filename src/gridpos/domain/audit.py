"""The actions the audit log records: every code an entry's ``action`` may hold, one place.

The log writes the code (``payment.collect``), never words; the console names each one in the
reader's language. An entry written before a code was renamed keeps its old code, so a code once
written is never changed or reused. A family is the code's first part (``payment.``), what the
console's search offers.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from gridpos.domain.ledger import EventKind


class AuditAction(StrEnum):
    """An action written to the audit log."""

    CONSOLE_SIGN_IN = "console.sign_in"
    CONSOLE_SIGN_OUT = "console.sign_out"
    ORGANISATION_IMPORT_MIS = "organisation.import_mis"
    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_RENAME = "organisation.rename"
    ORGANISATION_MOVE = "organisation.move"
    ORGANISATION_DISABLE = "organisation.disable"
    ORGANISATION_ENABLE = "organisation.enable"
    OPERATOR_CREATE = "operator.create"
    OPERATOR_ROLE = "operator.role"
    OPERATOR_DISABLE = "operator.disable"
    OPERATOR_ENABLE = "operator.enable"
    OPERATOR_PASSWORD_RESET = "operator.password"  # noqa: S105 - a code, not a password
    AGENT_CREATE = "agent.create"
    AGENT_EDIT = "agent.edit"
    AGENT_DISABLE = "agent.disable"
    AGENT_ENABLE = "agent.enable"
    COMMISSION_SET = "commission.set"
    PARAMETER_SET = "parameter.set"
    TERMINAL_ADD = "terminal.add"
    TERMINAL_DISABLE = "terminal.disable"
    TERMINAL_ENABLE = "terminal.enable"
    TERMINAL_ENROLMENT_CODE = "terminal.enrolment_code"
    TERMINAL_ENROL = "terminal.enrol"
    TERMINAL_SIGN_IN = "terminal.sign_in"
    TERMINAL_SIGN_OUT = "terminal.sign_out"
    TERMINAL_JOURNAL_REQUESTED = "terminal.journal_requested"
    TERMINAL_JOURNAL_UPLOADED = "terminal.journal_uploaded"
    TERMINAL_JOURNAL_DAMAGED = "terminal.journal_damaged"
    PAYMENT_COLLECT = "payment.collect"
    PAYMENT_OFFLINE = "payment.offline"
    PAYMENT_OFFLINE_CLOCK_IMPLAUSIBLE = "payment.offline_clock_implausible"
    PAYMENT_REVERSAL = "payment.reversal"
    PAYMENT_REVERSAL_TOMBSTONE = "payment.reversal_tombstone"
    PAYMENT_VOID = "payment.void"
    PAYMENT_CANCELLATION = "payment.cancellation"
    PAYMENT_UNDO_REQUEST_VOID = "payment_undo.request.void"
    PAYMENT_UNDO_REQUEST_CANCELLATION = "payment_undo.request.cancellation"
    PAYMENT_UNDO_APPROVE_VOID = "payment_undo.approve.void"
    PAYMENT_UNDO_APPROVE_CANCELLATION = "payment_undo.approve.cancellation"
    PAYMENT_UNDO_REJECT_VOID = "payment_undo.reject.void"
    PAYMENT_UNDO_REJECT_CANCELLATION = "payment_undo.reject.cancellation"
    BATCH_CLOSE = "batch.close"
    BATCH_UPLOAD = "batch.upload"
    FLOAT_TOPUP_REQUEST = "float_topup.request"
    FLOAT_TOPUP_APPROVE = "float_topup.approve"
    FLOAT_TOPUP_REJECT = "float_topup.reject"
    FLOAT_HOLD_PLACE = "float_hold.place"
    FLOAT_HOLD_RELEASE = "float_hold.release"
    HANDOVER_RECORD = "handover.record"
    OUTBOX_REQUEUE = "outbox.requeue"
    RECONCILIATION_IMPORT_FILE = "reconciliation.import_file"
    RECONCILIATION_RUN = "reconciliation.run"
    RECONCILIATION_REPAIR = "reconciliation.repair"
    RECONCILIATION_REPAIR_REFUSED = "reconciliation.repair_refused"
    RECONCILIATION_REQUEST = "reconciliation.request"
    RECONCILIATION_APPROVE = "reconciliation.approve"
    RECONCILIATION_REJECT = "reconciliation.reject"
    RECONCILIATION_CONFIRM_FROM_JOURNAL = "reconciliation.confirm_from_journal"
    DEMO_SETUP = "demo.setup"

    @property
    def family(self) -> str:
        """The code's first part with its full stop (``payment.``), as the search matches it."""
        return self.value.partition(".")[0] + "."


def action_families() -> tuple[str, ...]:
    """Every family of actions, in the order their first action is declared."""
    return tuple(dict.fromkeys(action.family for action in AuditAction))


# a payment undone (冲正, 撤销, 冲销), by the kind of its ledger event
PAYMENT_UNDONE: Final[Mapping[EventKind, AuditAction]] = {
    EventKind.REVERSAL: AuditAction.PAYMENT_REVERSAL,
    EventKind.VOID: AuditAction.PAYMENT_VOID,
    EventKind.CANCELLATION: AuditAction.PAYMENT_CANCELLATION,
}
# a request to undo a payment (void on its own day, cancellation after), by the request's kind
UNDO_REQUESTED: Final[Mapping[str, AuditAction]] = {
    "void": AuditAction.PAYMENT_UNDO_REQUEST_VOID,
    "cancellation": AuditAction.PAYMENT_UNDO_REQUEST_CANCELLATION,
}
UNDO_APPROVED: Final[Mapping[str, AuditAction]] = {
    "void": AuditAction.PAYMENT_UNDO_APPROVE_VOID,
    "cancellation": AuditAction.PAYMENT_UNDO_APPROVE_CANCELLATION,
}
UNDO_REJECTED: Final[Mapping[str, AuditAction]] = {
    "void": AuditAction.PAYMENT_UNDO_REJECT_VOID,
    "cancellation": AuditAction.PAYMENT_UNDO_REJECT_CANCELLATION,
}
