"""批上送: the parts of a batch's detail a terminal has uploaded, kept until the last part arrives.

The differences are named once every part is in; the rows stay as the evidence they were
named from. A journal the company asked for (终端流水调阅) puts its rows here too, under the batch
each names, marked with the request (``journal_request_id``): reconciliation reads them as the
terminal's side whatever the batch's state, and a transaction is kept once per batch whichever
upload brought it.
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
    # the journal request that brought the row; None for the batch's own upload (批上送). No
    # foreign key: SQLite adds one to an existing table only by copying the table.
    Column("journal_request_id", Id, nullable=True),
    UniqueConstraint("batch_id", "txn_id"),
    CheckConstraint("cash > 0", name="cash_positive"),
)
