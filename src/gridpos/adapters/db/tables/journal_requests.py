"""终端流水调阅: the company's requests for a terminal's journal over a range of business dates,
and the parts of each upload received.

A request waits (``pending``) until the terminal has sent every part; it is then ``fulfilled``
(the rows kept among the uploaded journal rows, ``batch_upload_items``, where reconciliation reads
the terminal's side) or ``damaged`` (the terminal's journal failed its hash-chain check: the
report is kept, the rows are not used).
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
)

from gridpos.adapters.db.tables._base import Id, UtcDateTime, metadata, one_of

JOURNAL_REQUEST_STATES = ("pending", "fulfilled", "damaged")

journal_requests = Table(
    "journal_requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=False),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("requested_by", String(160), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("parts", Integer, nullable=True),  # of the upload under way
    Column("fulfilled_at", UtcDateTime, nullable=True),
    Column("rows_kept", Integer, nullable=True),
    Column("rows_unplaced", Integer, nullable=True),  # rows naming a batch the server never had
    Column("journal_damage", Text, nullable=True),
    one_of("state", JOURNAL_REQUEST_STATES, name="state_known"),
    CheckConstraint("date_from <= date_to", name="range_forward"),
    CheckConstraint(
        "(state = 'pending') = (fulfilled_at IS NULL)", name="fulfilled_iff_not_pending"
    ),
    CheckConstraint("rows_kept >= 0 AND rows_unplaced >= 0", name="rows_not_negative"),
    Index(None, "terminal_id", "state"),
)

journal_request_parts = Table(
    "journal_request_parts",
    metadata,
    Column(
        "request_id",
        Id,
        ForeignKey("journal_requests.id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("parts", Integer, nullable=False),
    Column("rows_kept", Integer, nullable=False),
    Column("rows_unplaced", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    CheckConstraint("part >= 1 AND part <= parts", name="part_within_parts"),
)
