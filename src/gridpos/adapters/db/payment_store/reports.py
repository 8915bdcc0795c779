"""Reading a terminal's days: totals, the detail list, receipts to reprint, a batch's payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, case, func, select

from gridpos.adapters.db.payment_store.records import Totals
from gridpos.adapters.db.tables import customers, payments

_UNDONE = ("reversed", "voided", "cancelled")


@dataclass(frozen=True, slots=True)
class DetailRecord:
    """One payment of a day as the statistics list it."""

    id: int
    txn_id: str
    trace_no: int
    account_no: str
    cash: int
    state: str
    offline: bool
    paid_at: datetime


def _totals_columns() -> tuple[Any, ...]:
    confirmed = payments.c.state == "confirmed"
    undone = payments.c.state.in_(_UNDONE)
    return (
        func.count().filter(confirmed).label("count"),
        func.coalesce(func.sum(case((confirmed, payments.c.cash), else_=0)), 0).label("amount"),
        func.count().filter(undone).label("undone_count"),
        func.coalesce(func.sum(case((undone, payments.c.cash), else_=0)), 0).label("undone_amount"),
    )


def _totals(row: Any) -> Totals:
    return Totals(
        count=int(row.count),
        amount=int(row.amount),
        undone_count=int(row.undone_count),
        undone_amount=int(row.undone_amount),
    )


class PaymentReports:
    """Reads over a terminal's payments, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _of(self, query: Select[Any], terminal_id: int) -> Select[Any]:
        return query.where(payments.c.terminal_id == terminal_id)

    def totals(
        self, terminal_id: int, business_date: date, *, batch_no: int | None = None
    ) -> Totals:
        """The terminal's totals on ``business_date`` (of one batch when ``batch_no``)."""
        query = self._of(select(*_totals_columns()), terminal_id).where(
            payments.c.business_date == business_date
        )
        if batch_no is not None:
            query = query.where(payments.c.batch_no == batch_no)
        return _totals(self._connection.execute(query).one())

    def totals_by_date(self, terminal_id: int, first: date, last: date) -> dict[date, Totals]:
        """The terminal's totals per business date from ``first`` to ``last`` (dates with none
        left out)."""
        query = (
            self._of(select(payments.c.business_date, *_totals_columns()), terminal_id)
            .where(payments.c.business_date >= first)
            .where(payments.c.business_date <= last)
            .group_by(payments.c.business_date)
            .order_by(payments.c.business_date)
        )
        return {row.business_date: _totals(row) for row in self._connection.execute(query)}

    def detail(
        self, terminal_id: int, business_date: date, *, offset: int, limit: int
    ) -> list[DetailRecord]:
        """One page of the terminal's payments on ``business_date``, in the order they came."""
        query = (
            self._of(
                select(
                    payments.c.id,
                    payments.c.txn_id,
                    payments.c.trace_no,
                    customers.c.account_no,
                    payments.c.cash,
                    payments.c.state,
                    payments.c.offline,
                    payments.c.cash_time,
                    payments.c.recorded_at,
                ).select_from(payments.join(customers, customers.c.id == payments.c.customer_id)),
                terminal_id,
            )
            .where(payments.c.business_date == business_date)
            .order_by(payments.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [
            DetailRecord(
                id=int(row.id),
                txn_id=row.txn_id,
                trace_no=int(row.trace_no),
                account_no=row.account_no,
                cash=int(row.cash),
                state=row.state,
                offline=bool(row.offline),
                paid_at=row.cash_time if row.offline else row.recorded_at,
            )
            for row in self._connection.execute(query)
        ]

    def batch_payments(
        self, terminal_id: int, business_date: date, batch_no: int
    ) -> list[DetailRecord]:
        """Every payment of one batch."""
        query = (
            self._of(
                select(
                    payments.c.id,
                    payments.c.txn_id,
                    payments.c.trace_no,
                    customers.c.account_no,
                    payments.c.cash,
                    payments.c.state,
                    payments.c.offline,
                    payments.c.cash_time,
                    payments.c.recorded_at,
                ).select_from(payments.join(customers, customers.c.id == payments.c.customer_id)),
                terminal_id,
            )
            .where(payments.c.business_date == business_date)
            .where(payments.c.batch_no == batch_no)
            .order_by(payments.c.id)
        )
        return [
            DetailRecord(
                id=int(row.id),
                txn_id=row.txn_id,
                trace_no=int(row.trace_no),
                account_no=row.account_no,
                cash=int(row.cash),
                state=row.state,
                offline=bool(row.offline),
                paid_at=row.cash_time if row.offline else row.recorded_at,
            )
            for row in self._connection.execute(query)
        ]

    def recent_payment_ids(
        self, terminal_id: int, business_date: date, *, limit: int, trace_no: int | None
    ) -> list[int]:
        """Ids of the terminal's latest confirmed payments on ``business_date``, newest first."""
        query = (
            self._of(select(payments.c.id), terminal_id)
            .where(payments.c.business_date == business_date)
            .where(payments.c.state == "confirmed")
        )
        if trace_no is not None:
            query = query.where(payments.c.trace_no == trace_no)
        query = query.order_by(payments.c.id.desc()).limit(limit)
        return [int(value) for value in self._connection.execute(query).scalars()]
