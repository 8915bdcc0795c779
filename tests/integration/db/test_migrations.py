"""Migrations go up and down on both databases, and never drift from the tables in the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect, text

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import (
    SchemaNotCurrentError,
    current_revision,
    downgrade,
    head_revision,
    require_current_schema,
    upgrade,
)
from gridpos.adapters.db.tables import metadata

EXPECTED_TABLES = {
    "terminal_day_totals",
    "organisations",
    "operators",
    "agents",
    "float_topups",
    "holds",
    "terminals",
    "customers",
    "receivables",
    "sync_watermarks",
    "payments",
    "payment_allocations",
    "payment_undos",
    "reversal_tombstones",
    "ledger_transactions",
    "ledger_entries",
    "batches",
    "batch_differences",
    "outbox",
    "audit_log",
    "parameters",
    "payment_receipts",
    "batch_upload_parts",
    "batch_upload_items",
    "console_sessions",
    "console_form_submissions",
    "payment_undo_requests",
    "collection_day_totals",
    "reconciliation_mis_loads",
    "reconciliation_mis_lines",
    "reconciliation_runs",
    "reconciliation_items",
    "reconciliation_differences",
    "reconciliation_resolutions",
    "cash_handovers",
    "journal_requests",
    "journal_request_parts",
}


def _tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = create_engine_for(url, create=True)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _drift(url: str, target: MetaData) -> list[object]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_the_metadata_holds_every_table_of_the_schema() -> None:
    assert set(metadata.tables) == EXPECTED_TABLES


def test_upgrade_down_to_base_and_up_again(empty_database_url: str) -> None:
    url = empty_database_url
    assert _revision(url) is None

    upgrade(url)
    assert _revision(url) == head_revision() == "0014"
    assert _tables(url) == EXPECTED_TABLES

    downgrade(url, "base")
    assert _revision(url) is None
    assert _tables(url) == set()

    upgrade(url)
    assert _revision(url) == head_revision()
    assert _tables(url) == EXPECTED_TABLES


def test_the_migrated_schema_matches_the_tables_in_the_code(database_url: str) -> None:
    assert _drift(database_url, metadata) == []


def _schema(url: str) -> dict[str, Any]:
    """Everything the database says about its tables, constraints, indexes and triggers."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            schema: dict[str, Any] = {}
            for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
                schema[table] = {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                        for c in inspector.get_columns(table)
                    ],
                    "pk": inspector.get_pk_constraint(table),
                    "fks": sorted(
                        (fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"])
                        for fk in inspector.get_foreign_keys(table)
                    ),
                    "uniques": sorted(
                        (u["name"] or "", tuple(u["column_names"]))
                        for u in inspector.get_unique_constraints(table)
                    ),
                    "indexes": sorted(
                        (
                            i["name"] or "",
                            tuple(str(c) for c in i["column_names"]),
                            bool(i["unique"]),
                            sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items()),
                        )
                        for i in inspector.get_indexes(table)
                    ),
                    "checks": sorted(
                        (c["name"] or "", c["sqltext"])
                        for c in inspector.get_check_constraints(table)
                    ),
                }
            if conn.dialect.name == "postgresql":
                triggers = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
            else:
                triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
            schema["triggers"] = list(conn.execute(text(triggers)).scalars())
            return schema
    finally:
        engine.dispose()


def test_migrations_and_create_all_build_the_same_schema(
    database_url: str, database_kind: str, make_database_url: Callable[[str], str]
) -> None:
    """Stricter than Alembic's comparison: CHECK constraints and triggers too, by name and text."""
    from_code = make_database_url(database_kind)
    engine = create_engine_for(from_code, create=True)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()

    migrated, created = _schema(database_url), _schema(from_code)

    assert migrated == created
    assert ("ck_agents_float_available_not_negative", "float_available >= 0") in [
        (name, text.strip("()")) for name, text in migrated["agents"]["checks"]
    ]
    # the audit log's (SQLite: UPDATE, DELETE; PostgreSQL: rows, TRUNCATE), the payments'
    # day totals (SQLite: INSERT, UPDATE, DELETE; PostgreSQL: one) and collection totals
    # (INSERT, UPDATE, DELETE on both)
    assert len(migrated["triggers"]) == (6 if database_kind == "postgresql" else 8)


def test_the_drift_check_notices_a_column_missing_from_the_migrations(database_url: str) -> None:
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["agents"].append_column(Column("rating", Integer, nullable=True))

    diffs = _drift(database_url, changed)

    assert [(d[0], d[2], d[3].name) for d in diffs if isinstance(d, tuple)] == [
        ("add_column", "agents", "rating")
    ]


def test_an_unmigrated_database_is_named_as_such(
    database_url: str, database_kind: str, make_database_url: Callable[[str], str]
) -> None:
    fresh = create_engine_for(make_database_url(database_kind), create=True)
    migrated = create_engine_for(database_url)
    try:
        with fresh.connect() as conn, pytest.raises(SchemaNotCurrentError) as refused:
            require_current_schema(conn)
        assert refused.value.code == "database_schema_not_current"
        assert refused.value.current is None
        with migrated.connect() as conn:
            require_current_schema(conn)  # at head: no refusal
    finally:
        fresh.dispose()
        migrated.dispose()


def test_upgrade_creates_the_directory_of_a_sqlite_file(tmp_path: Path) -> None:
    base = tmp_path
    url = f"sqlite:///{base / 'new' / 'nested' / 'gridpos.sqlite'}"
    upgrade(url)
    assert (base / "new" / "nested" / "gridpos.sqlite").is_file()
    assert _tables(url) == EXPECTED_TABLES
