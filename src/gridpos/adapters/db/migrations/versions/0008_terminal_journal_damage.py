"""A terminal keeps the latest report of its damaged journal.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A terminal whose journal fails its hash-chain check at start reports it in the heartbeat; the
server keeps the report on the terminal's row for the console's monitoring:

- ``terminals.journal_damage``: the report as canonical JSON text (count of problems, first and
  last damaged sequence numbers, kinds), empty while the journal is intact;
- ``terminals.journal_damage_at``: when the stored report last changed.

Both nullable, so adding them rewrites no row. Written out in full, not importing the
application's tables (the drift test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("terminals", sa.Column("journal_damage", sa.Text(), nullable=True))
    op.add_column(
        "terminals", sa.Column("journal_damage_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("terminals", "journal_damage_at")
    op.drop_column("terminals", "journal_damage")
