"""Indexes of the monitoring page, the audit log search and the receipt check.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

- ``audit_log``: the actor, the subject and the action each followed by ``occurred_at``, so a
  search by the start of one of them reads an index range in time order (on PostgreSQL the text
  column uses ``text_pattern_ops``: a prefix is a range whatever the collation);
- ``batch_differences``: the differences still open (partial), for the monitoring page's
  unbalanced batches and one-sided transactions;
- ``outbox``: the creation time of the rows still pending (partial), for the age of the MIS
  backlog without reading the delivered history;
- ``payments``: terminal and serial (流水号), for a receipt checked by hand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

AUDIT_COLUMNS = ("actor", "subject", "action")


def upgrade() -> None:
    for column in AUDIT_COLUMNS:
        op.create_index(
            op.f(f"ix_audit_log_{column}_occurred_at"),
            "audit_log",
            [column, "occurred_at"],
            postgresql_ops={column: "text_pattern_ops"},
        )
    op.create_index(
        "ix_batch_differences_open",
        "batch_differences",
        ["batch_id"],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )
    op.create_index(
        "ix_outbox_pending_created",
        "outbox",
        ["created_at"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        op.f("ix_payments_terminal_id_trace_no"), "payments", ["terminal_id", "trace_no"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_terminal_id_trace_no"), table_name="payments")
    op.drop_index("ix_outbox_pending_created", table_name="outbox")
    op.drop_index("ix_batch_differences_open", table_name="batch_differences")
    for column in reversed(AUDIT_COLUMNS):
        op.drop_index(op.f(f"ix_audit_log_{column}_occurred_at"), table_name="audit_log")
