"""The receipt (电费收据) each payment was answered with, kept so a repeat answers the same bytes.

A payment resent over a dropped link, asked for by status or reprinted is answered from this row
(its state taken from ``payments``), so the answer never depends on what changed since: a
receivable settled later, a renamed station, a moved float.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Table, Text

from gridpos.adapters.db.tables._base import Id, metadata

payment_receipts = Table(
    "payment_receipts",
    metadata,
    Column("payment_id", Id, ForeignKey("payments.id"), primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),  # the answer's compact JSON (protocol codec)
)
