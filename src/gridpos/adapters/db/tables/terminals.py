"""POS terminals: enrolment, their keys, the replay guard, heartbeat and the open business day."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gridpos.adapters.db.tables._base import Id, UtcDateTime, metadata, one_of

TERMINAL_STATES = ("issued", "active", "disabled")

terminals = Table(
    "terminals",
    metadata,
    Column("id", Id, primary_key=True),
    Column("terminal_no", String(32), nullable=False),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=True),
    Column("state", String(16), nullable=False),
    # enrolment: a one-time code (only its hash is kept) gives the terminal its own key
    Column("enrolment_code_hash", String(255), nullable=True),
    Column("enrolment_expires_at", UtcDateTime, nullable=True),
    Column("key_material", LargeBinary, nullable=True),
    Column("key_version", Integer, nullable=False, server_default="0"),
    # replay guard: every signed request carries a counter above the last one accepted
    Column("last_counter", BigInteger, nullable=False, server_default="0"),
    Column("last_seen_at", UtcDateTime, nullable=True),
    # heartbeat
    Column("signal", Integer, nullable=True),
    Column("battery", Integer, nullable=True),
    Column("queue_depth", Integer, nullable=True),
    Column("program_version", String(32), nullable=True),
    # the open business day (签到 … 签退)
    Column("business_date", Date, nullable=True),
    Column("signed_in_operator_id", Id, ForeignKey("operators.id"), nullable=True),
    Column("signed_in_at", UtcDateTime, nullable=True),
    # a damaged terminal journal: the latest report (canonical JSON: problems, first_seq,
    # last_seq, kinds) and when it last changed; empty while the journal is intact (last, as
    # migration 0008 added them)
    Column("journal_damage", Text, nullable=True),
    Column("journal_damage_at", UtcDateTime, nullable=True),
    UniqueConstraint("terminal_no"),
    one_of("state", TERMINAL_STATES, name="state_known"),
    CheckConstraint("key_version >= 0", name="key_version_not_negative"),
    CheckConstraint("last_counter >= 0", name="last_counter_not_negative"),
    CheckConstraint("queue_depth IS NULL OR queue_depth >= 0", name="queue_depth_not_negative"),
    Index(None, "org_id"),
    Index(None, "agent_id"),
)
