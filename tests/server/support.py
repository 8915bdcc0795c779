"""A small county for the payment server's tests, a settable clock and a signed test client."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from argon2 import PasswordHasher
from pydantic import BaseModel
from sqlalchemy import Engine, insert
from starlette.testclient import TestClient

from gridpos.adapters.db.parameter_store import set_parameter
from gridpos.adapters.db.tables import agents, customers, float_topups, operators, receivables
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.application.context import Services
from gridpos.application.parameters import ParameterCache
from gridpos.application.ports import ReplicaOnly
from gridpos.application.terminals.admin import add_terminal
from gridpos.application.terminals.directory import TerminalDirectory
from gridpos.application.terminals.enrolment import enrol, issue_enrolment_code
from gridpos.bootstrap import COUNTY_TIME
from gridpos.domain.ledger import topup_posting
from gridpos.domain.penalty import default_penalty_rules
from gridpos.protocol.codec import encode
from gridpos.protocol.errors import CATALOGUE, ErrorCode
from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.payments import make_txn_id
from gridpos.protocol.terminal.routes import Route

TERMINAL = "34080017"
TERMINAL2 = "34080018"  # a second terminal of the same agent
TERMINAL_B = "34080019"  # a terminal of another agent (A002)

# 2024-05-01 08:30 in the county (00:30 UTC): the business date is 2024-05-01
START = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
DAY = date(2024, 5, 1)
FLOAT = 100_000  # 1,000.00 yuan topped up for agent A001
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


@dataclass(frozen=True)
class World:
    """Ids and keys of the test county."""

    agent_id: int
    agent2_id: int
    terminal_no: str
    terminal2_no: str
    terminal_other_agent_no: str
    keys: Mapping[str, bytes]
    customer_ids: Mapping[str, int]
    receivable_ids: Mapping[str, int]


def make_services(engine: Engine, clock: FakeClock) -> Services:
    """The use cases' collaborators for a test."""
    return Services(
        engine=engine,
        clock=clock,
        county_tz=COUNTY_TIME,
        refresher=ReplicaOnly(),
        penalty_rules=default_penalty_rules(),
        parameters=ParameterCache(now=clock.now, seconds=0),
        passwords=CHEAP_HASHER,
        directory=TerminalDirectory(),
    )


def _row(conn: Any, table: Any, **values: Any) -> int:
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def seed_county(services: Services) -> dict[str, int]:
    """Organisations, agents, operators, customers and receivables; ids by name."""
    ids: dict[str, int] = {}
    with SqlUnitOfWork(services.engine, write=True) as uow:
        conn = uow.connection
        orgs = uow.organisations
        county = orgs.add(code="340828", name="岳西县供电公司", level="county", parent_id=None)
        station = orgs.add(code="34082801", name="天堂供电所", level="station", parent_id=county.id)
        point = orgs.add(
            code="3408280101", name="天堂镇便民超市", level="collection_point", parent_id=station.id
        )
        point2 = orgs.add(
            code="3408280102", name="天堂镇小卖部", level="collection_point", parent_id=station.id
        )
        other = orgs.add(code="340800", name="潜山县供电公司", level="county", parent_id=None)
        other_station = orgs.add(
            code="34080001", name="梅城供电所", level="station", parent_id=other.id
        )
        ids.update(
            county=county.id,
            station=station.id,
            point=point.id,
            point2=point2.id,
            other_station=other_station.id,
        )
        ids["agent"] = _row(conn, agents, org_id=point.id, code="A001", name="王小红")
        ids["agent2"] = _row(conn, agents, org_id=point2.id, code="A002", name="李大明")
        hasher = services.passwords

        def operator(org_id: int, account: str, role: str, password: str, **extra: Any) -> int:
            return _row(
                conn,
                operators,
                org_id=org_id,
                account=account,
                name=f"{account}-name",
                password_hash=hasher.hash(password),
                role=role,
                **extra,
            )

        ids["admin"] = operator(county.id, "admin", "admin", "admin-pw")
        ids["finance"] = operator(county.id, "finance", "finance", "fin-pw")
        ids["finance2"] = operator(county.id, "finance2", "finance", "fin-pw")
        ids["collector"] = operator(point.id, "A001", "agent", "pw-A001", agent_id=ids["agent"])
        ids["collector2"] = operator(point2.id, "A002", "agent", "pw-A002", agent_id=ids["agent2"])
        ids["head"] = operator(station.id, "zhang", "station_head", "sup-pw")
        ids["other_head"] = operator(other_station.id, "wu", "station_head", "sup-pw")

        def customer(account_no: str, name: str, category: str, station_id: int) -> int:
            return _row(
                conn,
                customers,
                account_no=account_no,
                name=name,
                address="天堂镇天寨村3组",
                category=category,
                station_org_id=station_id,
                segment="TT01",
            )

        ids["c1"] = customer("0100000001", "储大山", "residential", station.id)
        ids["c2"] = customer("0100000002", "天寨茶厂", "non_residential", station.id)
        ids["c3"] = customer("0100000003", "汪小燕", "residential", station.id)
        ids["c_other"] = customer("0200000001", "潜山人", "residential", other_station.id)

        def receivable(customer_id: int, period: str, principal: int, due: date, kwh: int) -> int:
            return _row(
                conn,
                receivables,
                mis_receivable_id=f"MIS-{customer_id}-{period}",
                customer_id=customer_id,
                period=period,
                run_no=1,
                kwh=kwh,
                principal=principal,
                due_date=due,
            )

        ids["c1_march"] = receivable(ids["c1"], "202403", 8000, date(2024, 4, 20), 141)
        ids["c1_april"] = receivable(ids["c1"], "202404", 9000, date(2024, 5, 20), 159)
        ids["c2_march"] = receivable(ids["c2"], "202403", 12345, date(2024, 3, 31), 159)
        ids["c_other_april"] = receivable(ids["c_other"], "202404", 5000, date(2024, 5, 20), 88)
        for agent in ("agent", "agent2"):
            _row(
                conn,
                float_topups,
                agent_id=ids[agent],
                amount=FLOAT,
                state="approved",
                requested_by=ids["finance"],
                requested_at=START,
                decided_by=ids["finance2"],
                decided_at=START,
            )
            uow.ledger.record(
                topup_posting(agent_id=ids[agent], amount=FLOAT),
                business_date=DAY,
                recorded_at=START,
                agent_id=ids[agent],
            )
        uow.commit()
    return ids


def enrol_terminal(
    services: Services, *, terminal_no: str, org_code: str, agent_code: str | None
) -> bytes:
    """Add and enrol a terminal; its key."""
    add_terminal(
        services, terminal_no=terminal_no, org_code=org_code, agent_code=agent_code, actor="test"
    )
    code = f"{uuid.uuid4().int % 10**12:012d}"
    issue_enrolment_code(services, terminal_no=terminal_no, code=code, actor="test")
    key = uuid.uuid4().bytes + uuid.uuid4().bytes
    answer = enrol(
        services, EnrolRequest(code=code, device_serial="SN-1", version="1.0.0"), new_key=key
    )
    assert answer.key_bytes == key
    return key


def set_parameters(
    services: Services, values: Mapping[str, Any], *, valid_from: date = DAY
) -> None:
    """Record parameters in force from ``valid_from``."""
    with SqlUnitOfWork(services.engine, write=True) as uow:
        for key, value in values.items():
            set_parameter(uow.connection, key=key, valid_from=valid_from, value=value)
        uow.commit()
    services.parameters.forget()


@dataclass
class SignedClient:
    """A terminal talking to the server: signs each request with its key and next counter."""

    http: httpx.Client
    terminal_no: str
    key: bytes
    clock: FakeClock
    counter: int = 0
    serial: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_counter(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def txn_id(self) -> str:
        with self.lock:
            self.serial += 1
            return make_txn_id(terminal_no=self.terminal_no, serial=self.serial, nonce=uuid.uuid4())

    def send(
        self,
        route: Route[Any, Any],
        message: BaseModel | None = None,
        *,
        body: bytes | None = None,
        counter: int | None = None,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
    ) -> httpx.Response:
        """Send ``message`` (or raw ``body``) on ``route``, signed unless ``sign`` is false."""
        if route.method == "GET":
            target = route.target(message)  # type: ignore[arg-type]
            payload = b""
        else:
            target = route.path
            payload = (
                body if body is not None else encode(message) if message is not None else b"{}"
            )
        all_headers = {"content-type": "application/json"}
        if sign:
            all_headers.update(
                sign_request(
                    key=self.key,
                    method=route.method,
                    target=target,
                    body=payload,
                    terminal_no=self.terminal_no,
                    counter=counter if counter is not None else self.next_counter(),
                    now=self.clock.now(),
                )
            )
        all_headers.update(headers or {})
        return self.http.request(route.method, target, content=payload, headers=all_headers)

    def ok(self, route: Route[Any, Any], message: BaseModel | None = None, **kw: Any) -> Any:
        """Send and decode the answer, failing the test on a refusal."""
        response = self.send(route, message, **kw)
        assert response.status_code == 200, response.text
        return route.answer.model_validate_json(response.content)

    def refused(
        self, route: Route[Any, Any], message: BaseModel | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Send and return the refusal's body, failing the test on a success."""
        response = self.send(route, message, **kw)
        assert response.status_code != 200, response.text
        body = response.json()
        assert body["message_zh"]
        assert body["message_en"]
        assert response.status_code == _status_of(body["code"])
        return dict(body)


def _status_of(code: str) -> int:
    return CATALOGUE[ErrorCode(code)].status


@dataclass
class County:
    """A seeded county behind an in-process server."""

    url: str
    services: Services
    clock: FakeClock
    ids: dict[str, int]
    keys: dict[str, bytes]
    http: TestClient

    def client(self, terminal_no: str = TERMINAL) -> SignedClient:
        return SignedClient(
            http=self.http, terminal_no=terminal_no, key=self.keys[terminal_no], clock=self.clock
        )

    def verify(self) -> None:
        """`gridpos audit verify` finds nothing wrong."""
        report = verify_database(SqlUnitOfWork(self.services.engine, write=False))
        assert report.ok, [item.describe() for item in report.breaks]
