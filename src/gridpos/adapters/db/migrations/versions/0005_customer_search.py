"""Indexes for finding customers in the console by the start of their number, name or address.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

On PostgreSQL each index uses ``text_pattern_ops``, so a prefix search (``~>=~`` / ``~<~``, or
``LIKE 'prefix%'``) is an index range scan whatever the database's collation; on SQLite a plain
index serves the same range comparisons (``>=`` / ``<``, byte order).
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("account_no", "name", "address")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(
            op.f(f"ix_customers_{column}"),
            "customers",
            [column],
            postgresql_ops={column: "text_pattern_ops"},
        )


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_index(op.f(f"ix_customers_{column}"), table_name="customers")
