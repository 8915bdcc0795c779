"""The MIS replica remembers what the MIS last said: a customer's status, and each receivable's
bill and what was paid on it through every channel.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Nullable columns only, so that on SQLite they are plain ``ADD COLUMN`` (no table rebuild) and rows
written before the first sync simply have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("mis_status", sa.String(16), nullable=True))
    op.add_column("receivables", sa.Column("mis_principal", sa.BigInteger(), nullable=True))
    op.add_column("receivables", sa.Column("mis_principal_paid", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("receivables") as batch:
        batch.drop_column("mis_principal_paid")
        batch.drop_column("mis_principal")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("mis_status")
