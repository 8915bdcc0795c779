"""Reconciliation (对账): runs, the MIS side they compare against, differences, the work queue
and its maker-checker resolutions, and agents' cash handovers (T+1).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- ``reconciliation_mis_loads`` / ``reconciliation_mis_lines``: the MIS side, loaded in bulk (the
  daily posting detail or reconciliation file read from the MIS, or a file imported by hand); one
  posting per payment id and load (unique index, also what the matching joins on);
- ``reconciliation_runs``: a run over a range of business dates and an organisation node, with
  the counts and totals of each side; one scheduled run per day (``schedule_key`` unique);
- ``reconciliation_items``: the work queue — one row per (transaction, sides, kind), with a
  ``version`` for conditional updates;
- ``reconciliation_differences``: what each run found, linked to its item;
- ``reconciliation_resolutions``: requests and decisions under maker-checker
  (``decided_by <> requested_by``), at most one waiting per item (partial unique index);
- ``cash_handovers``: the cash an agent handed over for a business date.

Written out in full, not importing the application's tables (the drift test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)
WAITING = sa.text("state = 'requested'")


def upgrade() -> None:
    op.create_table(
        "reconciliation_mis_loads",
        sa.Column("id", ID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("line_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("amount_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("other_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("other_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "source IN ('report', 'file', 'import', 'generated')",
            name=op.f("ck_reconciliation_mis_loads_source_known"),
        ),
        sa.CheckConstraint(
            "date_from <= date_to", name=op.f("ck_reconciliation_mis_loads_dates_in_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_mis_loads")),
    )
    op.create_table(
        "reconciliation_mis_lines",
        sa.Column("id", ID, nullable=False),
        sa.Column("load_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("account_no", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("penalty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("principal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("prepaid_net", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cash_date", sa.Date(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("collection_point_code", sa.String(length=64), nullable=False),
        sa.Column("terminal_no", sa.String(length=64), nullable=False),
        sa.Column("operator_code", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("undo_date", sa.Date(), nullable=True),
        sa.Column("terminal_id", ID, nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("org_path", sa.String(length=255), nullable=True),
        sa.CheckConstraint(
            "state IN ('posted', 'reversed', 'cancelled')",
            name=op.f("ck_reconciliation_mis_lines_state_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_reconciliation_mis_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["reconciliation_mis_loads.id"],
            name=op.f("fk_reconciliation_mis_lines_load_id_reconciliation_mis_loads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_mis_lines")),
    )
    op.create_index(
        op.f("ix_reconciliation_mis_lines_load_id_payment_id"),
        "reconciliation_mis_lines",
        ["load_id", "payment_id"],
        unique=True,
    )
    op.create_table(
        "cash_handovers",
        sa.Column("id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("covers_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_by", ID, nullable=False),
        sa.Column("recorded_at", AT, nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_cash_handovers_amount_positive")),
        sa.CheckConstraint(
            "received_on >= covers_date", name=op.f("ck_cash_handovers_received_after_covered_day")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_cash_handovers_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["operators.id"], name=op.f("fk_cash_handovers_received_by_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_handovers")),
    )
    op.create_index(
        op.f("ix_cash_handovers_agent_id_covers_date"),
        "cash_handovers",
        ["agent_id", "covers_date"],
        unique=False,
    )
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_code", sa.String(length=64), nullable=False),
        sa.Column("scope_name", sa.String(length=100), nullable=False),
        sa.Column("org_path", sa.String(length=255), nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("terminal_id", ID, nullable=True),
        sa.Column("mis_source", sa.String(length=16), nullable=False),
        sa.Column("mis_load_id", ID, nullable=True),
        sa.Column("mis_note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("schedule_key", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=128), nullable=False),
        sa.Column("started_at", AT, nullable=False),
        sa.Column("finished_at", AT, nullable=True),
        sa.Column("failure", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("previous_run_id", ID, nullable=True),
        sa.Column("terminal_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("terminal_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("terminal_undone_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("terminal_undone_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("attested_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attested_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("unreported_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unreported_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("company_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("company_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("company_undone_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("company_undone_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("mis_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("mis_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("mis_undone_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("mis_undone_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("matched_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("difference_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("open_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("repaired_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("new_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("again_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cleared_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "(state = 'running') = (finished_at IS NULL)",
            name=op.f("ck_reconciliation_runs_finished_iff_not_running"),
        ),
        sa.CheckConstraint(
            "mis_source IN ('report', 'file', 'import', 'generated', 'none')",
            name=op.f("ck_reconciliation_runs_mis_source_known"),
        ),
        sa.CheckConstraint(
            "origin IN ('command', 'console', 'schedule', 'import')",
            name=op.f("ck_reconciliation_runs_origin_known"),
        ),
        sa.CheckConstraint(
            "scope_kind IN ('organisation', 'agent', 'terminal')",
            name=op.f("ck_reconciliation_runs_scope_kind_known"),
        ),
        sa.CheckConstraint(
            "state IN ('running', 'done', 'failed')",
            name=op.f("ck_reconciliation_runs_state_known"),
        ),
        sa.CheckConstraint(
            "date_from <= date_to", name=op.f("ck_reconciliation_runs_dates_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_reconciliation_runs_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["mis_load_id"],
            ["reconciliation_mis_loads.id"],
            name=op.f("fk_reconciliation_runs_mis_load_id_reconciliation_mis_loads"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_runs_previous_run_id_reconciliation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_reconciliation_runs_terminal_id_terminals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
        sa.UniqueConstraint("schedule_key", name=op.f("uq_reconciliation_runs_schedule_key")),
    )
    op.create_index(
        op.f("ix_reconciliation_runs_date_from_date_to_scope_code"),
        "reconciliation_runs",
        ["date_from", "date_to", "scope_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reconciliation_runs_started_at"),
        "reconciliation_runs",
        ["started_at"],
        unique=False,
    )
    op.create_table(
        "reconciliation_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("sides", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("remedy", sa.String(length=24), nullable=False),
        sa.Column("safe", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reason", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("terminal_id", ID, nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("org_path", sa.String(length=255), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("account_no", sa.String(length=32), server_default=sa.text("''"), nullable=False),
        sa.Column("cash", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("signature", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_run_id", ID, nullable=False),
        sa.Column("last_run_id", ID, nullable=False),
        sa.Column("repairs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("resolved_by", ID, nullable=True),
        sa.Column("resolved_at", AT, nullable=True),
        sa.Column("updated_at", AT, nullable=False),
        sa.CheckConstraint(
            "kind IN ('terminal_only', 'company_only', 'mis_missing', 'mis_only', 'amount_differs', 'status_differs')",
            name=op.f("ck_reconciliation_items_kind_known"),
        ),
        sa.CheckConstraint(
            "sides IN ('terminal_company', 'company_mis')",
            name=op.f("ck_reconciliation_items_sides_known"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'awaiting', 'repaired', 'requested', 'resolved', 'written_off', 'cleared')",
            name=op.f("ck_reconciliation_items_state_known"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reconciliation_items_version_positive")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_reconciliation_items_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["first_run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_items_first_run_id_reconciliation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_items_last_run_id_reconciliation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_reconciliation_items_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["operators.id"],
            name=op.f("fk_reconciliation_items_resolved_by_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_reconciliation_items_terminal_id_terminals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_items")),
        sa.UniqueConstraint(
            "txn_id", "sides", "kind", name=op.f("uq_reconciliation_items_txn_id_sides_kind")
        ),
    )
    op.create_index(
        op.f("ix_reconciliation_items_business_date"),
        "reconciliation_items",
        ["business_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reconciliation_items_state_business_date"),
        "reconciliation_items",
        ["state", "business_date"],
        unique=False,
    )
    op.create_table(
        "reconciliation_differences",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("previous_id", ID, nullable=True),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("sides", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("remedy", sa.String(length=24), nullable=False),
        sa.Column("safe", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reason", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("terminal_id", ID, nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("org_path", sa.String(length=255), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("account_no", sa.String(length=32), server_default=sa.text("''"), nullable=False),
        sa.Column("coverage", sa.String(length=12), server_default=sa.text("''"), nullable=False),
        sa.Column("journal_cash", sa.BigInteger(), nullable=True),
        sa.Column("journal_state", sa.String(length=16), nullable=True),
        sa.Column("journal_offline", sa.Boolean(), nullable=True),
        sa.Column("company_cash", sa.BigInteger(), nullable=True),
        sa.Column("company_state", sa.String(length=16), nullable=True),
        sa.Column("company_state_mis", sa.String(length=16), nullable=True),
        sa.Column("company_mis_state", sa.String(length=16), nullable=True),
        sa.Column("mis_cash", sa.BigInteger(), nullable=True),
        sa.Column("mis_state", sa.String(length=16), nullable=True),
        sa.Column("mis_serial", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outcome_note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint(
            "change IN ('new', 'again', 'cleared')",
            name=op.f("ck_reconciliation_differences_change_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('terminal_only', 'company_only', 'mis_missing', 'mis_only', 'amount_differs', 'status_differs')",
            name=op.f("ck_reconciliation_differences_kind_known"),
        ),
        sa.CheckConstraint(
            "sides IN ('terminal_company', 'company_mis')",
            name=op.f("ck_reconciliation_differences_sides_known"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reconciliation_items.id"],
            name=op.f("fk_reconciliation_differences_item_id_reconciliation_items"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_reconciliation_differences_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_differences_run_id_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_differences")),
    )
    op.create_index(
        op.f("ix_reconciliation_differences_item_id"),
        "reconciliation_differences",
        ["item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reconciliation_differences_run_id_kind"),
        "reconciliation_differences",
        ["run_id", "kind"],
        unique=False,
    )
    op.create_table(
        "reconciliation_resolutions",
        sa.Column("id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", ID, nullable=False),
        sa.Column("requested_at", AT, nullable=False),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", AT, nullable=True),
        sa.Column("decision_note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("outcome", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint(
            "(state = 'requested') = (decided_by IS NULL AND decided_at IS NULL)",
            name=op.f("ck_reconciliation_resolutions_decided_iff_not_requested"),
        ),
        sa.CheckConstraint(
            "action IN ('reverse', 'cancel', 'confirm', 'write_off')",
            name=op.f("ck_reconciliation_resolutions_action_known"),
        ),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'rejected')",
            name=op.f("ck_reconciliation_resolutions_state_known"),
        ),
        sa.CheckConstraint(
            "decided_by <> requested_by",
            name=op.f("ck_reconciliation_resolutions_decided_by_not_requester"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["operators.id"],
            name=op.f("fk_reconciliation_resolutions_decided_by_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reconciliation_items.id"],
            name=op.f("fk_reconciliation_resolutions_item_id_reconciliation_items"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["operators.id"],
            name=op.f("fk_reconciliation_resolutions_requested_by_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_resolutions")),
    )
    op.create_index(
        op.f("ix_reconciliation_resolutions_item_id"),
        "reconciliation_resolutions",
        ["item_id"],
        unique=False,
    )
    op.create_index(
        "ix_reconciliation_resolutions_open_item",
        "reconciliation_resolutions",
        ["item_id"],
        unique=True,
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_reconciliation_resolutions_open_item",
        table_name="reconciliation_resolutions",
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )
    op.drop_index(
        op.f("ix_reconciliation_resolutions_item_id"), table_name="reconciliation_resolutions"
    )
    op.drop_table("reconciliation_resolutions")
    op.drop_index(
        op.f("ix_reconciliation_differences_run_id_kind"), table_name="reconciliation_differences"
    )
    op.drop_index(
        op.f("ix_reconciliation_differences_item_id"), table_name="reconciliation_differences"
    )
    op.drop_table("reconciliation_differences")
    op.drop_index(
        op.f("ix_reconciliation_items_state_business_date"), table_name="reconciliation_items"
    )
    op.drop_index(op.f("ix_reconciliation_items_business_date"), table_name="reconciliation_items")
    op.drop_table("reconciliation_items")
    op.drop_index(op.f("ix_reconciliation_runs_started_at"), table_name="reconciliation_runs")
    op.drop_index(
        op.f("ix_reconciliation_runs_date_from_date_to_scope_code"),
        table_name="reconciliation_runs",
    )
    op.drop_table("reconciliation_runs")
    op.drop_index(op.f("ix_cash_handovers_agent_id_covers_date"), table_name="cash_handovers")
    op.drop_table("cash_handovers")
    op.drop_index(
        op.f("ix_reconciliation_mis_lines_load_id_payment_id"),
        table_name="reconciliation_mis_lines",
    )
    op.drop_table("reconciliation_mis_lines")
    op.drop_table("reconciliation_mis_loads")
