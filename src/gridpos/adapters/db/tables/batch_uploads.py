"""批上送: the parts of a batch's detail a terminal has uploaded, kept until the last part arrives.

The differences are named once every part is in; the rows stay as the evidence they were
named from.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)

from gridpos.adapters.db.tables._base import Fen, Id, UtcDateTime, metadata

batch_upload_parts = Table(
    "batch_upload_parts",
    metadata,
    Column("batch_id", Id, ForeignKey("batches.id"), primary_key=True, autoincrement=False),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("parts", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    CheckConstraint("part >= 1 AND part <= parts", name="part_within_parts"),
)

batch_upload_items = Table(
    "batch_upload_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("batch_id", Id, ForeignKey("batches.id"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("txn_id", String(64), nullable=False),
    Column("trace_no", BigInteger, nullable=False),
    Column("account_no", String(32), nullable=False),
    Column("cash", Fen, nullable=False),
    Column("state", String(16), nullable=False),
    Column("cash_time", UtcDateTime, nullable=False),
    Column("offline", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("batch_id", "txn_id"),
    CheckConstraint("cash > 0", name="cash_positive"),
)
