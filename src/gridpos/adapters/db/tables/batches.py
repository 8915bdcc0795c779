"""Batches (扎帐): the terminal's totals against the company's, the cash counted, every difference.

A shortage or overage of cash is recorded with a note, never silently absorbed; every one-sided
or mismatched payment found at batch close gets its own ``batch_differences`` row.
"""

from __future__ import annotations

from sqlalchemy import (
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
    text,
)

from gridpos.adapters.db.tables._base import EMPTY, Fen, Id, UtcDateTime, metadata, one_of

BATCH_STATES = ("open", "balanced", "unbalanced")
DIFFERENCE_KINDS = ("terminal_only", "server_only", "amount_mismatch", "state_mismatch")
DIFFERENCE_STATES = ("open", "resolved")

batches = Table(
    "batches",
    metadata,
    Column("id", Id, primary_key=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("batch_no", Integer, nullable=False),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=True),
    Column("state", String(16), nullable=False, server_default="open"),
    Column("terminal_count", Integer, nullable=True),
    Column("terminal_amount", Fen, nullable=True),
    Column("server_count", Integer, nullable=True),
    Column("server_amount", Fen, nullable=True),
    Column("cash_counted", Fen, nullable=True),
    Column("cash_difference", Fen, nullable=True),  # counted - expected; < 0 is a shortage
    Column("note", Text, nullable=False, server_default=EMPTY),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    UniqueConstraint("terminal_id", "business_date", "batch_no"),
    one_of("state", BATCH_STATES, name="state_known"),
    CheckConstraint("batch_no >= 1", name="batch_no_positive"),
    CheckConstraint(
        "terminal_count >= 0 AND server_count >= 0 AND terminal_amount >= 0"
        " AND server_amount >= 0 AND cash_counted >= 0",
        name="totals_not_negative",
    ),
    CheckConstraint("(state = 'open') = (closed_at IS NULL)", name="closed_iff_not_open"),
    Index(None, "business_date", "state"),
)

batch_differences = Table(
    "batch_differences",
    metadata,
    Column("id", Id, primary_key=True),
    Column("batch_id", Id, ForeignKey("batches.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("txn_id", String(64), nullable=True),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=True),
    Column("terminal_amount", Fen, nullable=True),
    Column("server_amount", Fen, nullable=True),
    Column("state", String(16), nullable=False, server_default="open"),
    # no resolver when a safe rule repaired the difference automatically
    Column("resolved_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=False, server_default=EMPTY),
    one_of("kind", DIFFERENCE_KINDS, name="kind_known"),
    one_of("state", DIFFERENCE_STATES, name="state_known"),
    CheckConstraint(
        "(state = 'resolved') = (resolved_at IS NOT NULL)", name="resolved_iff_resolved_at"
    ),
    Index(None, "batch_id"),
    # the differences still open (a few among all ever found), for the monitoring page
    Index(
        "ix_batch_differences_open",
        "batch_id",
        postgresql_where=text("state = 'open'"),
        sqlite_where=text("state = 'open'"),
    ),
)
