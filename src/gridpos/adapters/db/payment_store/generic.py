"""The payment store's generic path: one statement at a time, the same SQL on both databases.

The customer row is the lock every money movement of one customer queues on (``FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, literal, select, update

from gridpos.adapters.db.payment_store.records import (
    CustomerRecord,
    PaymentRecord,
    ReceivableRecord,
    TombstoneRecord,
)
from gridpos.adapters.db.tables import (
    customers,
    ledger_transactions,
    organisations,
    outbox,
    payment_allocations,
    payment_receipts,
    payment_undos,
    payments,
    receivables,
    reversal_tombstones,
)

_PAYMENT_COLUMNS = (
    payments.c.id,
    payments.c.terminal_id,
    payments.c.txn_id,
    payments.c.request_hash,
    payments.c.trace_no,
    payments.c.batch_no,
    payments.c.agent_id,
    payments.c.operator_id,
    payments.c.customer_id,
    payments.c.business_date,
    payments.c.cash,
    payments.c.state,
    payments.c.offline,
    payments.c.recorded_at,
)


def payment_record(row: Any) -> PaymentRecord:
    """A :class:`PaymentRecord` from a row holding the payment columns."""
    return PaymentRecord(
        id=int(row.id),
        terminal_id=int(row.terminal_id),
        txn_id=row.txn_id,
        request_hash=row.request_hash,
        trace_no=int(row.trace_no),
        batch_no=row.batch_no,
        agent_id=int(row.agent_id),
        operator_id=int(row.operator_id),
        customer_id=int(row.customer_id),
        business_date=row.business_date,
        cash=int(row.cash),
        state=row.state,
        offline=bool(row.offline),
        recorded_at=row.recorded_at,
    )


class PaymentStore:
    """Payments and what hangs off them, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- payments and tombstones ---------------------------------------------------------

    def find(self, terminal_id: int, txn_id: str) -> PaymentRecord | None:
        """The payment ``txn_id`` of the terminal, or None."""
        row = self._connection.execute(
            select(*_PAYMENT_COLUMNS)
            .where(payments.c.terminal_id == terminal_id)
            .where(payments.c.txn_id == txn_id)
        ).first()
        return None if row is None else payment_record(row)

    def by_id(self, payment_id: int) -> PaymentRecord:
        """The payment ``payment_id`` (it must exist)."""
        row = self._connection.execute(
            select(*_PAYMENT_COLUMNS).where(payments.c.id == payment_id)
        ).one()
        return payment_record(row)

    def tombstone(self, terminal_id: int, txn_id: str) -> TombstoneRecord | None:
        """The tombstone of a reversal that came before its payment, or None."""
        row = self._connection.execute(
            select(reversal_tombstones)
            .where(reversal_tombstones.c.terminal_id == terminal_id)
            .where(reversal_tombstones.c.txn_id == txn_id)
        ).first()
        if row is None:
            return None
        return TombstoneRecord(
            txn_id=row.txn_id,
            trace_no=row.trace_no,
            amount=row.amount,
            business_date=row.business_date,
            recorded_at=row.recorded_at,
        )

    def add_tombstone(
        self,
        *,
        terminal_id: int,
        txn_id: str,
        trace_no: int,
        amount: int,
        business_date: date,
        now: datetime,
    ) -> None:
        """Record a reversal whose payment has not (yet) arrived."""
        self._connection.execute(
            insert(reversal_tombstones).values(
                terminal_id=terminal_id,
                txn_id=txn_id,
                trace_no=trace_no,
                amount=amount,
                business_date=business_date,
                recorded_at=now,
            )
        )

    # ---- the customer ----------------------------------------------------------------------

    def customer(
        self, account_no: str, *, county_path: str, lock: bool = False
    ) -> CustomerRecord | None:
        """The customer ``account_no`` (locked for the transaction when ``lock``), or None."""
        in_county = organisations.c.path.like(literal(county_path) + "%")
        query = (
            select(
                customers.c.id,
                customers.c.account_no,
                customers.c.name,
                customers.c.address,
                customers.c.category,
                customers.c.station_org_id,
                customers.c.prepaid,
                customers.c.rounding_credit,
                customers.c.mis_updated_at,
                in_county.label("in_county"),
            )
            .select_from(
                customers.join(organisations, organisations.c.id == customers.c.station_org_id)
            )
            .where(customers.c.account_no == account_no)
        )
        if lock:
            query = query.with_for_update(of=customers)
        row = self._connection.execute(query).first()
        if row is None:
            return None
        return CustomerRecord(
            id=int(row.id),
            account_no=row.account_no,
            name=row.name,
            address=row.address,
            category=row.category,
            station_org_id=int(row.station_org_id),
            prepaid=int(row.prepaid),
            rounding_credit=int(row.rounding_credit),
            mis_updated_at=row.mis_updated_at,
            in_county=bool(row.in_county),
        )

    def open_receivables(self, customer_id: int) -> list[ReceivableRecord]:
        """The customer's receivables with principal still unpaid, oldest first."""
        rows = self._connection.execute(
            select(
                receivables.c.id,
                receivables.c.period,
                receivables.c.run_no,
                receivables.c.kwh,
                receivables.c.principal,
                receivables.c.principal_paid,
                receivables.c.due_date,
            )
            .where(receivables.c.customer_id == customer_id)
            .where(receivables.c.principal_paid < receivables.c.principal)
            .order_by(receivables.c.period, receivables.c.run_no, receivables.c.id)
        )
        return [
            ReceivableRecord(
                id=int(row.id),
                period=row.period,
                run_no=int(row.run_no),
                kwh=int(row.kwh),
                principal=int(row.principal),
                principal_paid=int(row.principal_paid),
                due_date=row.due_date,
            )
            for row in rows
        ]

    def cash_on(self, terminal_id: int, business_date: date, *, offline: bool | None = None) -> int:
        """Cash of the terminal's confirmed payments on ``business_date`` (only offline or only
        online ones when ``offline`` says so)."""
        query = (
            select(func.coalesce(func.sum(payments.c.cash), 0))
            .where(payments.c.terminal_id == terminal_id)
            .where(payments.c.business_date == business_date)
            .where(payments.c.state == "confirmed")
        )
        if offline is not None:
            query = query.where(payments.c.offline == offline)
        return int(self._connection.execute(query).scalar_one())

    # ---- writing a payment -----------------------------------------------------------------

    def add(self, values: Mapping[str, Any]) -> int:
        """Insert a payment row; its id."""
        return int(
            self._connection.execute(
                insert(payments).values(dict(values)).returning(payments.c.id)
            ).scalar_one()
        )

    def add_allocations(self, payment_id: int, lines: Sequence[tuple[int, int, int]]) -> None:
        """The payment's allocation: (receivable id, penalty paid, principal paid) per line."""
        if not lines:
            return
        self._connection.execute(
            insert(payment_allocations),
            [
                {
                    "payment_id": payment_id,
                    "receivable_id": receivable_id,
                    "penalty_paid": penalty,
                    "principal_paid": principal,
                }
                for receivable_id, penalty, principal in lines
            ],
        )

    def add_receipt(self, payment_id: int, body: bytes) -> None:
        """Keep the receipt the payment was answered with."""
        self._connection.execute(
            insert(payment_receipts).values(payment_id=payment_id, body=body.decode("utf-8"))
        )

    def receipt(self, payment_id: int) -> bytes:
        """The receipt the payment was answered with (it must exist)."""
        body = self._connection.execute(
            select(payment_receipts.c.body).where(payment_receipts.c.payment_id == payment_id)
        ).scalar_one()
        return str(body).encode("utf-8")

    def enqueue(
        self, *, topic: str, aggregate_id: str, payload: Mapping[str, Any], now: datetime
    ) -> None:
        """An outbox row for the worker, in the caller's transaction."""
        self._connection.execute(
            insert(outbox).values(
                topic=topic,
                aggregate_id=aggregate_id,
                payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    # ---- undoing a payment -----------------------------------------------------------------

    def transactions_of(self, payment_id: int) -> list[tuple[int, str]]:
        """The ledger transactions (id, kind) recorded for the payment, in order."""
        rows = self._connection.execute(
            select(ledger_transactions.c.id, ledger_transactions.c.kind)
            .where(ledger_transactions.c.payment_id == payment_id)
            .order_by(ledger_transactions.c.id)
        )
        return [(int(row.id), row.kind) for row in rows]

    def mark(self, payment_id: int, *, state: str, mis_state: str) -> None:
        """Move the payment to ``state`` (and its MIS state along)."""
        self._connection.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(state=state, mis_state=mis_state)
        )

    def add_undo(
        self,
        *,
        payment_id: int,
        kind: str,
        requested_by: int | None,
        approved_by: int | None,
        reason: str,
        business_date: date,
        now: datetime,
    ) -> None:
        """Record a reversal, void or cancellation of the payment."""
        self._connection.execute(
            insert(payment_undos).values(
                payment_id=payment_id,
                kind=kind,
                requested_by=requested_by,
                approved_by=approved_by,
                reason=reason,
                business_date=business_date,
                recorded_at=now,
            )
        )

    def undone_at(self, payment_id: int) -> datetime | None:
        """When the payment was undone, or None."""
        return self._connection.execute(
            select(payment_undos.c.recorded_at).where(payment_undos.c.payment_id == payment_id)
        ).scalar_one_or_none()
