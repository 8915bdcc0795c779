"""Names of roles, organisation levels and the audit log's actions, as message ids translated
where shown."""

from __future__ import annotations

from gridpos.domain.audit import AuditAction
from gridpos.interfaces.console.i18n import N_

ROLE_LABELS = {
    "admin": N_("Company admin"),
    "finance": N_("Finance"),
    "station_head": N_("Station head"),
    "station_staff": N_("Station staff"),
    "auditor": N_("Auditor"),
    "agent": N_("Agent"),
}
LEVEL_LABELS = {
    "province": N_("Provincial company"),
    "city": N_("City company"),
    "county": N_("County company"),
    "station": N_("Supply station"),
    "collection_point": N_("Collection point"),
}


# what each action of the audit log did, by its code; an action without one (written by a later
# version) is shown by its code alone
ACTION_LABELS: dict[str, str] = {
    AuditAction.CONSOLE_SIGN_IN: N_("Signed in to the console"),
    AuditAction.CONSOLE_SIGN_OUT: N_("Signed out of the console"),
    AuditAction.ORGANISATION_IMPORT_MIS: N_("Organisations imported from the MIS"),
    AuditAction.ORGANISATION_CREATE: N_("Organisation added"),
    AuditAction.ORGANISATION_RENAME: N_("Organisation renamed"),
    AuditAction.ORGANISATION_MOVE: N_("Organisation moved in the tree"),
    AuditAction.ORGANISATION_DISABLE: N_("Organisation disabled"),
    AuditAction.ORGANISATION_ENABLE: N_("Organisation enabled again"),
    AuditAction.OPERATOR_CREATE: N_("Operator added"),
    AuditAction.OPERATOR_ROLE: N_("Operator's role changed"),
    AuditAction.OPERATOR_DISABLE: N_("Operator disabled"),
    AuditAction.OPERATOR_ENABLE: N_("Operator enabled again"),
    AuditAction.OPERATOR_PASSWORD_RESET: N_("Operator's password reset"),
    AuditAction.AGENT_CREATE: N_("Agent added"),
    AuditAction.AGENT_EDIT: N_("Agent's details changed"),
    AuditAction.AGENT_DISABLE: N_("Agent disabled"),
    AuditAction.AGENT_ENABLE: N_("Agent enabled again"),
    AuditAction.COMMISSION_SET: N_("Agents' commission set"),
    AuditAction.PARAMETER_SET: N_("Parameters changed"),
    AuditAction.TERMINAL_ADD: N_("Terminal added"),
    AuditAction.TERMINAL_DISABLE: N_("Terminal disabled"),
    AuditAction.TERMINAL_ENABLE: N_("Terminal enabled again"),
    AuditAction.TERMINAL_ENROLMENT_CODE: N_("Enrolment code made"),
    AuditAction.TERMINAL_ENROL: N_("Terminal enrolled"),
    AuditAction.TERMINAL_SIGN_IN: N_("Terminal signed in"),
    AuditAction.TERMINAL_SIGN_OUT: N_("Terminal signed out"),
    AuditAction.TERMINAL_JOURNAL_REQUESTED: N_("Terminal's journal asked for"),
    AuditAction.TERMINAL_JOURNAL_UPLOADED: N_("Terminal's journal uploaded"),
    AuditAction.TERMINAL_JOURNAL_DAMAGED: N_("Terminal reported its journal damaged"),
    AuditAction.PAYMENT_COLLECT: N_("Payment collected"),
    AuditAction.PAYMENT_OFFLINE: N_("Payment collected offline"),
    AuditAction.PAYMENT_OFFLINE_CLOCK_IMPLAUSIBLE: N_(
        "Offline payment with an implausible terminal clock"
    ),
    AuditAction.PAYMENT_REVERSAL: N_("Payment reversed"),
    AuditAction.PAYMENT_REVERSAL_TOMBSTONE: N_("Reversal of a payment never received"),
    AuditAction.PAYMENT_VOID: N_("Payment voided"),
    AuditAction.PAYMENT_CANCELLATION: N_("Payment cancelled after its day"),
    AuditAction.PAYMENT_UNDO_REQUEST_VOID: N_("Void requested"),
    AuditAction.PAYMENT_UNDO_REQUEST_CANCELLATION: N_("Cancellation requested"),
    AuditAction.PAYMENT_UNDO_APPROVE_VOID: N_("Void approved"),
    AuditAction.PAYMENT_UNDO_APPROVE_CANCELLATION: N_("Cancellation approved"),
    AuditAction.PAYMENT_UNDO_REJECT_VOID: N_("Void request rejected"),
    AuditAction.PAYMENT_UNDO_REJECT_CANCELLATION: N_("Cancellation request rejected"),
    AuditAction.BATCH_CLOSE: N_("Batch closed"),
    AuditAction.BATCH_UPLOAD: N_("Batch uploaded"),
    AuditAction.FLOAT_TOPUP_REQUEST: N_("Float top-up requested"),
    AuditAction.FLOAT_TOPUP_APPROVE: N_("Float top-up approved"),
    AuditAction.FLOAT_TOPUP_REJECT: N_("Float top-up rejected"),
    AuditAction.FLOAT_HOLD_PLACE: N_("Offline allowance held"),
    AuditAction.FLOAT_HOLD_RELEASE: N_("Offline allowance released"),
    AuditAction.HANDOVER_RECORD: N_("Cash handover recorded"),
    AuditAction.OUTBOX_REQUEUE: N_("Messages to the MIS sent again"),
    AuditAction.RECONCILIATION_IMPORT_FILE: N_("Reconciliation file imported"),
    AuditAction.RECONCILIATION_RUN: N_("Reconciliation carried out"),
    AuditAction.RECONCILIATION_REPAIR: N_("Difference repaired automatically"),
    AuditAction.RECONCILIATION_REPAIR_REFUSED: N_("Automatic repair refused"),
    AuditAction.RECONCILIATION_REQUEST: N_("Difference handling requested"),
    AuditAction.RECONCILIATION_APPROVE: N_("Difference handling approved"),
    AuditAction.RECONCILIATION_REJECT: N_("Difference handling rejected"),
    AuditAction.RECONCILIATION_CONFIRM_FROM_JOURNAL: N_(
        "Payment confirmed from the terminal's journal"
    ),
    AuditAction.DEMO_SETUP: N_("Demo data set up"),
}
# the families of actions the log's search offers (a family matches all its actions)
ACTION_FAMILY_LABELS: dict[str, str] = {
    "console.": N_("Console sign-ins"),
    "organisation.": N_("Organisations"),
    "operator.": N_("Operators and roles"),
    "agent.": N_("Agents"),
    "commission.": N_("Commission"),
    "parameter.": N_("Parameters"),
    "terminal.": N_("POS terminals"),
    "payment.": N_("Payments, reversals, voids and cancellations"),
    "payment_undo.": N_("Requests to void or cancel a payment"),
    "batch.": N_("Batch closing and upload"),
    "float_topup.": N_("Float top-ups"),
    "float_hold.": N_("Offline allowances held and released"),
    "handover.": N_("Cash handovers"),
    "outbox.": N_("Messages to the MIS"),
    "reconciliation.": N_("Reconciliation and differences"),
    "demo.": N_("Demo data"),
}


def action_label(action: str) -> str | None:
    """The message id naming the audit log's ``action``, or None for a code without one."""
    return ACTION_LABELS.get(action)


def role_label(role: str) -> str:
    """The message id naming ``role`` (the role itself if unknown)."""
    return ROLE_LABELS.get(str(role), str(role))


def level_label(level: str) -> str:
    """The message id naming an organisation ``level``."""
    return LEVEL_LABELS.get(level, level)
