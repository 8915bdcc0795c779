"""Finding what a receipt refers to, for the public receipt check: the terminal (and its key),
and the payment of one transaction id or one terminal serial (流水号), or the reversal recorded
before its original arrived (a tombstone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from gridpos.adapters.db.tables import (
    customers,
    organisations,
    payments,
    reversal_tombstones,
    terminals,
)

# a terminal's serials are 流水号 of six printed digits: over the years one may come round again
MAX_SAME_TRACE = 20


@dataclass(frozen=True, slots=True)
class ReceiptTerminal:
    """A terminal as the receipt check needs it: its key (None until enrolled)."""

    id: int
    terminal_no: str
    key: bytes | None
    collection_point: str


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    """A payment as the company recorded it, with the code its receipt carries."""

    txn_id: str
    trace_no: int
    account_no: str
    cash: int
    business_date: date
    cash_time: datetime
    state: str
    offline: bool
    verification_code: str | None
    collection_point: str


@dataclass(frozen=True, slots=True)
class RecordedTombstone:
    """A reversal that arrived before its payment: the payment can never be recorded."""

    txn_id: str
    trace_no: int | None
    amount: int | None
    business_date: date


_PAYMENT_COLUMNS = (
    payments.c.txn_id,
    payments.c.trace_no,
    customers.c.account_no,
    payments.c.cash,
    payments.c.business_date,
    payments.c.cash_time,
    payments.c.state,
    payments.c.offline,
    payments.c.verification_code,
    organisations.c.name.label("collection_point"),
)
_PAYMENT_FROM = payments.join(customers, customers.c.id == payments.c.customer_id).join(
    organisations, organisations.c.id == payments.c.org_id
)


def _payment(row: Any) -> RecordedPayment:
    return RecordedPayment(
        txn_id=row.txn_id,
        trace_no=int(row.trace_no),
        account_no=row.account_no,
        cash=int(row.cash),
        business_date=row.business_date,
        cash_time=row.cash_time,
        state=row.state,
        offline=bool(row.offline),
        verification_code=row.verification_code,
        collection_point=row.collection_point,
    )


class ReceiptLookup:
    """Receipt facts through one connection (a unit of work's). Every query uses a unique or
    leading-column index: terminals by number, payments by (terminal, txn id) or (terminal,
    trace number), tombstones by (terminal, txn id)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def terminal(self, terminal_no: str) -> ReceiptTerminal | None:
        """The terminal numbered ``terminal_no``, or None."""
        row = self._connection.execute(
            select(
                terminals.c.id,
                terminals.c.terminal_no,
                terminals.c.key_material,
                organisations.c.name.label("collection_point"),
            )
            .join(organisations, organisations.c.id == terminals.c.org_id)
            .where(terminals.c.terminal_no == terminal_no)
        ).first()
        if row is None:
            return None
        return ReceiptTerminal(
            id=int(row.id),
            terminal_no=row.terminal_no,
            key=bytes(row.key_material) if row.key_material is not None else None,
            collection_point=row.collection_point,
        )

    def payment(self, terminal_id: int, txn_id: str) -> RecordedPayment | None:
        """The payment ``txn_id`` of the terminal, or None."""
        row = self._connection.execute(
            select(*_PAYMENT_COLUMNS)
            .select_from(_PAYMENT_FROM)
            .where(payments.c.terminal_id == terminal_id, payments.c.txn_id == txn_id)
        ).first()
        return None if row is None else _payment(row)

    def payments_with_trace(self, terminal_id: int, trace_no: int) -> list[RecordedPayment]:
        """The terminal's payments with serial ``trace_no`` (at most :data:`MAX_SAME_TRACE`,
        newest first)."""
        rows = self._connection.execute(
            select(*_PAYMENT_COLUMNS)
            .select_from(_PAYMENT_FROM)
            .where(payments.c.terminal_id == terminal_id, payments.c.trace_no == trace_no)
            .order_by(payments.c.business_date.desc())
            .limit(MAX_SAME_TRACE)
        )
        return [_payment(row) for row in rows]

    def tombstone(self, terminal_id: int, txn_id: str) -> RecordedTombstone | None:
        """The reversal of ``txn_id`` recorded before its payment arrived, or None."""
        row = self._connection.execute(
            select(
                reversal_tombstones.c.txn_id,
                reversal_tombstones.c.trace_no,
                reversal_tombstones.c.amount,
                reversal_tombstones.c.business_date,
            ).where(
                reversal_tombstones.c.terminal_id == terminal_id,
                reversal_tombstones.c.txn_id == txn_id,
            )
        ).first()
        if row is None:
            return None
        return RecordedTombstone(
            txn_id=row.txn_id,
            trace_no=None if row.trace_no is None else int(row.trace_no),
            amount=None if row.amount is None else int(row.amount),
            business_date=row.business_date,
        )
