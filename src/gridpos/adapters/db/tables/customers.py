"""Customers and their receivables: the replica of the MIS, plus the balances we keep for them.

The MIS owns names, addresses, categories and bills; we own ``prepaid``, ``rounding_credit`` and
each receivable's ``principal_paid`` / ``penalty_paid`` (kept balances of the ledger, see
:mod:`gridpos.domain.accounts`).
"""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from gridpos.adapters.db.tables._base import EMPTY, Fen, Id, UtcDateTime, metadata, one_of, yyyymm
from gridpos.domain.categories import CustomerCategory

SETTLE_STATES = ("unpaid", "partial", "settled")

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("account_no", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("address", String(255), nullable=False, server_default=EMPTY),
    Column("category", String(20), nullable=False),
    Column("station_org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("segment", String(32), nullable=True),  # 抄表段
    Column("prepaid", Fen, nullable=False, server_default="0"),
    Column("rounding_credit", Fen, nullable=False, server_default="0"),
    Column("mis_updated_at", UtcDateTime, nullable=True),
    Column("mis_status", String(16), nullable=True),  # active / closed, as the MIS last said
    UniqueConstraint("account_no"),
    one_of("category", [c.value for c in CustomerCategory], name="category_known"),
    CheckConstraint("prepaid >= 0", name="prepaid_not_negative"),
    CheckConstraint("rounding_credit >= 0", name="rounding_credit_not_negative"),
    Index(None, "station_org_id", "segment"),
    # the console's prefix searches (migration 0005): range scans on PostgreSQL whatever the
    # collation, plain indexes on SQLite
    Index(None, "account_no", postgresql_ops={"account_no": "text_pattern_ops"}),
    Index(None, "name", postgresql_ops={"name": "text_pattern_ops"}),
    Index(None, "address", postgresql_ops={"address": "text_pattern_ops"}),
)

receivables = Table(
    "receivables",
    metadata,
    Column("id", Id, primary_key=True),
    Column("mis_receivable_id", String(64), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False),
    Column("period", CHAR(6), nullable=False),  # 电费年月, YYYYMM
    Column("run_no", Integer, nullable=False, server_default="1"),  # 电费次数
    Column("kwh", BigInteger, nullable=False, server_default="0"),
    Column("principal", Fen, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("principal_paid", Fen, nullable=False, server_default="0"),
    Column("penalty_paid", Fen, nullable=False, server_default="0"),
    Column("settle_state", String(16), nullable=False, server_default="unpaid"),
    Column("mis_updated_at", UtcDateTime, nullable=True),
    # the bill and what was paid on it as the MIS last said (every channel, ours included);
    # ``principal`` is the bill less what was paid through other channels (application.mis_sync)
    Column("mis_principal", Fen, nullable=True),
    Column("mis_principal_paid", Fen, nullable=True),
    UniqueConstraint("mis_receivable_id"),
    UniqueConstraint("customer_id", "period", "run_no"),
    CheckConstraint("principal >= 0", name="principal_not_negative"),
    CheckConstraint(
        "principal_paid >= 0 AND principal_paid <= principal", name="principal_paid_within"
    ),
    CheckConstraint("penalty_paid >= 0", name="penalty_paid_not_negative"),
    CheckConstraint("run_no >= 1", name="run_no_positive"),
    CheckConstraint("kwh >= 0", name="kwh_not_negative"),
    CheckConstraint(yyyymm("period"), name="period_yyyymm"),
    one_of("settle_state", SETTLE_STATES, name="settle_state_known"),
)

sync_watermarks = Table(
    "sync_watermarks",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("watermark", String(255), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
