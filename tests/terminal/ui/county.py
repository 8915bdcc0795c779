"""A real `gridpos serve` process over a seeded county, for driving the POS screen against it.

The county is the payment server tests' own (:mod:`server.support`: 岳西县供电公司, 天堂供电所,
agent A001 with 1,000.00 yuan of float); each screen test adds its own terminal (with a fresh
one-time enrolment code) and its own customers, so tests sharing one server never see each
other's payments.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, insert, select

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import customers, payments, receivables
from gridpos.application.context import Services
from gridpos.application.terminals.admin import add_terminal
from gridpos.application.terminals.enrolment import issue_enrolment_code
from gridpos.terminal.config import china_date
from server.support import FakeClock, make_services, seed_county

AGENT = "A001"
PASSWORD = "pw-A001"
ORGANISATION = "3408280101"
AGENT_FLOAT = 100_000
STARTUP_S = 90.0  # a bound, not a wait: a busy machine starts slowly


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveCounty:
    """The served county: its URL, and helpers that add terminals and customers to it."""

    url: str
    database_url: str
    engine: Engine
    services: Services
    station_id: int
    terminals: itertools.count[int] = field(default_factory=lambda: itertools.count(34080101))
    codes: itertools.count[int] = field(default_factory=lambda: itertools.count(700000000001))
    accounts: itertools.count[int] = field(default_factory=lambda: itertools.count(300000001))

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def new_terminal(self) -> tuple[str, str]:
        """A terminal issued at agent A001's collection point; its number and enrolment code."""
        terminal_no = str(next(self.terminals))
        add_terminal(
            self.services,
            terminal_no=terminal_no,
            org_code=ORGANISATION,
            agent_code=AGENT,
            actor="test",
        )
        code = str(next(self.codes))
        issue_enrolment_code(self.services, terminal_no=terminal_no, code=code, actor="test")
        return terminal_no, code

    def today(self) -> date:
        """The business date the server opens now (the county's calendar date)."""
        return china_date(datetime.now(UTC))

    def add_customer(self, name: str, *, principal: int = 0, days_late: int = 0) -> str:
        """A residential customer of 天堂供电所; with one bill of ``principal`` fen whose due
        date was ``days_late`` days before today. Its customer number."""
        account_no = f"0{next(self.accounts)}"
        due = self.today() - timedelta(days=days_late)
        with self.engine.begin() as conn:
            customer_id = conn.execute(
                insert(customers)
                .values(
                    account_no=account_no,
                    name=name,
                    address="天堂镇黄尾村5组",
                    category="residential",
                    station_org_id=self.station_id,
                    segment="TT01",
                )
                .returning(customers.c.id)
            ).scalar_one()
            if principal:
                period = (due - timedelta(days=40)).strftime("%Y%m")
                conn.execute(
                    insert(receivables).values(
                        mis_receivable_id=f"MIS-{account_no}-{period}",
                        customer_id=customer_id,
                        period=period,
                        run_no=1,
                        kwh=159,
                        principal=principal,
                        due_date=due,
                    )
                )
        return account_no

    def payments_of(self, account_no: str) -> list[tuple[int, str]]:
        """The server's payments of a customer: (cash, state), oldest first."""
        with self.engine.connect() as conn:
            customer_id = conn.execute(
                select(customers.c.id).where(customers.c.account_no == account_no)
            ).scalar_one()
            rows = conn.execute(
                select(payments.c.cash, payments.c.state)
                .where(payments.c.customer_id == customer_id)
                .order_by(payments.c.id)
            ).all()
        return [(int(cash), str(state)) for cash, state in rows]

    def payment_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(payments)).scalar_one())


def serve_county(folder: Path) -> tuple[LiveCounty, subprocess.Popen[bytes]]:
    """Migrate and seed a SQLite county in ``folder`` and start `gridpos serve` on it."""
    database_url = f"sqlite:///{folder / 'server.sqlite'}"
    migrate.upgrade(database_url)
    engine = create_engine_for(database_url)
    services = make_services(engine, FakeClock(datetime.now(UTC)))
    ids = seed_county(services)
    port = free_port()
    env = {
        **os.environ,
        "GRIDPOS_DATA_DIR": str(folder),
        "GRIDPOS_DATABASE_URL": database_url,
        "GRIDPOS_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gridpos", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    with httpx.Client(base_url=url, timeout=5) as http:
        while True:
            if process.poll() is not None:
                problem = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"gridpos serve ended: {problem[-2000:]}")
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("gridpos serve did not come up")
            time.sleep(0.2)
    county = LiveCounty(
        url=url,
        database_url=database_url,
        engine=engine,
        services=services,
        station_id=ids["station"],
    )
    return county, process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
