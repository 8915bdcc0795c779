"""Requests to undo a confirmed payment from the console — a void (撤销, its own business day)
or a next-day cancellation (冲销) — awaiting a second person's decision (maker-checker).

Nothing moves while a request waits; the approval runs the payment's undo in the same
transaction. The database refuses a request decided by its own requester, and a second open
request for the same payment (the partial unique index).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    text,
)

from gridpos.adapters.db.tables._base import EMPTY, Id, UtcDateTime, metadata, one_of

UNDO_REQUEST_KINDS = ("void", "cancellation")
UNDO_REQUEST_STATES = ("requested", "approved", "rejected")

payment_undo_requests = Table(
    "payment_undo_requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False),
    # the business date the request was made on (a void is only for the payment's own day)
    Column("business_date", Date, nullable=False),
    Column("requested_by", Id, ForeignKey("operators.id"), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decision_note", Text, nullable=False, server_default=EMPTY),
    one_of("kind", UNDO_REQUEST_KINDS, name="kind_known"),
    one_of("state", UNDO_REQUEST_STATES, name="state_known"),
    # maker-checker: whoever asked for the undo is never the one who decides it
    CheckConstraint("decided_by <> requested_by", name="decided_by_not_requester"),
    CheckConstraint(
        "(state = 'requested') = (decided_by IS NULL AND decided_at IS NULL)",
        name="decided_iff_not_requested",
    ),
    Index(None, "payment_id"),
    # at most one request of a payment waits at a time
    Index(
        "ix_payment_undo_requests_open_payment",
        "payment_id",
        unique=True,
        postgresql_where=text("state = 'requested'"),
        sqlite_where=text("state = 'requested'"),
    ),
    # the requests still waiting (a few among all ever made), oldest first
    Index(
        "ix_payment_undo_requests_waiting",
        "requested_at",
        postgresql_where=text("state = 'requested'"),
        sqlite_where=text("state = 'requested'"),
    ),
)
