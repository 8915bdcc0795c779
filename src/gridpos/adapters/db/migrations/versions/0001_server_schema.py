"""The server schema: organisations, people, terminals, customers, payments, ledger, batches,
outbox and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Written out in full (not importing the application's tables) so that this revision keeps meaning
what it meant when the application's tables change; the drift test compares the two. Every name
is final (``op.f``): Alembic would otherwise run the check names through the tables' naming
convention a second time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FEN = sa.BigInteger()
AT = sa.DateTime(timezone=True)
EMPTY = sa.text("''")


_DIGITS = ", ".join(f"'{d}'" for d in range(10))
_MONTHS = ", ".join(f"'{m:02d}'" for m in range(1, 13))
_YYYYMM = (
    "length(period) = 6 AND substr(period, 1, 1) IN ('1', '2')"
    f" AND substr(period, 2, 1) IN ({_DIGITS}) AND substr(period, 3, 1) IN ({_DIGITS})"
    f" AND substr(period, 4, 1) IN ({_DIGITS}) AND substr(period, 5, 2) IN ({_MONTHS})"
)


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, nullable=False)


def _ref(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, ID, nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def _uq(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _one_of(table: str, name: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return _ck(table, name, f"{column} IN ({quoted})")


def _ix(table: str, *columns: str, **kw: Any) -> sa.Index:
    return sa.Index(op.f(f"ix_{table}_{'_'.join(columns)}"), *columns, **kw)


def _fen(name: str, *, default: bool = True, nullable: bool = False) -> sa.Column[int]:
    if default:
        return sa.Column(name, FEN, server_default="0", nullable=nullable)
    return sa.Column(name, FEN, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "organisations",
        _id(),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _ref("parent_id", nullable=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        _pk("organisations"),
        _fk("organisations", "parent_id", "organisations"),
        _uq("organisations", "code"),
        _one_of(
            "organisations",
            "level_known",
            "level",
            ("province", "city", "county", "station", "collection_point"),
        ),
        _ix("organisations", "parent_id"),
        _ix("organisations", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )
    op.create_table(
        "agents",
        _id(),
        _ref("org_id"),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        _fen("float_available"),
        _fen("float_held"),
        _fen("commission_accrued"),
        _fen("low_float_alert"),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        _pk("agents"),
        _fk("agents", "org_id", "organisations"),
        _uq("agents", "code"),
        _ck("agents", "float_available_not_negative", "float_available >= 0"),
        _ck("agents", "float_held_not_negative", "float_held >= 0"),
        _ck("agents", "commission_accrued_not_negative", "commission_accrued >= 0"),
        _ck("agents", "low_float_alert_not_negative", "low_float_alert >= 0"),
        _ix("agents", "org_id"),
    )
    op.create_table(
        "operators",
        _id(),
        _ref("org_id"),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        _ref("agent_id", nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", AT, nullable=True),
        _pk("operators"),
        _fk("operators", "org_id", "organisations"),
        _fk("operators", "agent_id", "agents"),
        _uq("operators", "org_id", "account"),
        _one_of(
            "operators",
            "role_known",
            "role",
            ("admin", "finance", "station_head", "station_staff", "auditor", "agent"),
        ),
        _ck("operators", "agent_role_has_agent", "role <> 'agent' OR agent_id IS NOT NULL"),
        _ck("operators", "failed_attempts_not_negative", "failed_attempts >= 0"),
        _ix("operators", "agent_id"),
    )
    op.create_table(
        "terminals",
        _id(),
        sa.Column("terminal_no", sa.String(32), nullable=False),
        _ref("org_id"),
        _ref("agent_id", nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("enrolment_code_hash", sa.String(255), nullable=True),
        sa.Column("enrolment_expires_at", AT, nullable=True),
        sa.Column("key_material", sa.LargeBinary(), nullable=True),
        sa.Column("key_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_counter", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_seen_at", AT, nullable=True),
        sa.Column("signal", sa.Integer(), nullable=True),
        sa.Column("battery", sa.Integer(), nullable=True),
        sa.Column("queue_depth", sa.Integer(), nullable=True),
        sa.Column("program_version", sa.String(32), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=True),
        _ref("signed_in_operator_id", nullable=True),
        sa.Column("signed_in_at", AT, nullable=True),
        _pk("terminals"),
        _fk("terminals", "org_id", "organisations"),
        _fk("terminals", "agent_id", "agents"),
        _fk("terminals", "signed_in_operator_id", "operators"),
        _uq("terminals", "terminal_no"),
        _one_of("terminals", "state_known", "state", ("issued", "active", "disabled")),
        _ck("terminals", "key_version_not_negative", "key_version >= 0"),
        _ck("terminals", "last_counter_not_negative", "last_counter >= 0"),
        _ck("terminals", "queue_depth_not_negative", "queue_depth IS NULL OR queue_depth >= 0"),
        _ix("terminals", "org_id"),
        _ix("terminals", "agent_id"),
    )
    op.create_table(
        "customers",
        _id(),
        sa.Column("account_no", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("address", sa.String(255), server_default=EMPTY, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        _ref("station_org_id"),
        sa.Column("segment", sa.String(32), nullable=True),
        _fen("prepaid"),
        _fen("rounding_credit"),
        sa.Column("mis_updated_at", AT, nullable=True),
        _pk("customers"),
        _fk("customers", "station_org_id", "organisations"),
        _uq("customers", "account_no"),
        _one_of(
            "customers",
            "category_known",
            "category",
            ("residential", "shared_meter", "subsidised", "non_residential"),
        ),
        _ck("customers", "prepaid_not_negative", "prepaid >= 0"),
        _ck("customers", "rounding_credit_not_negative", "rounding_credit >= 0"),
        _ix("customers", "station_org_id", "segment"),
    )
    op.create_table(
        "receivables",
        _id(),
        sa.Column("mis_receivable_id", sa.String(64), nullable=False),
        _ref("customer_id"),
        sa.Column("period", sa.CHAR(6), nullable=False),
        sa.Column("run_no", sa.Integer(), server_default="1", nullable=False),
        sa.Column("kwh", sa.BigInteger(), server_default="0", nullable=False),
        _fen("principal", default=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        _fen("principal_paid"),
        _fen("penalty_paid"),
        sa.Column("settle_state", sa.String(16), server_default="unpaid", nullable=False),
        sa.Column("mis_updated_at", AT, nullable=True),
        _pk("receivables"),
        _fk("receivables", "customer_id", "customers"),
        _uq("receivables", "mis_receivable_id"),
        _uq("receivables", "customer_id", "period", "run_no"),
        _ck("receivables", "principal_not_negative", "principal >= 0"),
        _ck(
            "receivables",
            "principal_paid_within",
            "principal_paid >= 0 AND principal_paid <= principal",
        ),
        _ck("receivables", "penalty_paid_not_negative", "penalty_paid >= 0"),
        _ck("receivables", "run_no_positive", "run_no >= 1"),
        _ck("receivables", "kwh_not_negative", "kwh >= 0"),
        _ck("receivables", "period_yyyymm", _YYYYMM),
        _one_of(
            "receivables", "settle_state_known", "settle_state", ("unpaid", "partial", "settled")
        ),
    )
    op.create_table(
        "sync_watermarks",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("watermark", sa.String(255), nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        _pk("sync_watermarks", "source"),
    )
    op.create_table(
        "float_topups",
        _id(),
        _ref("agent_id"),
        _fen("amount", default=False),
        sa.Column("state", sa.String(16), nullable=False),
        _ref("requested_by"),
        sa.Column("requested_at", AT, nullable=False),
        _ref("decided_by", nullable=True),
        sa.Column("decided_at", AT, nullable=True),
        sa.Column("note", sa.Text(), server_default=EMPTY, nullable=False),
        _pk("float_topups"),
        _fk("float_topups", "agent_id", "agents"),
        _fk("float_topups", "requested_by", "operators"),
        _fk("float_topups", "decided_by", "operators"),
        _ck("float_topups", "amount_positive", "amount > 0"),
        _one_of("float_topups", "state_known", "state", ("requested", "approved", "rejected")),
        _ck("float_topups", "decided_by_not_requester", "decided_by <> requested_by"),
        _ck(
            "float_topups",
            "decided_iff_not_requested",
            "(state = 'requested') = (decided_by IS NULL)",
        ),
        _ix("float_topups", "agent_id", "state"),
    )
    op.create_table(
        "holds",
        _id(),
        _ref("agent_id"),
        _ref("terminal_id"),
        sa.Column("business_date", sa.Date(), nullable=False),
        _fen("amount", default=False),
        _fen("used"),
        _fen("released"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("closed_at", AT, nullable=True),
        _pk("holds"),
        _fk("holds", "agent_id", "agents"),
        _fk("holds", "terminal_id", "terminals"),
        _ck("holds", "amount_positive", "amount > 0"),
        _ck("holds", "used_not_negative", "used >= 0"),
        _ck("holds", "released_not_negative", "released >= 0"),
        _ck("holds", "within_amount", "used + released <= amount"),
        _one_of("holds", "state_known", "state", ("open", "closed")),
        _ix("holds", "agent_id", "state"),
        _ix("holds", "terminal_id", "business_date"),
    )
    op.create_table(
        "payments",
        _id(),
        _ref("terminal_id"),
        sa.Column("txn_id", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("trace_no", sa.BigInteger(), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=True),
        _ref("agent_id"),
        _ref("operator_id"),
        _ref("customer_id"),
        _ref("org_id"),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("cash_time", AT, nullable=False),
        sa.Column("recorded_at", AT, nullable=False),
        _fen("cash", default=False),
        _fen("rounding_up"),
        _fen("prepaid_before"),
        _fen("prepaid_used"),
        _fen("prepaid_added"),
        _fen("rounding_before"),
        _fen("rounding_used"),
        _fen("rounding_added"),
        _fen("penalty_total"),
        _fen("principal_total"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("offline", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("verification_code", sa.String(32), nullable=True),
        sa.Column("mis_state", sa.String(16), server_default="none", nullable=False),
        _pk("payments"),
        _fk("payments", "terminal_id", "terminals"),
        _fk("payments", "agent_id", "agents"),
        _fk("payments", "operator_id", "operators"),
        _fk("payments", "customer_id", "customers"),
        _fk("payments", "org_id", "organisations"),
        _uq("payments", "terminal_id", "txn_id"),
        _ck("payments", "cash_positive", "cash > 0"),
        _ck(
            "payments",
            "amounts_not_negative",
            "rounding_up >= 0 AND prepaid_before >= 0 AND prepaid_used >= 0 AND prepaid_added >= 0"
            " AND rounding_before >= 0 AND rounding_used >= 0 AND rounding_added >= 0"
            " AND penalty_total >= 0 AND principal_total >= 0",
        ),
        _ck(
            "payments",
            "credits_used_within",
            "prepaid_used <= prepaid_before AND rounding_used <= rounding_before",
        ),
        _ck(
            "payments",
            "money_conserved",
            "cash + prepaid_used + rounding_used"
            " = penalty_total + principal_total + prepaid_added + rounding_added",
        ),
        _one_of(
            "payments",
            "state_known",
            "state",
            ("pending", "unknown", "confirmed", "rejected", "reversed", "voided", "cancelled"),
        ),
        _one_of(
            "payments",
            "mis_state_known",
            "mis_state",
            ("none", "pending", "posted", "failed", "undo_pending", "undone"),
        ),
        _ix("payments", "customer_id"),
        _ix("payments", "agent_id", "business_date"),
        _ix("payments", "org_id", "business_date"),
        _ix("payments", "business_date", "terminal_id"),
    )
    op.create_table(
        "payment_allocations",
        _ref("payment_id"),
        _ref("receivable_id"),
        _fen("penalty_paid"),
        _fen("principal_paid"),
        _pk("payment_allocations", "payment_id", "receivable_id"),
        _fk("payment_allocations", "payment_id", "payments"),
        _fk("payment_allocations", "receivable_id", "receivables"),
        _ck("payment_allocations", "penalty_paid_not_negative", "penalty_paid >= 0"),
        _ck("payment_allocations", "principal_paid_not_negative", "principal_paid >= 0"),
        _ix("payment_allocations", "receivable_id"),
    )
    op.create_table(
        "payment_undos",
        _id(),
        _ref("payment_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        _ref("requested_by", nullable=True),
        _ref("approved_by", nullable=True),
        sa.Column("reason", sa.Text(), server_default=EMPTY, nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", AT, nullable=False),
        _pk("payment_undos"),
        _fk("payment_undos", "payment_id", "payments"),
        _fk("payment_undos", "requested_by", "operators"),
        _fk("payment_undos", "approved_by", "operators"),
        _uq("payment_undos", "payment_id"),
        _one_of("payment_undos", "kind_known", "kind", ("reversal", "void", "cancellation")),
        _ck("payment_undos", "approved_by_not_requester", "approved_by <> requested_by"),
    )
    op.create_table(
        "reversal_tombstones",
        _id(),
        _ref("terminal_id"),
        sa.Column("txn_id", sa.String(64), nullable=False),
        sa.Column("trace_no", sa.BigInteger(), nullable=True),
        _fen("amount", default=False, nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", AT, nullable=False),
        _pk("reversal_tombstones"),
        _fk("reversal_tombstones", "terminal_id", "terminals"),
        _uq("reversal_tombstones", "terminal_id", "txn_id"),
    )
    op.create_table(
        "ledger_transactions",
        _id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", AT, nullable=False),
        _ref("payment_id", nullable=True),
        _ref("agent_id", nullable=True),
        sa.Column("memo", sa.Text(), server_default=EMPTY, nullable=False),
        _pk("ledger_transactions"),
        _fk("ledger_transactions", "payment_id", "payments"),
        _fk("ledger_transactions", "agent_id", "agents"),
        _one_of(
            "ledger_transactions",
            "kind_known",
            "kind",
            (
                "payment",
                "reversal",
                "void",
                "cancellation",
                "float_topup",
                "hold",
                "hold_release",
                "commission",
                "offline_payment",
            ),
        ),
        _ix("ledger_transactions", "payment_id"),
        _ix("ledger_transactions", "agent_id", "business_date"),
        _ix("ledger_transactions", "business_date"),
    )
    op.create_table(
        "ledger_entries",
        _id(),
        _ref("transaction_id"),
        sa.Column("account_kind", sa.String(24), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        _fen("amount", default=False),
        _pk("ledger_entries"),
        _fk("ledger_entries", "transaction_id", "ledger_transactions"),
        _ck("ledger_entries", "amount_not_zero", "amount <> 0"),
        _one_of(
            "ledger_entries",
            "account_kind_known",
            "account_kind",
            (
                "agent_float",
                "agent_float_held",
                "agent_commission",
                "customer_prepaid",
                "customer_rounding",
                "receivable_principal",
                "receivable_penalty",
                "topup_clearing",
                "commission_expense",
            ),
        ),
        _ck(
            "ledger_entries",
            "owner_iff_party_account",
            "(account_kind IN ('topup_clearing', 'commission_expense')) = (owner_id IS NULL)",
        ),
        _ix("ledger_entries", "transaction_id"),
        _ix("ledger_entries", "account_kind", "owner_id"),
    )
    op.create_table(
        "batches",
        _id(),
        _ref("terminal_id"),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        _ref("operator_id", nullable=True),
        sa.Column("state", sa.String(16), server_default="open", nullable=False),
        sa.Column("terminal_count", sa.Integer(), nullable=True),
        _fen("terminal_amount", default=False, nullable=True),
        sa.Column("server_count", sa.Integer(), nullable=True),
        _fen("server_amount", default=False, nullable=True),
        _fen("cash_counted", default=False, nullable=True),
        _fen("cash_difference", default=False, nullable=True),
        sa.Column("note", sa.Text(), server_default=EMPTY, nullable=False),
        sa.Column("opened_at", AT, nullable=False),
        sa.Column("closed_at", AT, nullable=True),
        _pk("batches"),
        _fk("batches", "terminal_id", "terminals"),
        _fk("batches", "operator_id", "operators"),
        _uq("batches", "terminal_id", "business_date", "batch_no"),
        _one_of("batches", "state_known", "state", ("open", "balanced", "unbalanced")),
        _ck("batches", "batch_no_positive", "batch_no >= 1"),
        _ck(
            "batches",
            "totals_not_negative",
            "terminal_count >= 0 AND server_count >= 0 AND terminal_amount >= 0"
            " AND server_amount >= 0 AND cash_counted >= 0",
        ),
        _ck("batches", "closed_iff_not_open", "(state = 'open') = (closed_at IS NULL)"),
        _ix("batches", "business_date", "state"),
    )
    op.create_table(
        "batch_differences",
        _id(),
        _ref("batch_id"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("txn_id", sa.String(64), nullable=True),
        _ref("payment_id", nullable=True),
        _fen("terminal_amount", default=False, nullable=True),
        _fen("server_amount", default=False, nullable=True),
        sa.Column("state", sa.String(16), server_default="open", nullable=False),
        _ref("resolved_by", nullable=True),
        sa.Column("resolved_at", AT, nullable=True),
        sa.Column("note", sa.Text(), server_default=EMPTY, nullable=False),
        _pk("batch_differences"),
        _fk("batch_differences", "batch_id", "batches"),
        _fk("batch_differences", "payment_id", "payments"),
        _fk("batch_differences", "resolved_by", "operators"),
        _one_of(
            "batch_differences",
            "kind_known",
            "kind",
            ("terminal_only", "server_only", "amount_mismatch", "state_mismatch"),
        ),
        _one_of("batch_differences", "state_known", "state", ("open", "resolved")),
        _ck(
            "batch_differences",
            "resolved_iff_resolved_at",
            "(state = 'resolved') = (resolved_at IS NOT NULL)",
        ),
        _ix("batch_differences", "batch_id"),
    )
    op.create_table(
        "outbox",
        _id(),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", AT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("sent_at", AT, nullable=True),
        _pk("outbox"),
        _one_of("outbox", "state_known", "state", ("pending", "sent", "dead")),
        _ck("outbox", "attempts_not_negative", "attempts >= 0"),
        _ck("outbox", "sent_iff_sent_at", "(state = 'sent') = (sent_at IS NOT NULL)"),
        sa.Index(
            op.f("ix_outbox_pending_due"),
            "next_attempt_at",
            "id",
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        ),
        _ix("outbox", "topic", "aggregate_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("occurred_at", AT, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), server_default=EMPTY, nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.CHAR(64), nullable=False),
        sa.Column("hash", sa.CHAR(64), nullable=False),
        _pk("audit_log"),
        _uq("audit_log", "prev_hash"),
        _ck("audit_log", "id_positive", "id >= 1"),
        _ix("audit_log", "occurred_at"),
        _ix("audit_log", "action"),
    )
    for statement in _APPEND_ONLY[_dialect()]:
        op.execute(statement)
    op.create_table(
        "parameters",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _pk("parameters", "key", "valid_from"),
    )


def downgrade() -> None:
    for statement in _DROP_APPEND_ONLY[_dialect()]:
        op.execute(statement)
    for table in (
        "parameters",
        "audit_log",
        "outbox",
        "batch_differences",
        "batches",
        "ledger_entries",
        "ledger_transactions",
        "reversal_tombstones",
        "payment_undos",
        "payment_allocations",
        "payments",
        "holds",
        "float_topups",
        "sync_watermarks",
        "receivables",
        "customers",
        "terminals",
        "operators",
        "agents",
        "organisations",
    ):
        op.drop_table(table)


def _dialect() -> str:
    return "postgresql" if op.get_context().dialect.name == "postgresql" else "sqlite"


_REFUSAL = "audit_log is append-only"
_APPEND_ONLY = {
    "sqlite": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
        f" BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        f" BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'integrity_constraint_violation';"
        " END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ),
}
_DROP_APPEND_ONLY = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_refuse_change()",
    ),
}
