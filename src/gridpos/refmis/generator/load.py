"""Bulk loading a generated county: ``COPY`` into PostgreSQL, ``executemany`` into SQLite.

The county goes into an empty MIS database (``replace`` empties one first). For speed the secondary
indexes (and, on PostgreSQL, the foreign keys) are dropped for the load and built afterwards, which
also checks the generated rows against them; SQLite loads in one transaction with
``synchronous=OFF`` and foreign keys off, then returns to its usual settings. The rows are
generated in a process of their own while they load (:mod:`.background`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.schema import CreateIndex, DropConstraint, DropIndex, ForeignKeyConstraint

from gridpos.domain.penalty import PenaltyRules
from gridpos.domain.tariff import TariffSchedule
from gridpos.refmis.errors import refusal
from gridpos.refmis.generator.background import BackgroundRows
from gridpos.refmis.generator.rows import (
    CUSTOMER_COLUMNS,
    READING_COLUMNS,
    RECEIVABLE_COLUMNS,
    STATION_COLUMNS,
    Row,
    station_rows,
)
from gridpos.refmis.generator.spec import CountySpec, CountySummary
from gridpos.refmis.tables import CHANGE_SEQ, create_schema, customers, metadata

Progress = Callable[[str], None]


def _ddl(engine: Engine, element: Any) -> str:
    return str(element.compile(dialect=engine.dialect))


def _add_foreign_key(fk: ForeignKeyConstraint) -> str:
    # Written out rather than ``AddConstraint``, which would mark the shared constraint object as
    # "not part of CREATE TABLE" for every later ``create_all`` in this process.
    columns = ", ".join(column.name for column in fk.columns)
    referred = ", ".join(element.column.name for element in fk.elements)
    return (
        f"ALTER TABLE {fk.parent.name} ADD CONSTRAINT {fk.name}"
        f" FOREIGN KEY ({columns}) REFERENCES {fk.referred_table.name} ({referred})"
    )


def _prepare(engine: Engine, *, replace: bool) -> None:
    if replace:
        metadata.drop_all(engine)
    create_schema(engine)
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(customers)).scalar_one()
    if existing:
        raise refusal(
            "county_exists",
            "database_url",
            f"数据库中已有 {existing} 个用户；如需重新生成请使用 --replace",
            f"the database already holds {existing} customers; use --replace to start afresh",
            customers=existing,
        )


def load_county(
    engine: Engine,
    spec: CountySpec,
    *,
    schedule: TariffSchedule,
    rules: PenaltyRules,
    replace: bool = False,
    progress: Progress | None = None,
) -> CountySummary:
    """Generate the county of ``spec`` into the MIS database of ``engine``; return its summary
    with ``seconds`` set to the wall time taken.

    Raises :class:`~gridpos.refmis.errors.MisError` ``county_exists`` when the database already
    holds customers and ``replace`` is false.
    """
    started = time.perf_counter()
    _prepare(engine, replace=replace)
    rows = BackgroundRows(spec, schedule=schedule, rules=rules)
    if engine.dialect.name == "postgresql":
        _load_postgresql(engine, rows, progress)
    else:
        _load_sqlite(engine, rows, progress)
    rows.summary.seconds = round(time.perf_counter() - started, 3)
    return rows.summary


def _placeholders(columns: Iterable[str]) -> str:
    names = list(columns)
    return f"({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"


def _load_sqlite(engine: Engine, rows: BackgroundRows, progress: Progress | None) -> None:
    engine.dispose()  # no other pooled connection may hold the file while the journal changes
    raw = engine.raw_connection()
    try:
        db: Any = raw.driver_connection
        db.execute("PRAGMA foreign_keys=OFF")
        # Another process with the file open keeps it in WAL: the load is then a little slower.
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")
        indexes = [index for table in metadata.sorted_tables for index in table.indexes]
        for index in indexes:
            db.execute(_ddl(engine, DropIndex(index, if_exists=True)))
        db.execute("BEGIN")
        db.executemany(f"INSERT INTO stations {_placeholders(STATION_COLUMNS)}", station_rows())
        customer_sql = f"INSERT INTO customers {_placeholders(CUSTOMER_COLUMNS)}"
        reading_sql = f"INSERT INTO meter_readings {_placeholders(READING_COLUMNS)}"
        receivable_sql = f"INSERT INTO receivables {_placeholders(RECEIVABLE_COLUMNS)}"
        loaded = 0
        for chunk in rows.chunks():
            loaded += len(chunk.customers)
            db.executemany(customer_sql, chunk.customers)
            db.executemany(reading_sql, chunk.meter_readings)
            db.executemany(receivable_sql, chunk.receivables)
            if progress is not None:
                progress(f"{loaded} customers")
        db.execute(
            "UPDATE counters SET value = ? WHERE name = ?",
            (rows.last_change_seq, CHANGE_SEQ),
        )
        db.execute("COMMIT")
        for index in indexes:
            db.execute(_ddl(engine, CreateIndex(index)))
        db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        raw.close()
    engine.dispose()  # pooled connections get the usual settings again


def _copy(cursor: Any, table: str, columns: Iterable[str], data: Iterable[Row]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in data:
            copy.write_row(row)


def _load_postgresql(engine: Engine, rows: BackgroundRows, progress: Progress | None) -> None:
    indexes = [index for table in metadata.sorted_tables for index in table.indexes]
    foreign_keys = [fk for table in metadata.sorted_tables for fk in table.foreign_key_constraints]
    with engine.begin() as connection:
        for fk in foreign_keys:
            connection.execute(text(_ddl(engine, DropConstraint(fk))))
        for index in indexes:
            connection.execute(text(_ddl(engine, DropIndex(index, if_exists=True))))
    raw = engine.raw_connection()
    try:
        db: Any = raw.driver_connection
        with db.cursor() as cursor:
            _copy(cursor, "stations", STATION_COLUMNS, station_rows())
            loaded = 0
            for chunk in rows.chunks():
                loaded += len(chunk.customers)
                _copy(cursor, "customers", CUSTOMER_COLUMNS, chunk.customers)
                _copy(cursor, "meter_readings", READING_COLUMNS, chunk.meter_readings)
                _copy(cursor, "receivables", RECEIVABLE_COLUMNS, chunk.receivables)
                if progress is not None:
                    progress(f"{loaded} customers")
            cursor.execute(
                "UPDATE counters SET value = %s WHERE name = %s",
                (rows.last_change_seq, CHANGE_SEQ),
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('receivables', 'id'),"
                " (SELECT coalesce(max(id), 0) + 1 FROM receivables), false)"
            )
        db.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        for index in indexes:
            connection.execute(text(_ddl(engine, CreateIndex(index))))
        for fk in foreign_keys:
            connection.execute(text(_add_foreign_key(fk)))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("ANALYZE"))
