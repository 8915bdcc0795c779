"""Agents (代理商) and their floats: the kept balances, top-ups under maker-checker, offline holds.

``float_available``, ``float_held`` and ``commission_accrued`` are kept balances of the ledger
(see :mod:`gridpos.domain.accounts`); the database refuses any of them below zero.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from gridpos.adapters.db.tables._base import EMPTY, Fen, Id, UtcDateTime, metadata, one_of

TOPUP_STATES = ("requested", "approved", "rejected")
HOLD_STATES = ("open", "closed")

agents = Table(
    "agents",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("float_available", Fen, nullable=False, server_default="0"),
    Column("float_held", Fen, nullable=False, server_default="0"),
    Column("commission_accrued", Fen, nullable=False, server_default="0"),
    Column("low_float_alert", Fen, nullable=False, server_default="0"),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("code"),
    CheckConstraint("float_available >= 0", name="float_available_not_negative"),
    CheckConstraint("float_held >= 0", name="float_held_not_negative"),
    CheckConstraint("commission_accrued >= 0", name="commission_accrued_not_negative"),
    CheckConstraint("low_float_alert >= 0", name="low_float_alert_not_negative"),
    Index(None, "org_id"),
)

float_topups = Table(
    "float_topups",
    metadata,
    Column("id", Id, primary_key=True),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=False),
    Column("amount", Fen, nullable=False),
    Column("state", String(16), nullable=False),
    Column("requested_by", Id, ForeignKey("operators.id"), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=False, server_default=EMPTY),
    CheckConstraint("amount > 0", name="amount_positive"),
    one_of("state", TOPUP_STATES, name="state_known"),
    # maker-checker: whoever asked for the money is never the one who approves it
    CheckConstraint("decided_by <> requested_by", name="decided_by_not_requester"),
    CheckConstraint(
        "(state = 'requested') = (decided_by IS NULL)", name="decided_iff_not_requested"
    ),
    Index(None, "agent_id", "state"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Id, primary_key=True),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=False),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("amount", Fen, nullable=False),
    Column("used", Fen, nullable=False, server_default="0"),
    Column("released", Fen, nullable=False, server_default="0"),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("used >= 0", name="used_not_negative"),
    CheckConstraint("released >= 0", name="released_not_negative"),
    CheckConstraint("used + released <= amount", name="within_amount"),
    one_of("state", HOLD_STATES, name="state_known"),
    Index(None, "agent_id", "state"),
    Index(None, "terminal_id", "business_date"),
)
