"""Each terminal's confirmed cash per business date, kept by the database itself.

The per-day limit of a terminal compares a payment with the cash of the terminal's confirmed
payments that day. Summing them for every payment grows with the day (a busy terminal's thousandth
payment reads the other 999), so a trigger on ``payments`` keeps the sum in one row per terminal
and day instead: a payment confirmed adds its cash, one undone (or moved, or removed) takes it
away — whichever code wrote the change, in the same transaction. ``gridpos audit verify`` checks
every row against the payments (``adapters.db.invariants.terminal_day_totals``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Date,
    ForeignKey,
    MetaData,
    Table,
    event,
)

from gridpos.adapters.db.tables._base import Fen, Id, metadata

terminal_day_totals = Table(
    "terminal_day_totals",
    metadata,
    Column("terminal_id", Id, ForeignKey("terminals.id"), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("confirmed_cash", Fen, nullable=False, server_default="0"),
    Column("confirmed_count", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("confirmed_cash >= 0", name="confirmed_cash_not_negative"),
    CheckConstraint("confirmed_count >= 0", name="confirmed_count_not_negative"),
)

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

POSTGRESQL_DAY_TOTALS = (
    "CREATE FUNCTION payments_keep_day_totals() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    f" IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'confirmed' THEN {_SUBTRACT}; END IF;"
    " IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'confirmed' THEN "
    + _ADD.format(source="VALUES (NEW.terminal_id, NEW.business_date, NEW.cash, 1)")
    + "; END IF; RETURN NULL; END $$",
    f"CREATE TRIGGER payments_day_totals AFTER INSERT OR DELETE OR {_WATCHED} ON payments"
    " FOR EACH ROW EXECUTE FUNCTION payments_keep_day_totals()",
)
SQLITE_DAY_TOTALS = (
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
)
DROP_DAY_TOTALS = {
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


def day_totals_ddl(dialect_name: str) -> tuple[str, ...]:
    """The statements that make ``payments`` keep :data:`terminal_day_totals` on this database."""
    return POSTGRESQL_DAY_TOTALS if dialect_name == "postgresql" else SQLITE_DAY_TOTALS


def _keep_day_totals(_target: MetaData, connection: Connection, **kw: Any) -> None:
    tables = kw.get("tables")
    if tables is not None and terminal_day_totals not in tables:
        return
    for statement in day_totals_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


# after every table exists: the trigger is on ``payments`` and writes ``terminal_day_totals``
event.listen(metadata, "after_create", _keep_day_totals)
