"""Each terminal's confirmed cash per business date, kept by a trigger on ``payments``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

The per-day limit of a payment compares it with the cash the terminal has already collected that
business date; summing the day's payments for every new one grows with the day. From here on
``terminal_day_totals`` holds that sum, one row per terminal and date, and the triggers below keep
it in every transaction that confirms, undoes, moves or removes a payment, whatever code writes
it. The rows are filled from the payments already there.

Written out in full, not importing the application's tables (the drift test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

_SUBTRACT = (
    "UPDATE terminal_day_totals SET confirmed_cash = confirmed_cash - OLD.cash,"
    " confirmed_count = confirmed_count - 1"
    " WHERE terminal_id = OLD.terminal_id AND business_date = OLD.business_date"
)
_ADD = (
    "INSERT INTO terminal_day_totals (terminal_id, business_date, confirmed_cash,"
    " confirmed_count) {source}"
    " ON CONFLICT (terminal_id, business_date) DO UPDATE"
    " SET confirmed_cash = terminal_day_totals.confirmed_cash + excluded.confirmed_cash,"
    " confirmed_count = terminal_day_totals.confirmed_count + 1"
)
_WATCHED = "UPDATE OF state, cash, terminal_id, business_date"
_TRIGGERS = {
    "postgresql": (
        "CREATE FUNCTION payments_keep_day_totals() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN"
        f" IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'confirmed' THEN {_SUBTRACT}; END IF;"
        " IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'confirmed' THEN "
        + _ADD.format(source="VALUES (NEW.terminal_id, NEW.business_date, NEW.cash, 1)")
        + "; END IF; RETURN NULL; END $$",
        f"CREATE TRIGGER payments_day_totals AFTER INSERT OR DELETE OR {_WATCHED} ON payments"
        " FOR EACH ROW EXECUTE FUNCTION payments_keep_day_totals()",
    ),
    "sqlite": (
        "CREATE TRIGGER payments_day_totals_insert AFTER INSERT ON payments"
        " WHEN NEW.state = 'confirmed' BEGIN "
        + _ADD.format(source="VALUES (NEW.terminal_id, NEW.business_date, NEW.cash, 1)")
        + "; END",
        f"CREATE TRIGGER payments_day_totals_update AFTER {_WATCHED} ON payments BEGIN"
        f" {_SUBTRACT} AND OLD.state = 'confirmed'; "
        + _ADD.format(
            source="SELECT NEW.terminal_id, NEW.business_date, NEW.cash, 1"
            " WHERE NEW.state = 'confirmed'"
        )
        + "; END",
        "CREATE TRIGGER payments_day_totals_delete AFTER DELETE ON payments"
        f" WHEN OLD.state = 'confirmed' BEGIN {_SUBTRACT}; END",
    ),
}
_DROP_TRIGGERS = {
    "postgresql": (
        "DROP TRIGGER IF EXISTS payments_day_totals ON payments",
        "DROP FUNCTION IF EXISTS payments_keep_day_totals()",
    ),
    "sqlite": (
        "DROP TRIGGER IF EXISTS payments_day_totals_insert",
        "DROP TRIGGER IF EXISTS payments_day_totals_update",
        "DROP TRIGGER IF EXISTS payments_day_totals_delete",
    ),
}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _dialect() -> str:
    return "postgresql" if op.get_context().dialect.name == "postgresql" else "sqlite"


def upgrade() -> None:
    op.create_table(
        "terminal_day_totals",
        sa.Column("terminal_id", ID, nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("confirmed_cash", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("confirmed_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "confirmed_cash >= 0", name=op.f("ck_terminal_day_totals_confirmed_cash_not_negative")
        ),
        sa.CheckConstraint(
            "confirmed_count >= 0",
            name=op.f("ck_terminal_day_totals_confirmed_count_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_terminal_day_totals_terminal_id_terminals"),
        ),
        sa.PrimaryKeyConstraint(
            "terminal_id", "business_date", name=op.f("pk_terminal_day_totals")
        ),
    )
    op.execute(
        "INSERT INTO terminal_day_totals (terminal_id, business_date, confirmed_cash,"
        " confirmed_count) SELECT terminal_id, business_date, SUM(cash), COUNT(*)"
        " FROM payments WHERE state = 'confirmed' GROUP BY terminal_id, business_date"
    )
    for statement in _TRIGGERS[_dialect()]:
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_TRIGGERS[_dialect()]:
        op.execute(statement)
    op.drop_table("terminal_day_totals")
