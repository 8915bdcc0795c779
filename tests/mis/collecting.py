"""A test fixture, not the payment use case: payments written through the domain and the ledger
store the way the server's pay and undo use cases write them (payment, allocation, ledger, outbox
row in one transaction), so the outbox worker has real rows to deliver.

Penalties are zero: the tests pay on days before the bills' due dates.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from gridpos.adapters.db.tables import (
    agents,
    customers,
    float_topups,
    ledger_transactions,
    operators,
    organisations,
    outbox,
    payment_allocations,
    payment_undos,
    payments,
    receivables,
    terminals,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.mis_messages import read_payment
from gridpos.domain.allocation import OpenReceivable, allocate
from gridpos.domain.ledger import (
    EventKind,
    commission_posting,
    payment_posting,
    topup_posting,
    undo_posting,
)

_nonce = itertools.count(1)


@dataclass(frozen=True)
class Collector:
    """A collection point under a station, with its agent, collector, terminal and two finance
    operators (maker and checker)."""

    point_id: int
    agent_id: int
    collector_id: int
    finance_id: int
    finance2_id: int
    terminal_id: int
    terminal_no: str


def _insert(conn: Any, table: Any, **values: Any) -> int:
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def seed_collector(
    engine: Engine, *, station_code: str, float_fen: int, number: int = 1, at: datetime
) -> Collector:
    """A collection point under ``station_code`` whose agent's float holds ``float_fen``."""
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        station_id = conn.execute(
            select(organisations.c.id).where(organisations.c.code == station_code)
        ).scalar_one()
        county_id = conn.execute(
            select(organisations.c.parent_id).where(organisations.c.id == station_id)
        ).scalar_one()
        point = uow.organisations.add(
            code=f"{station_code}{number:02d}",
            name=f"代收点{number}",
            level="collection_point",
            parent_id=station_id,
        )
        agent_id = _insert(
            conn, agents, org_id=point.id, code=f"A{station_code}{number}", name="王"
        )

        def operator(org_id: int, account: str, role: str, **extra: Any) -> int:
            return _insert(
                conn,
                operators,
                org_id=org_id,
                account=account,
                name=account,
                password_hash="not-a-real-hash",
                role=role,
                **extra,
            )

        collector_id = operator(point.id, f"A{station_code}{number}", "agent", agent_id=agent_id)
        finance_id = operator(county_id, f"fin{station_code}{number}a", "finance")
        finance2_id = operator(county_id, f"fin{station_code}{number}b", "finance")
        terminal_no = f"{station_code[-4:]}{number:04d}"
        terminal_id = _insert(
            conn,
            terminals,
            terminal_no=terminal_no,
            org_id=point.id,
            agent_id=agent_id,
            state="active",
        )
        _insert(
            conn,
            float_topups,
            agent_id=agent_id,
            amount=float_fen,
            state="approved",
            requested_by=finance_id,
            requested_at=at,
            decided_by=finance2_id,
            decided_at=at,
        )
        uow.ledger.record(
            topup_posting(agent_id=agent_id, amount=float_fen),
            business_date=at.date(),
            recorded_at=at,
            agent_id=agent_id,
        )
        uow.commit()
    return Collector(
        point_id=point.id,
        agent_id=agent_id,
        collector_id=collector_id,
        finance_id=finance_id,
        finance2_id=finance2_id,
        terminal_id=terminal_id,
        terminal_no=terminal_no,
    )


def collect(
    engine: Engine,
    collector: Collector,
    *,
    account_no: str,
    cash: int,
    business_date: date,
    at: datetime | None = None,
    aggregate: str = "id",
    commission: int = 0,
) -> int:
    """A confirmed payment of ``cash`` over the customer's open receivables (oldest first),
    with the agent's ``commission`` on it and its ``mis.post`` outbox row; the payment's id."""
    at = at or datetime(business_date.year, business_date.month, business_date.day, 2, tzinfo=UTC)
    serial = next(_nonce)
    txn_id = f"{collector.terminal_no}-{serial}-{serial:08x}"
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        customer = conn.execute(select(customers).where(customers.c.account_no == account_no)).one()
        open_rows = conn.execute(
            select(receivables)
            .where(
                receivables.c.customer_id == customer.id, receivables.c.settle_state != "settled"
            )
            .order_by(receivables.c.period, receivables.c.run_no)
        ).all()
        assert all(row.due_date >= business_date for row in open_rows), "penalties not modelled"
        allocation = allocate(
            receivables=[
                OpenReceivable(
                    receivable_id=row.id,
                    period=row.period,
                    run_no=row.run_no,
                    principal_unpaid=row.principal - row.principal_paid,
                    penalty=0,
                )
                for row in open_rows
            ],
            cash=cash,
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
            allow_partial=True,
        )
        payment_id = _insert(
            conn,
            payments,
            terminal_id=collector.terminal_id,
            txn_id=txn_id,
            request_hash=f"{serial:064x}",
            trace_no=serial,
            agent_id=collector.agent_id,
            operator_id=collector.collector_id,
            customer_id=customer.id,
            org_id=collector.point_id,
            business_date=business_date,
            cash_time=at,
            recorded_at=at,
            cash=cash,
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
                agent_id=collector.agent_id, customer_id=customer.id, allocation=allocation
            ),
            business_date=business_date,
            recorded_at=at,
            payment_id=payment_id,
            agent_id=collector.agent_id,
        )
        if commission:
            uow.ledger.record(
                commission_posting(agent_id=collector.agent_id, amount=commission),
                business_date=business_date,
                recorded_at=at,
                payment_id=payment_id,
                agent_id=collector.agent_id,
            )
        if aggregate == "txn":
            # as the pay use case writes it: the whole posting, named by the transaction id
            facts = read_payment(conn, payment_id)
            assert facts is not None
            _enqueue(conn, "mis.post", txn_id, facts.posting.model_dump(mode="json"), at)
        else:
            _enqueue(conn, "mis.post", str(payment_id), {"payment_id": payment_id}, at)
        uow.commit()
    return payment_id


def undo(
    engine: Engine,
    collector: Collector,
    payment_id: int,
    *,
    kind: EventKind = EventKind.REVERSAL,
    business_date: date,
    at: datetime,
    topic: str = "mis.reverse",
    mis_state: str | None = None,
) -> None:
    """Undo a confirmed payment (the exact negation of its posting) with its outbox row; the
    payment's ``mis_state`` set as well when given (the undo use case sets ``undo_pending``)."""
    state = {"reversal": "reversed", "void": "voided", "cancellation": "cancelled"}[kind.value]
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        originals = conn.execute(
            select(ledger_transactions.c.id).where(
                ledger_transactions.c.payment_id == payment_id,
                ledger_transactions.c.kind.in_(
                    [EventKind.PAYMENT.value, EventKind.COMMISSION.value]
                ),
            )
        ).scalars()
        for original in list(originals):  # the payment and its commission
            uow.ledger.record(
                undo_posting(uow.ledger.posting(original), kind=kind),
                business_date=business_date,
                recorded_at=at,
                payment_id=payment_id,
                agent_id=collector.agent_id,
            )
        moved: dict[str, str] = {"state": state}
        if mis_state is not None:
            moved["mis_state"] = mis_state
        conn.execute(update(payments).where(payments.c.id == payment_id).values(moved))
        _insert(
            conn,
            payment_undos,
            payment_id=payment_id,
            kind=kind.value,
            requested_by=collector.collector_id,
            approved_by=collector.finance_id,
            reason="顾客取回现金",
            business_date=business_date,
            recorded_at=at,
        )
        _enqueue(conn, topic, str(payment_id), {"payment_id": payment_id}, at)
        uow.commit()


def _enqueue(conn: Any, topic: str, aggregate: str, payload: Any, at: datetime) -> None:
    conn.execute(
        insert(outbox).values(
            topic=topic,
            aggregate_id=aggregate,
            payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            state="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    )
