"""The day's collections by place and state, kept by triggers on ``payments``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The console's monthly collection report sums a month of payments by collection point, agent,
terminal and state; on a busy county (20,000 payments a day) that is 600,000 rows and a third of a
second however it is indexed. ``collection_day_totals`` holds those sums per business date — a
few hundred rows a day — and the triggers below keep them in every transaction that writes,
undoes, moves or removes a payment, whatever code writes it. On PostgreSQL an insert is summed
per statement (a bulk load adds each group once), a change per row and only when the state, the
amounts, the date or the place changed (the MIS worker's updates of ``mis_state`` cost nothing).
The rows are filled from the payments already there.

Written out in full, not importing the application's tables (the drift test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_KEY = "business_date, org_id, agent_id, terminal_id, state"
_FIGURES = "payments, cash, penalty, principal"
_ADD_EXCLUDED = (
    f" ON CONFLICT ({_KEY}) DO UPDATE SET"
    " payments = collection_day_totals.payments + excluded.payments,"
    " cash = collection_day_totals.cash + excluded.cash,"
    " penalty = collection_day_totals.penalty + excluded.penalty,"
    " principal = collection_day_totals.principal + excluded.principal"
)
_ADD_NEW = (
    f"INSERT INTO collection_day_totals ({_KEY}, {_FIGURES}) VALUES (NEW.business_date,"  # noqa: S608
    " NEW.org_id, NEW.agent_id, NEW.terminal_id, NEW.state, 1, NEW.cash, NEW.penalty_total,"
    f" NEW.principal_total){_ADD_EXCLUDED}"
)
_SUBTRACT_OLD = (
    "UPDATE collection_day_totals SET payments = payments - 1, cash = cash - OLD.cash,"
    " penalty = penalty - OLD.penalty_total, principal = principal - OLD.principal_total"
    " WHERE business_date = OLD.business_date AND org_id = OLD.org_id"
    " AND agent_id = OLD.agent_id AND terminal_id = OLD.terminal_id AND state = OLD.state"
)
_WATCHED = (
    "state",
    "cash",
    "penalty_total",
    "principal_total",
    "business_date",
    "org_id",
    "agent_id",
    "terminal_id",
)
_UPDATE_OF = "UPDATE OF " + ", ".join(_WATCHED)
_PG_CHANGED = (
    "("
    + ", ".join(f"OLD.{c}" for c in _WATCHED)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"NEW.{c}" for c in _WATCHED)
    + ")"
)
_SQLITE_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
_TRIGGERS = {
    "postgresql": (
        "CREATE FUNCTION payments_add_collection_totals() RETURNS trigger LANGUAGE plpgsql AS $$"  # noqa: S608
        f" BEGIN INSERT INTO collection_day_totals ({_KEY}, {_FIGURES})"
        f" SELECT {_KEY}, COUNT(*), SUM(cash), SUM(penalty_total), SUM(principal_total)"
        f" FROM new_payments GROUP BY {_KEY} ORDER BY {_KEY}{_ADD_EXCLUDED};"
        " RETURN NULL; END $$",
        "CREATE TRIGGER payments_collection_totals_insert AFTER INSERT ON payments"
        " REFERENCING NEW TABLE AS new_payments FOR EACH STATEMENT"
        " EXECUTE FUNCTION payments_add_collection_totals()",
        "CREATE FUNCTION payments_move_collection_totals() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {_SUBTRACT_OLD};"
        f" IF TG_OP = 'UPDATE' THEN {_ADD_NEW}; END IF; RETURN NULL; END $$",
        f"CREATE TRIGGER payments_collection_totals_update AFTER {_UPDATE_OF} ON payments"
        f" FOR EACH ROW WHEN ({_PG_CHANGED}) EXECUTE FUNCTION payments_move_collection_totals()",
        "CREATE TRIGGER payments_collection_totals_delete AFTER DELETE ON payments"
        " FOR EACH ROW EXECUTE FUNCTION payments_move_collection_totals()",
    ),
    "sqlite": (
        f"CREATE TRIGGER payments_collection_totals_insert AFTER INSERT ON payments"
        f" BEGIN {_ADD_NEW}; END",
        f"CREATE TRIGGER payments_collection_totals_update AFTER {_UPDATE_OF} ON payments"
        f" WHEN {_SQLITE_CHANGED} BEGIN {_SUBTRACT_OLD}; {_ADD_NEW}; END",
        "CREATE TRIGGER payments_collection_totals_delete AFTER DELETE ON payments"
        f" BEGIN {_SUBTRACT_OLD}; END",
    ),
}
_DROP_TRIGGERS = {
    "postgresql": (
        "DROP TRIGGER IF EXISTS payments_collection_totals_delete ON payments",
        "DROP TRIGGER IF EXISTS payments_collection_totals_update ON payments",
        "DROP TRIGGER IF EXISTS payments_collection_totals_insert ON payments",
        "DROP FUNCTION IF EXISTS payments_move_collection_totals()",
        "DROP FUNCTION IF EXISTS payments_add_collection_totals()",
    ),
    "sqlite": (
        "DROP TRIGGER IF EXISTS payments_collection_totals_delete",
        "DROP TRIGGER IF EXISTS payments_collection_totals_update",
        "DROP TRIGGER IF EXISTS payments_collection_totals_insert",
    ),
}


def _dialect() -> str:
    return "postgresql" if op.get_context().dialect.name == "postgresql" else "sqlite"


def upgrade() -> None:
    op.create_table(
        "collection_day_totals",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("org_id", ID, autoincrement=False, nullable=False),
        sa.Column("agent_id", ID, autoincrement=False, nullable=False),
        sa.Column("terminal_id", ID, autoincrement=False, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payments", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cash", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("penalty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("principal", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "business_date",
            "org_id",
            "agent_id",
            "terminal_id",
            "state",
            name=op.f("pk_collection_day_totals"),
        ),
    )
    op.execute(
        f"INSERT INTO collection_day_totals ({_KEY}, {_FIGURES})"  # noqa: S608 - constants
        f" SELECT {_KEY}, COUNT(*), SUM(cash), SUM(penalty_total), SUM(principal_total)"
        f" FROM payments GROUP BY {_KEY}"
    )
    for statement in _TRIGGERS[_dialect()]:
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_TRIGGERS[_dialect()]:
        op.execute(statement)
    op.drop_table("collection_day_totals")
