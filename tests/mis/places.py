"""A small county in the server's database alone (no MIS): two stations, a collection point
with its agent, collector, terminal and two finance operators, station heads, an auditor and an
admin; and a customer with two bills (due 2026-04-25 unless told)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text

from gridpos.adapters.db.tables import agents, customers, operators, receivables
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database

from .collecting import Collector, seed_collector
from .harness import ManualClock


class Place:
    """A county with two stations; a collection point (agent, collector, terminal, two finance
    operators) under the first, and a station head of each station."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = ManualClock(datetime(2026, 4, 10, 2, tzinfo=UTC))
        with SqlUnitOfWork(engine, write=True) as uow:
            county = uow.organisations.add(
                code="340828", name="县公司", level="county", parent_id=None
            )
            first = uow.organisations.add(
                code="34082801", name="天堂供电所", level="station", parent_id=county.id
            )
            second = uow.organisations.add(
                code="34082802", name="店前供电所", level="station", parent_id=county.id
            )
            self.head = _operator(uow.connection, first.id, "head1", "station_head")
            self.other_head = _operator(uow.connection, second.id, "head2", "station_head")
            self.auditor = _operator(uow.connection, county.id, "audit", "auditor")
            self.admin = _operator(uow.connection, county.id, "admin", "admin")
            self.station_id = first.id
            self.other_station_id = second.id
            uow.commit()
        self.collector: Collector = seed_collector(
            engine, station_code="34082801", float_fen=100_000, at=self.clock.now()
        )
        self.agent = self.collector.agent_id

    def floats(self) -> tuple[int, int]:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(agents.c.float_available, agents.c.float_held).where(
                    agents.c.id == self.agent
                )
            ).one()
        return int(row.float_available), int(row.float_held)

    def audit_clean(self) -> None:
        report = verify_database(SqlUnitOfWork(self.engine, write=False))
        assert report.ok, [b.describe() for b in report.breaks]


def _operator(conn: Any, org_id: int, account: str, role: str) -> int:
    return int(
        conn.execute(
            insert(operators)
            .values(org_id=org_id, account=account, name=account, password_hash="x", role=role)
            .returning(operators.c.id)
        ).scalar_one()
    )


def customer_with_bills(engine: Engine, *, due_date: date = date(2026, 4, 25)) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        station = uow.connection.execute(
            text("SELECT id FROM organisations WHERE code = '34082801'")
        ).scalar_one()
        customer = uow.connection.execute(
            insert(customers)
            .values(account_no="0100100001", name="储大山", category="residential",
                    station_org_id=station)
            .returning(customers.c.id)
        ).scalar_one()  # fmt: skip
        for period, principal in (("202602", 12_345), ("202603", 20_000)):
            uow.connection.execute(
                insert(receivables).values(
                    mis_receivable_id=f"0100100001-{period}-1", customer_id=customer,
                    period=period, principal=principal, due_date=due_date,
                )
            )  # fmt: skip
        uow.commit()
