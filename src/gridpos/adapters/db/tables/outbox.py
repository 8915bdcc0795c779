"""The transactional outbox: messages written in the same transaction as the change they announce.

The worker picks due ``pending`` rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) in the order of
``next_attempt_at``; the partial index serves exactly that query and stays small however much
history the table keeps.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, Text, text

from gridpos.adapters.db.tables._base import Id, UtcDateTime, metadata, one_of

OUTBOX_STATES = ("pending", "sent", "dead")

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True),
    Column("topic", String(64), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # JSON text
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    one_of("state", OUTBOX_STATES, name="state_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_iff_sent_at"),
    Index(
        "ix_outbox_pending_due",
        "next_attempt_at",
        "id",
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    ),
    Index(None, "topic", "aggregate_id"),
    # the oldest row still waiting, for the backlog's age on the monitoring page
    Index(
        "ix_outbox_pending_created",
        "created_at",
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    ),
)
