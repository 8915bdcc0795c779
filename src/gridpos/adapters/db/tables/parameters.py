"""Dated parameters: a setting's value from a date on (tariffs, penalty rates, commission, limits).

The value in force on a day is the row with the latest ``valid_from`` not after that day.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, String, Table, Text

from gridpos.adapters.db.tables._base import metadata

parameters = Table(
    "parameters",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("value", Text, nullable=False),  # JSON text
)
