"""终端流水调阅: the company asks a terminal for its journal over a range of business dates.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

- ``journal_requests``: one request (terminal, range, who asked and when), pending until the
  terminal's upload is complete, then fulfilled (rows kept, rows naming no known batch) or
  damaged (the terminal's journal failed its hash-chain check; the report kept);
- ``journal_request_parts``: the parts of the upload received (with the rows each kept and the
  rows naming no known batch), so a part sent again is kept once;
- ``batch_upload_items.journal_request_id``: the request that brought an uploaded journal row
  (nullable, so adding it rewrites no row; no foreign key, which SQLite could only add by copying
  the table).

Written out in full, not importing the application's tables (the drift test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journal_requests",
        sa.Column("id", _ID, nullable=False),
        sa.Column("terminal_id", _ID, nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("requested_by", sa.String(160), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_kept", sa.Integer(), nullable=True),
        sa.Column("rows_unplaced", sa.Integer(), nullable=True),
        sa.Column("journal_damage", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'fulfilled', 'damaged')",
            name=op.f("ck_journal_requests_state_known"),
        ),
        sa.CheckConstraint("date_from <= date_to", name=op.f("ck_journal_requests_range_forward")),
        sa.CheckConstraint(
            "(state = 'pending') = (fulfilled_at IS NULL)",
            name=op.f("ck_journal_requests_fulfilled_iff_not_pending"),
        ),
        sa.CheckConstraint(
            "rows_kept >= 0 AND rows_unplaced >= 0",
            name=op.f("ck_journal_requests_rows_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_journal_requests_terminal_id_terminals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_requests")),
    )
    op.create_index(
        op.f("ix_journal_requests_terminal_id_state"), "journal_requests", ["terminal_id", "state"]
    )
    op.create_table(
        "journal_request_parts",
        sa.Column("request_id", _ID, nullable=False, autoincrement=False),
        sa.Column("part", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("rows_kept", sa.Integer(), nullable=False),
        sa.Column("rows_unplaced", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "part >= 1 AND part <= parts", name=op.f("ck_journal_request_parts_part_within_parts")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["journal_requests.id"],
            name=op.f("fk_journal_request_parts_request_id_journal_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", "part", name=op.f("pk_journal_request_parts")),
    )
    op.add_column("batch_upload_items", sa.Column("journal_request_id", _ID, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_upload_items") as batch:
        batch.drop_column("journal_request_id")
    op.drop_table("journal_request_parts")
    op.drop_index(op.f("ix_journal_requests_terminal_id_state"), table_name="journal_requests")
    op.drop_table("journal_requests")
