"""The county of ``gridpos bench console``: its two databases, the reference MIS serving it, and
the people who sign in.

Two PostgreSQL databases are made for a run (``gridpos_console_<hex>`` for the server and
``gridpos_console_<hex>_mis`` for the reference MIS) and dropped after it, unless kept. The county
comes the way a real one does: the demo county generator (:mod:`gridpos.refmis.generator`, 岳西's
townships and villages, a year of bills, realistic arrears) fills the MIS; ``gridpos refmis serve``
serves it; the server imports the organisation and syncs customers and open receivables from it
through the MIS client (:func:`~gridpos.application.mis_sync.sync_from_mis`); the demo setup
(:func:`~gridpos.application.demo_setup.set_up_demo`) creates the collection points, funded agents,
terminals and operators of every station and their sign-ins. The payments come after
(:mod:`gridpos.sim.bench.county_data`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx
import psycopg
from argon2 import PasswordHasher
from sqlalchemy.engine import URL, make_url

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.mis import MisClient
from gridpos.application.demo_setup import SignIn, set_up_demo
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.organisation_import import import_organisation
from gridpos.application.ports import Clock
from gridpos.domain.dates import add_months
from gridpos.domain.penalty import default_penalty_rules
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.engine import make_engine
from gridpos.refmis.generator import CountySpec, load_county
from gridpos.refmis.tables import create_schema
from gridpos.sim.bench.server import free_port

MIS_API_KEY: Final = "bench-console-mis-key"
DEMO_SEED: Final = "gridpos-bench-console"
SYNC_PAGE_SIZE: Final = 5_000
# argon2 parameters cheap to verify: the bench's sign-ins are not what it measures
CHEAP_HASHER: Final = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_MIS_START_TIMEOUT_S: Final = 60.0
_MIS_STOP_TIMEOUT_S: Final = 20.0
_SYNC_TIMEOUT_S: Final = 60.0  # one page of the MIS's changes


class MachineClock:
    """The machine's clock: the server the benchmark starts dates payments with it too."""

    def now(self) -> datetime:
        return datetime.now().astimezone()


@dataclass(frozen=True, slots=True)
class ConsoleDatabases:
    """The server's and the MIS's databases of one run (URLs for SQLAlchemy)."""

    name: str
    server_url: str
    mis_url: str

    @property
    def mis_name(self) -> str:
        return f"{self.name}_mis"


def _admin_dsn(url: URL) -> str:
    parts = {
        "host": url.host or "127.0.0.1",
        "port": str(url.port or 5432),
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
    }
    if url.password:
        parts["password"] = str(url.password)
    return " ".join(f"{key}={value}" for key, value in parts.items())


def _database_urls(admin_url: str, name: str) -> ConsoleDatabases:
    parsed = make_url(admin_url).set(drivername="postgresql+psycopg")
    return ConsoleDatabases(
        name=name,
        server_url=parsed.set(database=name).render_as_string(hide_password=False),
        mis_url=parsed.set(database=f"{name}_mis").render_as_string(hide_password=False),
    )


@contextmanager
def console_databases(
    admin_url: str, *, reuse: str | None = None, keep: bool = False
) -> Iterator[ConsoleDatabases]:
    """The run's two databases: made new (dropped at the end, unless ``keep`` and the run
    succeeded), or the kept pair named ``reuse`` (never dropped here).

    Raises ``psycopg.Error`` when PostgreSQL refuses or cannot be reached, and ``LookupError``
    when ``reuse`` names databases that do not exist.
    """
    admin = _admin_dsn(make_url(admin_url))
    if reuse is not None:
        databases = _database_urls(admin_url, reuse)
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            found = {
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                    (databases.name, databases.mis_name),
                )
            }
        if found != {databases.name, databases.mis_name}:
            raise LookupError(f"no kept bench databases named {reuse!r}")
        yield databases
        return
    databases = _database_urls(admin_url, f"gridpos_console_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{databases.name}"')
        conn.execute(f'CREATE DATABASE "{databases.mis_name}"')
    succeeded = False
    try:
        yield databases
        succeeded = True
    finally:
        if not (keep and succeeded):
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{databases.name}" WITH (FORCE)')
                conn.execute(f'DROP DATABASE IF EXISTS "{databases.mis_name}" WITH (FORCE)')


def libpq_dsn(url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (for psycopg and COPY)."""
    return _admin_dsn(make_url(url))


class MisProcess:
    """``gridpos refmis serve`` on the MIS database, on a free loopback port (``with``)."""

    def __init__(self, *, database_url: str, data_dir: Path) -> None:
        self.database_url = database_url
        self.port = free_port()
        self._log = data_dir / f"refmis-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, *, timeout_s: float = _SYNC_TIMEOUT_S) -> MisClient:
        """A client of this MIS."""
        return MisClient(base_url=self.base_url, api_key=MIS_API_KEY, timeout_s=timeout_s)

    def __enter__(self) -> MisProcess:
        command = [
            sys.executable,
            "-m",
            "gridpos",
            "refmis",
            "serve",
            "--database-url",
            self.database_url,
            "--port",
            str(self.port),
            "--api-key",
            MIS_API_KEY,
            "--log-level",
            "warning",
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own command
                command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)
            )
        deadline = time.monotonic() + _MIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"gridpos refmis serve exited: {self._tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gridpos refmis serve did not become healthy: {self._tail()}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=_MIS_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_MIS_STOP_TIMEOUT_S)

    def _tail(self) -> str:
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return "(no log)"


@dataclass(frozen=True, slots=True)
class CountyLoad:
    """What loading the county took and made."""

    customers: int
    mis_receivables: int
    open_receivables: int
    generate_s: float
    sync_s: float
    sign_ins: tuple[SignIn, ...]


def last_billed_period(today: date) -> str:
    """The latest billing month whose bills are out on ``today`` (bills go out on the first
    of the next month): the month before ``today``'s."""
    return add_months(today.strftime("%Y%m"), -1)


def generate_mis_county(
    mis_url: str, *, customers: int, months: int, seed: int, today: date
) -> Any:
    """Fill the empty MIS database with the demo county generator; its summary."""
    engine = make_engine(mis_url)
    try:
        create_schema(engine)
        spec = CountySpec(
            customers=customers,
            months=months,
            seed=seed,
            last_period=last_billed_period(today),
            as_of=today,
        )
        return load_county(
            engine, spec, schedule=default_tariff_schedule(), rules=default_penalty_rules()
        )
    finally:
        engine.dispose()


def load_server_county(
    server_url: str, mis: MisProcess, *, clock: Clock, deadline_s: float
) -> tuple[int, int, float]:
    """Create the server's schema, import the organisation and sync the county from ``mis``;
    the customers and receivables written, and the seconds the sync took.

    Raises ``TimeoutError`` when the sync is not caught up within ``deadline_s`` seconds, and
    the MIS client's errors when the MIS refuses.
    """
    migrate.upgrade(server_url)
    engine = create_engine_for(server_url)
    customers = receivables = 0
    started = time.monotonic()
    try:
        with mis.client() as client:
            import_organisation(engine, client, clock=clock)
            while True:
                progress = sync_from_mis(
                    engine, client, clock=clock, page_size=SYNC_PAGE_SIZE, max_pages=20
                )
                customers += progress.customers
                receivables += progress.receivables
                if progress.caught_up:
                    break
                if time.monotonic() - started > deadline_s:
                    raise TimeoutError(f"the MIS sync was not done in {deadline_s:.0f} s")
    finally:
        engine.dispose()
    return customers, receivables, time.monotonic() - started


def set_up_people(server_url: str, *, clock: Clock) -> tuple[SignIn, ...]:
    """The demo's collection points, funded agents, terminals and operators; every sign-in."""
    engine = create_engine_for(server_url)
    try:
        setup = set_up_demo(engine, clock=clock, hasher=CHEAP_HASHER, seed=DEMO_SEED)
    finally:
        engine.dispose()
    return setup.sign_ins
