"""The day's collections summed by place and state, kept by triggers on ``payments``.

One row per business date, collection point, agent, terminal and payment state: how many
payments, their cash, late penalty and principal. The triggers below (made by migration 0012 and
by ``create_all``) keep it in the same transaction as every payment written, undone, moved or
removed — whatever code writes it — so the console's daily and monthly reports read a few
thousand of these rows instead of summing a month of payments (some 600,000 on a busy county's
month). The prepaid part of a group is
``cash - penalty - principal`` (the payments' ``money_conserved`` check).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, event

from gridpos.adapters.db.tables._base import Fen, Id, metadata

collection_day_totals = Table(
    "collection_day_totals",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("org_id", Id, primary_key=True, autoincrement=False),  # the collection point
    Column("agent_id", Id, primary_key=True, autoincrement=False),
    Column("terminal_id", Id, primary_key=True, autoincrement=False),
    Column("state", String(16), primary_key=True),
    Column("payments", BigInteger, nullable=False, server_default="0"),
    Column("cash", Fen, nullable=False, server_default="0"),
    Column("penalty", Fen, nullable=False, server_default="0"),
    Column("principal", Fen, nullable=False, server_default="0"),
)

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


def collection_totals_ddl(dialect_name: str) -> tuple[str, ...]:
    """The statements that make ``payments`` keep :data:`collection_day_totals` here."""
    return _TRIGGERS["postgresql" if dialect_name == "postgresql" else "sqlite"]


def _keep_collection_totals(_target: MetaData, connection: Connection, **kw: Any) -> None:
    tables = kw.get("tables")
    if tables is not None and collection_day_totals not in tables:
        return
    for statement in collection_totals_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


# after every table exists: the triggers are on ``payments`` and write ``collection_day_totals``
event.listen(metadata, "after_create", _keep_collection_totals)
