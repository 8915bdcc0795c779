"""The web console's sessions (server-side, revocable) and the one-time tokens of its forms.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Written out in full, like 0001, so that it keeps its meaning when the tables in the code change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.CHAR(64), nullable=False),
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("last_seen_at", AT, nullable=False),
        sa.Column("expires_at", AT, nullable=False),
        sa.Column("revoked_at", AT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_console_sessions_operator_id_operators"),
        ),
    )
    op.create_index(op.f("ix_console_sessions_operator_id"), "console_sessions", ["operator_id"])
    op.create_table(
        "console_form_submissions",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), server_default=sa.text("''"), nullable=False),
        sa.Column("submitted_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_console_form_submissions")),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_console_form_submissions_operator_id_operators"),
        ),
    )
    op.create_index(
        op.f("ix_console_form_submissions_submitted_at"),
        "console_form_submissions",
        ["submitted_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_console_form_submissions_submitted_at"), table_name="console_form_submissions"
    )
    op.drop_table("console_form_submissions")
    op.drop_index(op.f("ix_console_sessions_operator_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
