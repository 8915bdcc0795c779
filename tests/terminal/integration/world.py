"""A real payment server (``gridpos serve`` in its own process) behind the real link emulator,
for the terminal library's integration tests.

The county is the payment server's test county (``tests/server/support.py``), seeded with the
real clock because the served process keeps real time; it gets extra terminals of agent A001, each
with a one-time enrolment code, so every test enrols its own terminal through the terminal API.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import payments, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.application.terminals.admin import add_terminal
from gridpos.application.terminals.enrolment import issue_enrolment_code
from gridpos.sim.link import LinkProfile, RunningLink, script_from_data
from gridpos.terminal import Terminal, TerminalConfig, Timeouts
from server.support import FakeClock, make_services, seed_county

AGENT = "A001"
PASSWORD = "pw-A001"
ORG = "3408280101"
PREPAY_ACCOUNT = "0100000003"  # no arrears: any cash is prepaid
ARREARS_ACCOUNT = "0100000001"
FIRST_TERMINAL = 34081000
QUICK = Timeouts(connect_s=2.0, read_s=2.0, write_s=2.0, pool_s=2.0)
CLEAN = LinkProfile(name="clean", one_way_ms=0, handshake=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServedCounty:
    """The database, the served process, the link in front of it, and unused terminals."""

    url: str
    engine: Engine
    process: subprocess.Popen[bytes]
    server_address: tuple[str, int]
    link: RunningLink
    codes: dict[str, str]
    used: list[str] = field(default_factory=list)

    @property
    def link_url(self) -> str:
        host, port = self.link.address
        return f"http://{host}:{port}"

    def next_terminal(self) -> tuple[str, str]:
        """A terminal number not used by another test, and its enrolment code."""
        for number, code in self.codes.items():
            if number not in self.used:
                self.used.append(number)
                return number, code
        raise AssertionError("the county ran out of terminals")

    def script(self, *rules: dict[str, Any]) -> None:
        """Cut or stall the chosen requests from now on (no rules: the link heals)."""
        self.link.set_script(script_from_data(list(rules)))

    def server_payments(self, terminal_no: str) -> dict[str, tuple[str, int, bool]]:
        """The server's payments of one terminal: txn id → (state, cash, offline)."""
        query = (
            select(payments.c.txn_id, payments.c.state, payments.c.cash, payments.c.offline)
            .select_from(payments.join(terminals, terminals.c.id == payments.c.terminal_id))
            .where(terminals.c.terminal_no == terminal_no)
        )
        with self.engine.connect() as conn:
            return {
                row.txn_id: (row.state, row.cash, bool(row.offline)) for row in conn.execute(query)
            }

    def payment_rows(self, txn_id: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(payments).where(payments.c.txn_id == txn_id)
                ).scalar_one()
            )

    def audit_problems(self) -> list[str]:
        report = verify_database(SqlUnitOfWork(self.engine, write=False))
        return [item.describe() for item in report.breaks]

    def open_terminal(self, data_dir: Path, **options: Any) -> Terminal:
        settings: dict[str, Any] = {
            "timeouts": QUICK,
            "follow_server_timeout": False,
            "disk_reserve_bytes": 0,
            "query_timeout_s": QUICK.read_s,
            **options,
        }
        config = TerminalConfig(**settings)
        return Terminal(data_dir, self.link_url, config=config)


def terminal_journal(terminal: Terminal) -> dict[str, tuple[str, int, bool]]:
    """The terminal's payments as its journal has them: txn id → (state, cash, offline)."""
    return {
        record.txn_id: (record.state.value, record.cash, record.offline)
        for record in terminal.journal.txns_since(0)
    }


def serve_county(tmp: Path, *, terminals_wanted: int = 40) -> Iterator[ServedCounty]:
    """Seed a county in a SQLite file, serve it with ``gridpos serve``, put the link in front."""
    url = f"sqlite:///{tmp / 'server.sqlite'}"
    migrate.upgrade(url)
    engine = create_engine_for(url)
    services = make_services(engine, FakeClock(datetime.now(UTC)))
    seed_county(services)
    codes: dict[str, str] = {}
    for index in range(terminals_wanted):
        number = str(FIRST_TERMINAL + index)
        add_terminal(services, terminal_no=number, org_code=ORG, agent_code=AGENT, actor="test")
        code = f"{700000000000 + index:012d}"
        issue_enrolment_code(services, terminal_no=number, code=code, actor="test")
        codes[number] = code
    port = free_port()
    env = {**os.environ, "GRIDPOS_DATA_DIR": str(tmp), "GRIDPOS_DATABASE_URL": url}
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gridpos", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(process, port, tmp / "serve.log")
        with RunningLink(upstream=("127.0.0.1", port), profile=CLEAN, seed=1) as link:
            yield ServedCounty(url, engine, process, ("127.0.0.1", port), link, codes)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        engine.dispose()


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90  # a bound, not a wait: a busy machine starts slowly
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "gridpos serve did not come up"
            time.sleep(0.2)


def enrolled_terminal(county: ServedCounty, data_dir: Path, *, allowance: int = 0) -> Terminal:
    """A terminal of agent A001, enrolled with its own code and signed in."""
    _number, code = county.next_terminal()
    terminal = county.open_terminal(data_dir)
    terminal.enrol(code)
    terminal.sign_in(
        agent_account=AGENT, password=PASSWORD, organisation_code=ORG, offline_allowance=allowance
    )
    return terminal
