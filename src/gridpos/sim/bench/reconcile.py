"""``gridpos bench reconcile``: a month of payments reconciled three ways, against the bare full
outer join of the same three sets, in one process.

A fresh database (a new PostgreSQL database, dropped afterwards, or a SQLite file in a temporary
directory) is migrated and filled with bulk SQL (:mod:`.reconcile_data`); the tables are analysed;
the bare join (:func:`gridpos.adapters.db.reconciliation.sets.baseline_sql`: the three sets
joined on the transaction id, every column of every joined row read) is run once to warm the
cache and then timed twice (the better time kept), with the run's own session settings; the join
of the transaction ids alone is timed too, for comparison; then one reconciliation run of the whole
month is timed — the matching, the reading and classifying of the candidates, and the recording
of every difference against the work queue (the repair step is left out: it writes payments one
by one and is not what is measured). The run's differences are checked against what the
generator made on purpose. Other work may share the cores: the 1-minute load average when the
timing starts and when it ends is printed with the figures.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import psycopg
from sqlalchemy import Engine, func, select, text

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.reconciliation.sets import MATCH_SETTINGS, SetFilter, baseline_sql
from gridpos.adapters.db.tables import reconciliation_differences, reconciliation_runs
from gridpos.application.reconciliation import ReconciliationServices, RunRequest, reconcile
from gridpos.sim.bench.reconcile_data import BenchCounty, expected_differences, generate

DEFAULT_PG_ADMIN: Final = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
RATIO_LIMIT: Final = 1.5
SQLITE_LIMIT_S: Final = 60.0
_ANALYSE: Final = (
    "payments",
    "batches",
    "batch_upload_items",
    "reconciliation_mis_lines",
    "payment_undos",
    "organisations",
)


class _FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@contextmanager
def bench_database(kind: str, *, pg_admin: str = DEFAULT_PG_ADMIN) -> Iterator[str]:
    """A fresh database of ``kind`` (``postgresql`` or ``sqlite``), dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="gridpos-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database {kind!r}")
    params = dict(part.split("=", 1) for part in pg_admin.split())
    name = f"gridpos_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        host, port = params.get("host", "127.0.0.1"), params.get("port", "5432")
        user = params.get("user", "postgres")
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _analyse(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in _ANALYSE:
                connection.execute(text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def _timed_baseline(engine: Engine, window: SetFilter, *, keys_only: bool) -> tuple[float, int]:
    """The bare join, warmed once and then timed twice (the better kept), under the session
    settings the run's matching statement uses (on PostgreSQL: no JIT, no sort)."""
    best = float("inf")
    rows = 0
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            for name, value in MATCH_SETTINGS:
                connection.execute(text(f"SET LOCAL {name} = {value}"))
        sql = text(baseline_sql(connection, window, keys_only=keys_only))
        connection.execute(sql, window.params()).first()  # warm the cache
        for _round in range(2):
            started = time.perf_counter()
            rows = int(connection.execute(sql, window.params()).first()[0])  # type: ignore[index]
            best = min(best, time.perf_counter() - started)
    return best, rows


def run_bench(
    *,
    database: str,
    county: BenchCounty,
    database_url: str | None = None,
    pg_admin: str = DEFAULT_PG_ADMIN,
) -> dict[str, Any]:
    """Generate, measure and check (see the module docstring); the figures as plain data."""
    fresh = bench_database(database, pg_admin=pg_admin)
    with fresh if database_url is None else _given(database_url) as url:
        upgrade(url)
        engine = create_engine_for(url)
        try:
            return _measure(engine, county)
        finally:
            engine.dispose()


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _measure(engine: Engine, county: BenchCounty) -> dict[str, Any]:
    started = time.perf_counter()
    load_id = generate(engine, county)
    generate_s = time.perf_counter() - started
    _analyse(engine)
    load_at_start = os.getloadavg()[0]
    window = SetFilter(
        date_from=county.first_day,
        date_to=county.last_day,
        mis_load_id=load_id,
        mis_at_day_end=False,
    )
    keys_only_s, _rows = _timed_baseline(engine, window, keys_only=True)
    baseline_s, joined_rows = _timed_baseline(engine, window, keys_only=False)
    services = ReconciliationServices.build(
        engine=engine, clock=_FixedClock(datetime(2024, 6, 2, 1, 0, tzinfo=UTC))
    )
    started = time.perf_counter()
    run_id = reconcile(
        services,
        RunRequest(
            date_from=county.first_day,
            date_to=county.last_day,
            mis_load_id=load_id,
            repair=False,
            actor="system:bench",
        ),
    )
    seconds = time.perf_counter() - started
    load_at_end = os.getloadavg()[0]
    with engine.connect() as connection:
        run = connection.execute(
            select(reconciliation_runs).where(reconciliation_runs.c.id == run_id)
        ).one()
        kinds = {
            kind: int(count)
            for kind, count in connection.execute(
                select(reconciliation_differences.c.kind, func.count())
                .where(reconciliation_differences.c.run_id == run_id)
                .group_by(reconciliation_differences.c.kind)
            )
        }
    expected = expected_differences(county)
    found = {kind: kinds.get(kind, 0) for kind in expected}
    ratio = seconds / baseline_s if baseline_s > 0 else float("inf")
    postgresql = engine.dialect.name == "postgresql"
    within = ratio <= RATIO_LIMIT if postgresql else seconds <= SQLITE_LIMIT_S
    return {
        "database": engine.dialect.name,
        "payments": county.payments,
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline_s, 3),
        "ratio": round(ratio, 3),
        "baseline": (
            "the three sets (id, transaction id, cash, state of each payment, journal row and"
            " posting of the month) full-outer-joined on the transaction id, every column of"
            " every joined row read once, nothing classified; same session settings as the run"
        ),
        "keys_only_baseline_seconds": round(keys_only_s, 3),
        "ratio_to_keys_only": round(seconds / keys_only_s, 3) if keys_only_s > 0 else None,
        "limit": f"ratio <= {RATIO_LIMIT}" if postgresql else f"seconds <= {SQLITE_LIMIT_S:g}",
        "within_limit": within,
        "joined_rows": joined_rows,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_at_start": round(load_at_start, 2),
        "load_average_1m_at_end": round(load_at_end, 2),
        "generate_seconds": round(generate_s, 3),
        "county": {key: str(value) for key, value in asdict(county).items()},
        "run_id": run_id,
        "company_count": int(run.company_count),
        "company_amount": int(run.company_amount),
        "terminal_count": int(run.terminal_count),
        "mis_count": int(run.mis_count),
        "matched_count": int(run.matched_count),
        "differences": found,
        "expected_differences": expected,
        "differences_as_expected": found == expected,
        "ok": within and found == expected,
    }
