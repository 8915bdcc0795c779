"""A small seeded county and a scenario that moves money through the ledger the way the use cases
will, for the database tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text, update

from gridpos.adapters.db.tables import (
    agents,
    customers,
    float_topups,
    ledger_transactions,
    operators,
    payment_allocations,
    payment_undos,
    payments,
    receivables,
    terminals,
)
from gridpos.adapters.db.tables.audit import append_only_ddl, drop_append_only_ddl
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.domain.allocation import Allocation, OpenReceivable, allocate
from gridpos.domain.ledger import EventKind, payment_posting, topup_posting, undo_posting

NOW = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
DAY = date(2024, 5, 1)


@dataclass(frozen=True)
class World:
    """The ids of a small county: one station, one collection point, one agent and terminal,
    one customer with two receivables (2024-03: 80.00 yuan, 2024-04: 90.00 yuan)."""

    county_id: int
    station_id: int
    point_id: int
    agent_id: int
    admin_id: int
    finance_id: int
    finance2_id: int
    collector_id: int
    terminal_id: int
    customer_id: int
    march_id: int
    april_id: int


def seed_world(engine: Engine) -> World:
    """Seed the small county of :class:`World` and return its ids."""
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        county = uow.organisations.add(
            code="340828", name="岳西县供电公司", level="county", parent_id=None
        )
        station = uow.organisations.add(
            code="34082801", name="天堂供电所", level="station", parent_id=county.id
        )
        point = uow.organisations.add(
            code="3408280101", name="天堂镇便民超市", level="collection_point", parent_id=station.id
        )
        agent_id = insert_row(conn, agents, org_id=point.id, code="A001", name="王小红")

        def operator(org_id: int, account: str, role: str, **extra: Any) -> int:
            return insert_row(
                conn,
                operators,
                org_id=org_id,
                account=account,
                name=account,
                password_hash="argon2$placeholder-hash-of-test",
                role=role,
                **extra,
            )

        admin_id = operator(county.id, "admin", "admin")
        finance_id = operator(county.id, "finance", "finance")
        finance2_id = operator(county.id, "finance2", "finance")
        collector_id = operator(point.id, "A001", "agent", agent_id=agent_id)
        terminal_id = insert_row(
            conn, terminals, terminal_no="T0001", org_id=point.id, agent_id=agent_id, state="active"
        )
        customer_id = insert_row(
            conn,
            customers,
            account_no="0100000001",
            name="储大山",
            address="天堂镇天寨村3组",
            category="residential",
            station_org_id=station.id,
        )
        march_id = insert_row(
            conn,
            receivables,
            mis_receivable_id="MIS-202403-1",
            customer_id=customer_id,
            period="202403",
            run_no=1,
            kwh=141,
            principal=8000,
            due_date=date(2024, 4, 20),
        )
        april_id = insert_row(
            conn,
            receivables,
            mis_receivable_id="MIS-202404-1",
            customer_id=customer_id,
            period="202404",
            run_no=1,
            kwh=159,
            principal=9000,
            due_date=date(2024, 5, 20),
        )
        uow.commit()
    return World(
        county_id=county.id,
        station_id=station.id,
        point_id=point.id,
        agent_id=agent_id,
        admin_id=admin_id,
        finance_id=finance_id,
        finance2_id=finance2_id,
        collector_id=collector_id,
        terminal_id=terminal_id,
        customer_id=customer_id,
        march_id=march_id,
        april_id=april_id,
    )


class Scenario:
    """Money moved through the ledger as the use cases will, each step one committed unit of
    work."""

    def __init__(self, engine: Engine, world: World) -> None:
        self.engine = engine
        self.world = world
        self._serial = 0

    def topup(self, amount: int) -> int:
        """An approved float top-up (maker finance, checker finance2); the transaction id."""
        w = self.world
        with SqlUnitOfWork(self.engine, write=True) as uow:
            insert_row(
                uow.connection,
                float_topups,
                agent_id=w.agent_id,
                amount=amount,
                state="approved",
                requested_by=w.finance_id,
                requested_at=NOW,
                decided_by=w.finance2_id,
                decided_at=NOW,
            )
            transaction_id = uow.ledger.record(
                topup_posting(agent_id=w.agent_id, amount=amount),
                business_date=DAY,
                recorded_at=NOW,
                agent_id=w.agent_id,
            )
            uow.commit()
        return transaction_id

    def collect(
        self, cash: int, *, penalties: dict[int, int] | None = None, rounding_up: int = 0
    ) -> tuple[int, Allocation]:
        """A confirmed payment of ``cash`` over the customer's open receivables."""
        w = self.world
        penalties = penalties or {}
        self._serial += 1
        with SqlUnitOfWork(self.engine, write=True) as uow:
            conn = uow.connection
            customer = conn.execute(select(customers).where(customers.c.id == w.customer_id)).one()
            open_rows = conn.execute(
                select(receivables)
                .where(receivables.c.customer_id == w.customer_id)
                .where(receivables.c.settle_state != "settled")
            ).all()
            allocation = allocate(
                receivables=[
                    OpenReceivable(
                        receivable_id=row.id,
                        period=row.period,
                        run_no=row.run_no,
                        principal_unpaid=row.principal - row.principal_paid,
                        penalty=penalties.get(row.id, 0),
                    )
                    for row in open_rows
                ],
                cash=cash,
                prepaid=customer.prepaid,
                rounding_credit=customer.rounding_credit,
                allow_partial=True,
                rounding_up=rounding_up,
            )
            payment_id = insert_row(
                conn,
                payments,
                terminal_id=w.terminal_id,
                txn_id=f"T0001-{self._serial:06d}",
                request_hash=f"{self._serial:064x}",
                trace_no=self._serial,
                agent_id=w.agent_id,
                operator_id=w.collector_id,
                customer_id=w.customer_id,
                org_id=w.point_id,
                business_date=DAY,
                cash_time=NOW,
                recorded_at=NOW,
                cash=cash,
                rounding_up=rounding_up,
                prepaid_before=allocation.prepaid_before,
                prepaid_used=allocation.prepaid_used,
                prepaid_added=allocation.prepaid_added,
                rounding_before=allocation.rounding_before,
                rounding_used=allocation.rounding_used,
                rounding_added=allocation.rounding_added,
                penalty_total=allocation.penalty_total,
                principal_total=allocation.principal_total,
                state="confirmed",
                mis_state="pending",
            )
            if allocation.lines:
                conn.execute(
                    insert(payment_allocations),
                    [
                        {
                            "payment_id": payment_id,
                            "receivable_id": line.receivable_id,
                            "penalty_paid": line.penalty_paid,
                            "principal_paid": line.principal_paid,
                        }
                        for line in allocation.lines
                    ],
                )
            uow.ledger.record(
                payment_posting(
                    agent_id=w.agent_id, customer_id=w.customer_id, allocation=allocation
                ),
                business_date=DAY,
                recorded_at=NOW,
                payment_id=payment_id,
                agent_id=w.agent_id,
            )
            uow.commit()
        return payment_id, allocation

    def undo(self, payment_id: int, kind: EventKind, *, state: str) -> int:
        """Undo a confirmed payment (reversal, void or cancellation); the transaction id."""
        w = self.world
        with SqlUnitOfWork(self.engine, write=True) as uow:
            conn = uow.connection
            original_id = conn.execute(
                select(ledger_transactions.c.id)
                .where(ledger_transactions.c.payment_id == payment_id)
                .where(ledger_transactions.c.kind == EventKind.PAYMENT.value)
            ).scalar_one()
            transaction_id = uow.ledger.record(
                undo_posting(uow.ledger.posting(original_id), kind=kind),
                business_date=DAY,
                recorded_at=NOW,
                payment_id=payment_id,
                agent_id=w.agent_id,
            )
            conn.execute(update(payments).where(payments.c.id == payment_id).values(state=state))
            insert_row(
                conn,
                payment_undos,
                payment_id=payment_id,
                kind=kind.value,
                requested_by=w.collector_id,
                approved_by=w.finance_id,
                business_date=DAY,
                recorded_at=NOW,
            )
            uow.commit()
        return transaction_id


def insert_row(conn: Any, table: Any, **values: Any) -> int:
    """Insert one row and return its id."""
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def drop_audit_triggers(engine: Engine) -> None:
    """Let a test tamper with the audit log, as an attacker with DDL rights could."""
    with engine.begin() as conn:
        for statement in drop_append_only_ddl(conn.dialect.name):
            conn.execute(text(statement))


def restore_audit_triggers(engine: Engine) -> None:
    """Put the audit log's triggers back after :func:`drop_audit_triggers`."""
    with engine.begin() as conn:
        for statement in append_only_ddl(conn.dialect.name):
            conn.exec_driver_sql(statement)
