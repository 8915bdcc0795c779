"""The terminal API's own records: the receipt each payment was answered with, and the parts of
a batch's detail upload (批上送).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Written out in full, like 0001, so that it keeps its meaning when the tables in the code change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_receipts",
        sa.Column("payment_id", ID, autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_payment_receipts")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_receipts_payment_id_payments")
        ),
    )
    op.create_table(
        "batch_upload_parts",
        sa.Column("batch_id", ID, autoincrement=False, nullable=False),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("received_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "part", name=op.f("pk_batch_upload_parts")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_upload_parts_batch_id_batches")
        ),
        sa.CheckConstraint(
            "part >= 1 AND part <= parts", name=op.f("ck_batch_upload_parts_part_within_parts")
        ),
    )
    op.create_table(
        "batch_upload_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("txn_id", sa.String(64), nullable=False),
        sa.Column("trace_no", sa.BigInteger(), nullable=False),
        sa.Column("account_no", sa.String(32), nullable=False),
        sa.Column("cash", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cash_time", AT, nullable=False),
        sa.Column("offline", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_upload_items")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_upload_items_batch_id_batches")
        ),
        sa.UniqueConstraint(
            "batch_id", "txn_id", name=op.f("uq_batch_upload_items_batch_id_txn_id")
        ),
        sa.CheckConstraint("cash > 0", name=op.f("ck_batch_upload_items_cash_positive")),
    )


def downgrade() -> None:
    for table in ("batch_upload_items", "batch_upload_parts", "payment_receipts"):
        op.drop_table(table)
