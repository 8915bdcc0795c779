"""Real collections for the console's monitoring, receipt check and audit tests: customers,
funded agents and enrolled terminals added to the seeded tree of :mod:`tests.console.seed`, and
payments made through the terminal API (signed requests, the real use cases, the real ledger).

Added to the tree:

- customers 0100000001 (天堂, residential, no arrears: every payment goes to prepaid) and
  0100000002 (店前, the same);
- agent A0101 (天堂镇代收点) and A0201 (店前代收点) each topped up with :data:`FLOAT`;
- operator agent02 for A0201 at 店前代收点;
- terminals 34080101 (天堂镇代收点, A0101) and 34080201 (店前代收点, A0201), enrolled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, insert
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import customers, float_topups, operators
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.parameters import ParameterCache
from gridpos.application.ports import Clock, ReplicaOnly
from gridpos.application.terminals.admin import add_terminal
from gridpos.application.terminals.directory import TerminalDirectory
from gridpos.application.terminals.enrolment import enrol, issue_enrolment_code
from gridpos.bootstrap import COUNTY_TIME
from gridpos.domain.ledger import topup_posting
from gridpos.domain.penalty import default_penalty_rules
from gridpos.interfaces.http.app import create_app
from gridpos.protocol.codec import encode
from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest, make_txn_id
from gridpos.protocol.terminal.session import SignInRequest

from .seed import PASSWORD, Tree

FLOAT = 500_000  # 5,000.00 yuan for each agent
TERMINALS = {"34080101": ("3408280101", "A0101"), "34080201": ("3408280201", "A0201")}
COLLECTORS = {"34080101": ("agent01", "3408280101"), "34080201": ("agent02", "3408280201")}
CUSTOMERS = {"0100000001": ("储大山", "34082801"), "0100000002": ("汪小燕", "34082802")}
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def terminal_services(engine: Engine, clock: Clock) -> Services:
    """The terminal API's collaborators on the console test's database and clock."""
    return Services(
        engine=engine,
        clock=clock,
        county_tz=COUNTY_TIME,
        refresher=ReplicaOnly(),
        penalty_rules=default_penalty_rules(),
        parameters=ParameterCache(now=clock.now, seconds=0),
        passwords=CHEAP,
        directory=TerminalDirectory(),
    )


@dataclass
class Terminal:
    """A terminal talking to the server through ``http``: signs with its key, counts."""

    http: Any
    terminal_no: str
    key: bytes
    clock: Clock
    collector: tuple[str, str] = ("agent01", "3408280101")  # account, organisation code
    counter: int = 0
    serial: int = 0
    trace: int = 0

    def send(self, route: routes.Route[Any, Any], message: Any) -> Any:
        """Send ``message`` signed; the decoded answer (fails the test on a refusal)."""
        self.counter += 1
        target = route.target(message) if route.method == "GET" else route.path
        body = b"" if route.method == "GET" else encode(message)
        headers = {"content-type": "application/json"}
        headers.update(
            sign_request(
                key=self.key,
                method=route.method,
                target=target,
                body=body,
                terminal_no=self.terminal_no,
                counter=self.counter,
                now=self.clock.now(),
            )
        )
        answer = self.http.request(route.method, target, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        return route.answer.model_validate_json(answer.content)

    def sign_in(self) -> None:
        account, org = self.collector
        self.send(
            routes.SIGN_IN,
            SignInRequest(agent_account=account, password=PASSWORD, organisation_code=org),
        )

    def next_txn(self) -> tuple[str, int]:
        """A fresh transaction id and serial (流水号)."""
        self.serial += 1
        self.trace += 1
        return (
            make_txn_id(terminal_no=self.terminal_no, serial=self.serial, nonce=uuid.uuid4()),
            self.trace,
        )

    def pay(self, account_no: str, cash: int, *, cash_time: datetime | None = None) -> PayAnswer:
        """Pay ``cash`` for a customer without arrears (all of it becomes prepaid)."""
        txn_id, trace_no = self.next_txn()
        answer: PayAnswer = self.send(
            routes.PAY,
            PayRequest(
                txn_id=txn_id,
                trace_no=trace_no,
                account_no=account_no,
                cash=cash,
                amount_due=0,
                cash_time=cash_time or self.clock.now(),
            ),
        )
        return answer


@dataclass
class Collecting:
    """The terminal API over the test database, and the enrolled terminals' keys."""

    services: Services
    http: Any
    keys: dict[str, bytes]
    customer_ids: dict[str, int] = field(default_factory=dict)
    collectors: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(COLLECTORS))

    def terminal(self, terminal_no: str) -> Terminal:
        return Terminal(
            http=self.http,
            terminal_no=terminal_no,
            key=self.keys[terminal_no],
            clock=self.services.clock,
            collector=self.collectors[terminal_no],
        )


def _enrol(services: Services, terminal_no: str, org_code: str, agent_code: str) -> bytes:
    add_terminal(
        services, terminal_no=terminal_no, org_code=org_code, agent_code=agent_code, actor="test"
    )
    code = f"{uuid.uuid4().int % 10**12:012d}"
    issue_enrolment_code(services, terminal_no=terminal_no, code=code, actor="test")
    key = uuid.uuid4().bytes + uuid.uuid4().bytes
    enrol(services, EnrolRequest(code=code, device_serial="SN-1", version="1.0.0"), new_key=key)
    return key


def seed_collecting(
    engine: Engine,
    tree: Tree,
    clock: Clock,
    *,
    day: date,
    terminal_numbers: dict[str, tuple[str, str]] | None = None,
    customer_numbers: dict[str, tuple[str, str]] | None = None,
    second_collector: bool = True,
    http: Any = None,
) -> Collecting:
    """Add customers, funded agents, a second collector and two enrolled terminals (or the
    ``terminal_numbers`` and ``customer_numbers`` given); the terminals talk to an in-process
    server unless ``http`` (a client of a running server) is given."""
    services = terminal_services(engine, clock)
    terminal_numbers = TERMINALS if terminal_numbers is None else terminal_numbers
    customer_numbers = CUSTOMERS if customer_numbers is None else customer_numbers
    now = clock.now()
    customer_ids: dict[str, int] = {}
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        for account_no, (name, station) in customer_numbers.items():
            customer_ids[account_no] = int(
                conn.execute(
                    insert(customers)
                    .values(
                        account_no=account_no,
                        name=name,
                        address="天堂镇天寨村3组",
                        category="residential",
                        station_org_id=tree.org[station],
                    )
                    .returning(customers.c.id)
                ).scalar_one()
            )
        if second_collector:
            conn.execute(
                insert(operators).values(
                    org_id=tree.org["3408280201"],
                    account="agent02",
                    name="郑代收",
                    password_hash=CHEAP.hash(PASSWORD),
                    role="agent",
                    agent_id=tree.agent["A0201"],
                )
            )
        for agent in ("A0101", "A0201"):
            conn.execute(
                insert(float_topups).values(
                    agent_id=tree.agent[agent],
                    amount=FLOAT,
                    state="approved",
                    requested_by=tree.operator["finance@340828"],
                    requested_at=now,
                    decided_by=tree.operator["admin@340828"],
                    decided_at=now,
                )
            )
            uow.ledger.record(
                topup_posting(agent_id=tree.agent[agent], amount=FLOAT),
                business_date=day,
                recorded_at=now,
                agent_id=tree.agent[agent],
            )
        uow.commit()
    keys = {
        terminal_no: _enrol(services, terminal_no, org_code, agent_code)
        for terminal_no, (org_code, agent_code) in terminal_numbers.items()
    }
    collectors = {
        terminal_no: ("agent01" if agent_code == "A0101" else "agent02", org_code)
        for terminal_no, (org_code, agent_code) in terminal_numbers.items()
    }
    if http is None:
        http = TestClient(create_app(services), raise_server_exceptions=True)
    return Collecting(
        services=services,
        http=http,
        keys=keys,
        customer_ids=customer_ids,
        collectors=collectors,
    )
