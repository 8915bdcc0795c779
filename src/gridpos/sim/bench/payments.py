"""``gridpos bench payments``: payments per second through the real server, against raw SQL.

One run, start to end:

1. a PostgreSQL database of its own (:class:`~gridpos.sim.bench.county.BenchDatabase`), migrated
   and seeded with terminals, agents and customers (:func:`~gridpos.sim.bench.county.seed_county`);
2. unless told how many, ``gridpos serve`` with 1, 2 and 3 worker processes in turn, each driven
   by the largest number of terminals for a short while; the best is kept for the rest (every
   figure is in the JSON);
3. for each concurrency level: the raw-SQL baseline (:mod:`~gridpos.sim.bench.baseline`), then
   the server driven by that many signed terminals (:mod:`~gridpos.sim.bench.driver`), each for a
   warm-up and a measured window; the ratio of the two;
4. the audit entries the payments wrote unsealed are chained (timed), and ``audit verify`` runs
   over everything the run wrote;
5. the embedded default: the same on SQLite, one server process, its own levels.

Every database and process is made by the run and removed after it.
"""

from __future__ import annotations

import math
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from gridpos.adapters.db.audit_log import seal_audit_log
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.bootstrap import COUNTY_TIME
from gridpos.sim.bench.baseline import run_baseline
from gridpos.sim.bench.county import (
    BenchCounty,
    BenchDatabase,
    seed_county,
)
from gridpos.sim.bench.figures import rounded
from gridpos.sim.bench.runs import BenchTerminals, drive, run_figures
from gridpos.sim.bench.server import ServerProcess

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RATE_CEILING = 3_000
"""Payments per second no run on this kind of machine reaches: customers are sized by it."""
TARGET_RATIO = 0.5
TARGET_P99_MS = 60.0
TARGET_TERMINALS = 32


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to measure and for how long."""

    admin_url: str = DEFAULT_ADMIN_URL
    levels: tuple[int, ...] = (1, 8, 32)
    duration_s: float = 10.0
    warmup_s: float = 2.0
    workers: int | None = None  # None: measure each of ``workers_tried`` and keep the best
    workers_tried: tuple[int, ...] = (1, 2, 3)
    selection_duration_s: float = 5.0
    sqlite_levels: tuple[int, ...] = (1, 8)
    baseline_customers: int = 50_000
    verify: bool = True

    def __post_init__(self) -> None:
        if not self.levels or min(self.levels) < 1:
            raise ValueError("concurrency levels are 1 or more")
        if self.duration_s <= 0 or self.warmup_s < 0:
            raise ValueError("a run lasts more than zero seconds")


def run_payments_bench(
    config: BenchConfig, *, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    """Run the whole benchmark (see the module docstring); its figures as plain data."""
    today = datetime.now(COUNTY_TIME).date()
    load_at_start = os.getloadavg()[0]
    selecting = config.workers is None
    pg_runs = len(config.levels) + (len(config.workers_tried) if selecting else 0)
    window = config.warmup_s + max(config.duration_s, config.selection_duration_s)
    per_run = max(2_000, math.ceil(window * RATE_CEILING))
    with tempfile.TemporaryDirectory(prefix="gridpos-bench-") as work:
        workdir = Path(work)
        with BenchDatabase(config.admin_url) as database:
            progress(f"seeding {database.name}: {pg_runs * per_run} customers")
            county = seed_county(
                database.url,
                terminals_count=max(config.levels),
                customers=pg_runs * per_run,
                baseline_customers=config.baseline_customers,
                today=today,
            )
            terminals = BenchTerminals(county)
            tried: list[dict[str, Any]] = []
            workers = config.workers or _choose_workers(
                config,
                url=database.url,
                dsn=database.dsn,
                terminals=terminals,
                workdir=workdir,
                per_run=per_run,
                tried=tried,
                progress=progress,
            )
            levels = _levels(
                config,
                database=database,
                county=county,
                terminals=terminals,
                workdir=workdir,
                workers=workers,
                per_run=per_run,
                progress=progress,
            )
            audit = _seal_and_verify(database.url, verify=config.verify, progress=progress)
            machine = _machine(database.dsn)
            machine["load_average_1m_at_start"] = round(load_at_start, 2)
        sqlite = _sqlite(config, workdir, today, progress) if config.sqlite_levels else []
    result: dict[str, Any] = {
        "benchmark": "payments",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "duration_s": config.duration_s,
        "warmup_s": config.warmup_s,
        "server": {"workers": workers, "workers_tried": tried, "log_level": "warning"},
        "baseline": {
            "tool": "pgbench --protocol=prepared",
            "round_trips_per_payment": 11,
        },
        "levels": levels,
        "sqlite": sqlite,
        "audit": audit,
    }
    result["target"] = _target(levels)
    return result


def _choose_workers(
    config: BenchConfig,
    *,
    url: str,
    dsn: str,
    terminals: BenchTerminals,
    workdir: Path,
    per_run: int,
    tried: list[dict[str, Any]],
    progress: Callable[[str], None],
) -> int:
    count = max(config.levels)
    best: tuple[float, int] | None = None
    for workers in config.workers_tried:
        with ServerProcess(database_url=url, workers=workers, data_dir=workdir) as server:
            if not terminals.counters:
                terminals.sign_in(server.base_url)
            result, share = drive(
                server,
                terminals,
                count=count,
                per_terminal=per_run // count,
                warmup_s=config.warmup_s,
                duration_s=config.selection_duration_s,
                dsn=dsn,
            )
        figures = {"workers": workers, **run_figures(result, share)}
        tried.append(figures)
        progress(f"{workers} worker(s), {count} terminals: {figures['payments_per_s']}/s")
        if result.errors == 0 and (best is None or result.payments_per_s > best[0]):
            best = (result.payments_per_s, workers)
    if best is None:
        raise RuntimeError("no worker count ran without errors")
    return best[1]


def _levels(
    config: BenchConfig,
    *,
    database: BenchDatabase,
    county: BenchCounty,
    terminals: BenchTerminals,
    workdir: Path,
    workers: int,
    per_run: int,
    progress: Callable[[str], None],
) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = []
    with ServerProcess(database_url=database.url, workers=workers, data_dir=workdir) as server:
        if not terminals.counters:
            terminals.sign_in(server.base_url)
        for count in config.levels:
            baseline = run_baseline(
                dsn=database.dsn,
                county=county,
                clients=count,
                duration_s=config.duration_s,
                warmup_s=config.warmup_s,
                workdir=workdir,
            )
            result, share = drive(
                server,
                terminals,
                count=count,
                per_terminal=per_run // count,
                warmup_s=config.warmup_s,
                duration_s=config.duration_s,
                dsn=database.dsn,
            )
            figures = run_figures(result, share)
            figures.update(
                baseline_per_s=rounded(baseline.per_s),
                baseline_p50_ms=rounded(baseline.p50_ms, 2),
                baseline_p99_ms=rounded(baseline.p99_ms, 2),
                baseline_failed_clients=baseline.failed_clients,
                baseline_database_cpu_ms_per_payment=None
                if baseline.database_cpu_ms is None
                else rounded(baseline.database_cpu_ms, 3),
                ratio=round(result.payments_per_s / baseline.per_s, 3) if baseline.per_s else None,
            )
            levels.append(figures)
            progress(
                f"{count} terminals: {figures['payments_per_s']}/s p99 {figures['p99_ms']} ms;"
                f" baseline {figures['baseline_per_s']}/s; ratio {figures['ratio']}"
            )
    return levels


def _seal_and_verify(url: str, *, verify: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    engine = create_engine_for(url)
    try:
        started = time.perf_counter()
        sealed = seal_audit_log(engine, max_batches=100_000)
        seconds = time.perf_counter() - started
        progress(f"sealed {sealed} audit entries in {seconds:.1f} s")
        audit: dict[str, Any] = {
            "sealed": sealed,
            "seal_s": rounded(seconds, 2),
            "sealed_per_s": rounded(sealed / seconds) if seconds > 0 else None,
        }
        if verify:
            started = time.perf_counter()
            report = verify_database(SqlUnitOfWork(engine, write=False), seal=False)
            audit.update(
                verify_ok=report.ok,
                verify_breaks=len(report.breaks),
                verify_s=rounded(time.perf_counter() - started, 2),
            )
            progress(f"audit verify: {'ok' if report.ok else f'{len(report.breaks)} breaks'}")
        return audit
    finally:
        engine.dispose()


def _sqlite(
    config: BenchConfig, workdir: Path, today: Any, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    url = f"sqlite:///{workdir / 'bench.sqlite'}"
    window = config.warmup_s + config.duration_s
    per_run = max(2_000, math.ceil(window * RATE_CEILING / 2))
    county = seed_county(
        url,
        terminals_count=max(config.sqlite_levels),
        customers=len(config.sqlite_levels) * per_run,
        baseline_customers=0,
        today=today,
    )
    terminals = BenchTerminals(county)
    levels: list[dict[str, Any]] = []
    with ServerProcess(database_url=url, workers=1, data_dir=workdir) as server:
        terminals.sign_in(server.base_url)
        for count in config.sqlite_levels:
            result, share = drive(
                server,
                terminals,
                count=count,
                per_terminal=per_run // count,
                warmup_s=config.warmup_s,
                duration_s=config.duration_s,
            )
            levels.append(run_figures(result, share))
            progress(f"SQLite, {count} terminals: {result.payments_per_s:.1f}/s")
    return levels


def _target(levels: Sequence[dict[str, Any]]) -> dict[str, Any]:
    at = next((level for level in levels if level["terminals"] == TARGET_TERMINALS), None)
    met = (
        None
        if at is None or at.get("ratio") is None
        else at["ratio"] >= TARGET_RATIO and at["p99_ms"] <= TARGET_P99_MS
    )
    return {
        "terminals": TARGET_TERMINALS,
        "ratio_at_least": TARGET_RATIO,
        "p99_ms_at_most": TARGET_P99_MS,
        "met": met,
    }


def _machine(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "cpus": os.cpu_count(),
        # others' work shares the cores too: the 1-minute load when the run ended
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "postgresql": row[0] if row else None,
        "platform": platform.platform(terse=True),
    }
