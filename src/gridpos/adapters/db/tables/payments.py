"""Payments, how each was allocated over receivables, their undos, and reversal tombstones.

``unique (terminal_id, txn_id)`` is the exactly-once guard: a payment resent over a dropped link
finds its first copy instead of becoming a second one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from gridpos.adapters.db.tables._base import EMPTY, Fen, Id, UtcDateTime, metadata, one_of
from gridpos.domain.payment_state import PaymentState

MIS_STATES = ("none", "pending", "posted", "failed", "undo_pending", "undone")
UNDO_KINDS = ("reversal", "void", "cancellation")

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    Column("txn_id", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("trace_no", BigInteger, nullable=False),  # 流水号
    Column("batch_no", Integer, nullable=True),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=False),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),  # collection point
    Column("business_date", Date, nullable=False),
    Column("cash_time", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("cash", Fen, nullable=False),
    Column("rounding_up", Fen, nullable=False, server_default="0"),
    Column("prepaid_before", Fen, nullable=False, server_default="0"),
    Column("prepaid_used", Fen, nullable=False, server_default="0"),
    Column("prepaid_added", Fen, nullable=False, server_default="0"),
    Column("rounding_before", Fen, nullable=False, server_default="0"),
    Column("rounding_used", Fen, nullable=False, server_default="0"),
    Column("rounding_added", Fen, nullable=False, server_default="0"),
    Column("penalty_total", Fen, nullable=False, server_default="0"),
    Column("principal_total", Fen, nullable=False, server_default="0"),
    Column("state", String(16), nullable=False),
    Column("offline", Boolean, nullable=False, server_default=false()),
    Column("verification_code", String(32), nullable=True),
    Column("mis_state", String(16), nullable=False, server_default="none"),
    UniqueConstraint("terminal_id", "txn_id"),
    CheckConstraint("cash > 0", name="cash_positive"),
    CheckConstraint(
        "rounding_up >= 0 AND prepaid_before >= 0 AND prepaid_used >= 0 AND prepaid_added >= 0"
        " AND rounding_before >= 0 AND rounding_used >= 0 AND rounding_added >= 0"
        " AND penalty_total >= 0 AND principal_total >= 0",
        name="amounts_not_negative",
    ),
    CheckConstraint(
        "prepaid_used <= prepaid_before AND rounding_used <= rounding_before",
        name="credits_used_within",
    ),
    # not a fen created or lost: what came in is what was paid or kept as credit
    CheckConstraint(
        "cash + prepaid_used + rounding_used"
        " = penalty_total + principal_total + prepaid_added + rounding_added",
        name="money_conserved",
    ),
    one_of("state", [s.value for s in PaymentState], name="state_known"),
    one_of("mis_state", MIS_STATES, name="mis_state_known"),
    Index(None, "customer_id"),
    Index(None, "agent_id", "business_date"),
    Index(None, "org_id", "business_date"),
    Index(None, "business_date", "terminal_id"),
    Index(None, "terminal_id", "trace_no"),  # a receipt checked by its serial (流水号)
    # the console's payment list in keyset pages, and the few payments not confirmed (0009)
    Index(None, "business_date", "id"),
    Index(
        "ix_payments_not_confirmed",
        "business_date",
        "id",
        postgresql_where=text("state <> 'confirmed'"),
        sqlite_where=text("state <> 'confirmed'"),
    ),
)

payment_allocations = Table(
    "payment_allocations",
    metadata,
    Column("payment_id", Id, ForeignKey("payments.id"), primary_key=True),
    Column("receivable_id", Id, ForeignKey("receivables.id"), primary_key=True),
    Column("penalty_paid", Fen, nullable=False, server_default="0"),
    Column("principal_paid", Fen, nullable=False, server_default="0"),
    CheckConstraint("penalty_paid >= 0", name="penalty_paid_not_negative"),
    CheckConstraint("principal_paid >= 0", name="principal_paid_not_negative"),
    Index(None, "receivable_id"),
)

payment_undos = Table(
    "payment_undos",
    metadata,
    Column("id", Id, primary_key=True),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("requested_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("approved_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("reason", Text, nullable=False, server_default=EMPTY),
    Column("business_date", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("payment_id"),  # a payment is undone at most once
    one_of("kind", UNDO_KINDS, name="kind_known"),
    CheckConstraint("approved_by <> requested_by", name="approved_by_not_requester"),
)

reversal_tombstones = Table(
    "reversal_tombstones",
    metadata,
    Column("id", Id, primary_key=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    Column("txn_id", String(64), nullable=False),
    Column("trace_no", BigInteger, nullable=True),
    Column("amount", Fen, nullable=True),
    Column("business_date", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("terminal_id", "txn_id"),
)
