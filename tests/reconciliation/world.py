"""A county where every side of a reconciliation is real: the reference MIS served over HTTP
(its worked customers billed for 202601–202602), the payment server's use cases served by uvicorn
behind the link emulator, the demo's collection point with its agent, and a terminal of the real
terminal library enrolled and signed in through the link. One clock moves them all.

Payments are made by the terminal, the outbox is delivered to the MIS by the worker's use case,
and the MIS is damaged on purpose through its ``/admin`` routes — no row is written by hand.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine, select

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.tables import agents, operators, organisations, payments
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient
from gridpos.application.audit_verify import verify_database
from gridpos.application.console.access import Actor, Role
from gridpos.application.context import Services
from gridpos.application.demo_setup import demo_password, set_up_demo
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.organisation_import import import_organisation
from gridpos.application.outbox_delivery import deliver_due
from gridpos.application.reconciliation import (
    ReconciliationServices,
    RunRequest,
    RunSummary,
    reconcile,
    run_outcome,
)
from gridpos.application.reconciliation.views import DifferenceView
from gridpos.application.terminals.enrolment import issue_enrolment_code
from gridpos.interfaces.http.app import create_app
from gridpos.protocol.mis import API_KEY_HEADER
from gridpos.sim.link import LinkProfile, RunningLink, script_from_data
from gridpos.terminal import Terminal, TerminalConfig, Timeouts
from mis.county import add_worked_customers, bill
from mis.harness import API_KEY, RunningMis, start_mis
from mis.test_demo_setup import CHEAP
from server.support import FakeClock, make_services

DAY = date(2026, 4, 10)
MORNING = datetime(2026, 4, 10, 1, 0, tzinfo=UTC)  # 09:00 in the county
TERMINAL, AGENT, POINT, STATION = "28010001", "A340828011", "3408280101", "34082801"
# worked customers with two bills each: A and B of the terminal's own station (its offline area)
A, B, C, D = "0100100001", "0100100002", "0200100001", "0200100002"
QUICK = Timeouts(connect_s=2.0, read_s=2.0, write_s=2.0, pool_s=2.0)
CLEAN = LinkProfile(name="clean", one_way_ms=0, handshake=False)


@dataclass
class World:
    """The county and everything serving it (see the module docstring)."""

    tmp: Path
    url: str  # the server's database
    mis: RunningMis
    client: MisClient
    engine: Engine
    clock: FakeClock
    services: Services
    recon: ReconciliationServices
    link: RunningLink

    # ---- time --------------------------------------------------------------------------------

    def advance(self, **delta: float) -> None:
        """Move the server's, the terminal's and the MIS's clock together."""
        self.clock.advance(**delta)
        self.mis.clock.moment = self.clock.now()

    def today(self) -> date:
        return self.recon.today()

    # ---- the terminal ------------------------------------------------------------------------

    @property
    def link_url(self) -> str:
        host, port = self.link.address
        return f"http://{host}:{port}"

    def terminal(self, *, allowance: int = 0) -> Terminal:
        """The demo point's terminal, enrolled with a fresh code and signed in."""
        code = f"{uuid.uuid4().int % 10**12:012d}"
        issue_enrolment_code(self.services, terminal_no=TERMINAL, code=code, actor="test")
        config = TerminalConfig(timeouts=QUICK, follow_server_timeout=False, disk_reserve_bytes=0)
        terminal = Terminal(
            self.tmp / f"terminal-{code}", self.link_url, config=config, clock=self.clock.now
        )
        terminal.enrol(code)
        self.sign_in(terminal, allowance=allowance)
        return terminal

    def sign_in(self, terminal: Terminal, *, allowance: int = 0) -> None:
        """签到 of the demo point's agent on ``terminal``."""
        terminal.sign_in(
            agent_account=AGENT,
            password=demo_password("gridpos-demo", AGENT),
            organisation_code=POINT,
            offline_allowance=allowance,
        )

    def script(self, *rules: dict[str, Any]) -> None:
        """Cut the chosen requests from now on (no rules: the link heals)."""
        self.link.set_script(script_from_data(list(rules)))

    # ---- the MIS -----------------------------------------------------------------------------

    def deliver(self) -> int:
        """Deliver the outbox to the MIS until nothing is due (or the MIS is out of reach); how
        many rows were sent."""
        sent = 0
        for _round in range(20):
            report = deliver_due(self.engine, self.client, clock=self.clock, jitter=lambda: 0.0)
            sent += report.sent
            if report.claimed == 0 or report.mis_unavailable:
                return sent
            self.advance(seconds=5)
        raise AssertionError("the outbox did not drain")

    def mis_admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        with httpx.Client(
            base_url=self.mis.url, headers={API_KEY_HEADER: API_KEY}, timeout=10
        ) as http:
            response = http.post(f"/admin{path}", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    # ---- reconciliation ----------------------------------------------------------------------

    def reconcile(
        self, *, day: date | None = None, repair: bool = True, **options: Any
    ) -> tuple[RunSummary, list[DifferenceView]]:
        """Reconcile ``day`` (today) from the MIS's posting detail; the run and its differences
        (those it found, not those it saw cleared)."""
        first = day or self.today()
        run_id = reconcile(
            self.recon,
            RunRequest(date_from=first, date_to=first, repair=repair, actor="test", **options),
        )
        summary, _kinds, differences = run_outcome(self.recon, run_id)
        return summary, [d for d in differences if d.change != "cleared"]

    def actor(self, role: Role, *, index: int = 0) -> Actor:
        """An operator of the demo county with ``role`` (finance at the county, the station head
        of the first station)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    operators.c.id,
                    operators.c.account,
                    operators.c.name,
                    operators.c.org_id,
                    organisations.c.code,
                    organisations.c.name.label("org_name"),
                    organisations.c.path,
                )
                .join(organisations, organisations.c.id == operators.c.org_id)
                .where(operators.c.role == role.value)
                .order_by(organisations.c.code, operators.c.id)
            ).all()
        row = rows[index]
        return Actor(
            operator_id=int(row.id),
            account=row.account,
            name=row.name,
            role=role,
            org_id=int(row.org_id),
            org_code=row.code,
            org_name=row.org_name,
            org_path=row.path,
        )

    # ---- what the server holds ---------------------------------------------------------------

    def payment(self, txn_id: str) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(select(payments).where(payments.c.txn_id == txn_id)).one()

    def payment_count(self, txn_id: str) -> int:
        with self.engine.connect() as connection:
            return len(
                connection.execute(select(payments.c.id).where(payments.c.txn_id == txn_id)).all()
            )

    def float_of_agent(self) -> tuple[int, int]:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(agents.c.float_available, agents.c.float_held).where(agents.c.code == AGENT)
            ).one()
        return int(row.float_available), int(row.float_held)

    def audit_clean(self) -> None:
        """`gridpos audit verify` finds nothing wrong."""
        report = verify_database(SqlUnitOfWork(self.engine, write=False))
        assert report.ok, [item.describe() for item in report.breaks]


@contextmanager
def _served(services: Services) -> Iterator[tuple[str, int]]:
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield "127.0.0.1", int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def world_of(tmp: Path, database_url: str) -> Iterator[World]:
    """The county of the module docstring, on a fresh server database at ``database_url``."""
    mis = start_mis(tmp, day=DAY)
    clock = FakeClock(MORNING)
    mis.clock.moment = MORNING
    upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        add_worked_customers(mis)
        bill(mis, "202601")
        bill(mis, "202602")
        with mis.client() as client:
            import_organisation(engine, client, clock=clock)
            sync_from_mis(engine, client, clock=clock)
            set_up_demo(engine, clock=clock, hasher=CHEAP)
            services = dataclasses.replace(make_services(engine, clock))
            recon = ReconciliationServices.of(services, mis=client)
            with (
                _served(services) as upstream,
                RunningLink(upstream=upstream, profile=CLEAN, seed=1) as link,
            ):
                yield World(tmp, database_url, mis, client, engine, clock, services, recon, link)
    finally:
        engine.dispose()
        mis.stop()


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
