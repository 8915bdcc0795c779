"""``gridpos bench console``: every console list and search page over a county-sized PostgreSQL
database, and the time a payment takes to reach the monitoring page.

1. Two databases of its own (:mod:`.console_county`), filled in order (:mod:`.console_data`): the
   county generated into the reference MIS and synced from it, the demo's people and the county's
   terminals, the payment history in bulk SQL, the MIS's postings of it — or a kept pair reused.
2. ``gridpos refmis serve`` on the MIS's database and ``gridpos serve`` on the server's, the
   server reaching the MIS (the MIS进账 page reads it), as an operator would start them.
3. The county's admin, a station head and an agent sign in over HTTP; every registered page is
   asked for with realistic filters (:mod:`.console_pages`), warm-up excluded, and timed
   (:mod:`.console_http`): p50 and p95 per page, and per request within it.
4. The live check (:mod:`.console_live`): a real terminal pays while the monitoring stream is read.

Everything is bounded: the sync by :data:`~.console_data.SYNC_DEADLINE_S`, each page by its count
of requests and its time limit, each live sample by its event timeout.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import psycopg

from gridpos.adapters.db import migrate
from gridpos.interfaces.console.config import SECURE_COOKIES_ENV
from gridpos.sim.bench.console_county import (
    MIS_API_KEY,
    MisProcess,
    console_databases,
    libpq_dsn,
)
from gridpos.sim.bench.console_data import DatasetSize, build_dataset, read_facts
from gridpos.sim.bench.console_http import ConsoleUser, measure_pages
from gridpos.sim.bench.console_live import measure_live
from gridpos.sim.bench.console_pages import ROLES, login_of, page_specs
from gridpos.sim.bench.figures import rounded
from gridpos.sim.bench.server import ServerProcess

DEFAULT_ADMIN_URL: Final = "postgresql://postgres@127.0.0.1:5432/postgres"
P95_LIMIT_MS: Final = 200.0
LIVE_LIMIT_S: Final = 2.0


@dataclass(frozen=True, slots=True)
class ConsoleBenchConfig:
    """How big a county, how many requests, and where PostgreSQL is."""

    admin_url: str = DEFAULT_ADMIN_URL
    size: DatasetSize = field(default_factory=DatasetSize)
    requests: int = 100  # timed answers per page
    page_time_limit_s: float = 60.0
    live_samples: int = 5
    workers: int = 1
    keep: bool = False  # keep the databases after the run (to reuse them)
    reuse: str | None = None  # the name of a kept pair of databases


class _Server(ServerProcess):
    """:class:`ServerProcess` that stops the server when it never became healthy."""

    def __enter__(self) -> _Server:
        try:
            super().__enter__()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """``values`` set in this process's environment for the child processes started inside."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _postgresql_version(url: str) -> str:
    with psycopg.connect(libpq_dsn(url), connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def run_console_bench(
    config: ConsoleBenchConfig, *, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Build (or reuse) the county, serve it, measure every page and the live check; the
    figures as a JSON-ready dict.

    Raises ``psycopg.Error`` when PostgreSQL cannot be used, ``LookupError`` for a kept dataset
    that is not there, and what the steps raise when the server or the MIS misbehaves.
    """
    started = time.monotonic()
    result: dict[str, Any] = {"benchmark": "console", "database": "postgresql"}
    with (
        console_databases(config.admin_url, reuse=config.reuse, keep=config.keep) as databases,
        tempfile.TemporaryDirectory(prefix="gridpos-bench-console-") as tmp,
    ):
        data_dir = Path(tmp)
        result["postgresql"] = _postgresql_version(databases.server_url)
        if config.keep or config.reuse:
            result["database_name"] = databases.name
        if config.reuse is None:
            progress(f"building the county in {databases.name}")
            timings = build_dataset(
                databases,
                MisProcess(database_url=databases.mis_url, data_dir=data_dir),
                config.size,
                progress=progress,
            )
            result["dataset_s"] = {name: rounded(value) for name, value in timings.items()}
        migrate.upgrade(databases.server_url)  # a kept dataset may predate a migration
        facts = read_facts(databases.server_url)
        result["customers"] = facts.customers
        result["payments"] = facts.payments
        result["business_dates"] = [facts.first_day.isoformat(), facts.today.isoformat()]
        with MisProcess(database_url=databases.mis_url, data_dir=data_dir) as mis:
            environment = {
                "GRIDPOS_MIS_URL": mis.base_url,
                "GRIDPOS_MIS_API_KEY": MIS_API_KEY,
                SECURE_COOKIES_ENV: "never",
            }
            with (
                _environment(**environment),
                _Server(
                    database_url=databases.server_url, workers=config.workers, data_dir=data_dir
                ) as server,
            ):
                result["server_workers"] = config.workers
                users = {
                    role: ConsoleUser(server.base_url, login_of(facts, role)) for role in ROLES
                }
                try:
                    for user in users.values():
                        user.sign_in()
                    progress("signed in: " + ", ".join(r.value for r in users))
                    result["pages"] = measure_pages(
                        page_specs(facts),
                        users,
                        requests=config.requests,
                        time_limit_s=config.page_time_limit_s,
                        progress=progress,
                    )
                finally:
                    for user in users.values():
                        user.close()
                samples = measure_live(
                    server.base_url, databases.server_url, facts, samples=config.live_samples
                )
    result["over_limit"] = [
        page["page"]
        for page in result["pages"]
        if page["p95_ms"] is None or page["p95_ms"] > P95_LIMIT_MS
    ]
    result["monitoring_latency_s"] = rounded(max(s.from_start_s for s in samples), 3)
    result["monitoring_latency"] = {
        "samples": [
            {key: rounded(value, 3) for key, value in asdict(sample).items()} for sample in samples
        ],
        "from_answer_max_s": rounded(max(s.from_answer_s for s in samples), 3),
        "limit_s": LIVE_LIMIT_S,
    }
    result["limits"] = {"p95_ms": P95_LIMIT_MS, "monitoring_latency_s": LIVE_LIMIT_S}
    result["machine"] = {"cpus": os.cpu_count()}
    result["seconds"] = rounded(time.monotonic() - started)
    progress(f"done in {result['seconds']} s")
    return result


__all__ = ["ConsoleBenchConfig", "DatasetSize", "run_console_bench"]
