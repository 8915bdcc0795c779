"""One payment as the console's payment page shows it: who, where and for whom, how it was
allocated over the receivables, its ledger transactions with their entries, its undo, the
requests to undo it, its outbox rows (the MIS posting) and the receipt it was answered with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from gridpos.adapters.db.tables import (
    agents,
    customers,
    ledger_entries,
    ledger_transactions,
    operators,
    organisations,
    outbox,
    payment_allocations,
    payment_receipts,
    payment_undos,
    payments,
    receivables,
    terminals,
)


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """The payment row with the names of what it points at (fen)."""

    id: int
    txn_id: str
    trace_no: int
    batch_no: int | None
    business_date: date
    cash_time: datetime
    recorded_at: datetime
    terminal_id: int
    terminal_no: str
    agent_id: int
    agent_code: str
    agent_name: str
    operator_account: str
    operator_name: str
    org_id: int
    org_code: str
    org_name: str
    org_path: str
    customer_id: int
    account_no: str
    customer_name: str
    customer_address: str
    category: str
    cash: int
    rounding_up: int
    prepaid_before: int
    prepaid_used: int
    prepaid_added: int
    rounding_before: int
    rounding_used: int
    rounding_added: int
    penalty_total: int
    principal_total: int
    state: str
    offline: bool
    verification_code: str | None
    mis_state: str


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """What the payment paid on one receivable."""

    receivable_id: int
    period: str
    run_no: int
    kwh: int
    principal: int  # the receivable's whole principal
    penalty_paid: int
    principal_paid: int


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One entry of a ledger transaction: positive a debit, negative a credit."""

    account_kind: str
    owner_id: int | None
    amount: int


@dataclass(frozen=True, slots=True)
class TransactionRow:
    """A ledger transaction of the payment, with its entries."""

    id: int
    kind: str
    business_date: date
    recorded_at: datetime
    entries: tuple[EntryRow, ...]


@dataclass(frozen=True, slots=True)
class UndoRow:
    """The reversal, void or cancellation of the payment."""

    kind: str
    reason: str
    business_date: date
    recorded_at: datetime
    requested_by: str | None  # operator name (account)
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A message to the MIS about the payment, and how its delivery went."""

    id: int
    topic: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


_requester = operators.alias("requester")
_approver = operators.alias("approver")


def _facts(row: Any) -> PaymentFacts:
    return PaymentFacts(
        id=int(row.id),
        txn_id=row.txn_id,
        trace_no=int(row.trace_no),
        batch_no=row.batch_no,
        business_date=row.business_date,
        cash_time=row.cash_time,
        recorded_at=row.recorded_at,
        terminal_id=int(row.terminal_id),
        terminal_no=row.terminal_no,
        agent_id=int(row.agent_id),
        agent_code=row.agent_code,
        agent_name=row.agent_name,
        operator_account=row.operator_account,
        operator_name=row.operator_name,
        org_id=int(row.org_id),
        org_code=row.org_code,
        org_name=row.org_name,
        org_path=row.org_path,
        customer_id=int(row.customer_id),
        account_no=row.account_no,
        customer_name=row.customer_name,
        customer_address=row.customer_address,
        category=row.category,
        cash=int(row.cash),
        rounding_up=int(row.rounding_up),
        prepaid_before=int(row.prepaid_before),
        prepaid_used=int(row.prepaid_used),
        prepaid_added=int(row.prepaid_added),
        rounding_before=int(row.rounding_before),
        rounding_used=int(row.rounding_used),
        rounding_added=int(row.rounding_added),
        penalty_total=int(row.penalty_total),
        principal_total=int(row.principal_total),
        state=row.state,
        offline=bool(row.offline),
        verification_code=row.verification_code,
        mis_state=row.mis_state,
    )


def _who(name: str | None, account: str | None) -> str | None:
    return None if name is None else f"{name} ({account})"


class PaymentDetailStore:
    """The reads of one payment's page, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def facts(self, payment_id: int) -> PaymentFacts | None:
        """The payment ``payment_id`` with its names, or None."""
        p = payments
        row = self._connection.execute(
            select(
                p,
                terminals.c.terminal_no,
                agents.c.code.label("agent_code"),
                agents.c.name.label("agent_name"),
                operators.c.account.label("operator_account"),
                operators.c.name.label("operator_name"),
                organisations.c.code.label("org_code"),
                organisations.c.name.label("org_name"),
                organisations.c.path.label("org_path"),
                customers.c.account_no,
                customers.c.name.label("customer_name"),
                customers.c.address.label("customer_address"),
                customers.c.category,
            )
            .select_from(
                p.join(terminals, terminals.c.id == p.c.terminal_id)
                .join(agents, agents.c.id == p.c.agent_id)
                .join(operators, operators.c.id == p.c.operator_id)
                .join(organisations, organisations.c.id == p.c.org_id)
                .join(customers, customers.c.id == p.c.customer_id)
            )
            .where(p.c.id == payment_id)
        ).first()
        return None if row is None else _facts(row)

    def lock_customer(self, customer_id: int) -> None:
        """Lock the customer's row for the transaction (``FOR UPDATE`` on PostgreSQL; SQLite's
        ``BEGIN IMMEDIATE`` already serialises writers)."""
        self._connection.execute(
            select(customers.c.id).where(customers.c.id == customer_id).with_for_update()
        )

    def lock_state(self, payment_id: int) -> str:
        """The payment's state, its row locked for the transaction (it must exist)."""
        return str(
            self._connection.execute(
                select(payments.c.state).where(payments.c.id == payment_id).with_for_update()
            ).scalar_one()
        )

    def allocation(self, payment_id: int) -> list[AllocationLine]:
        """What the payment paid on each receivable, oldest billing month first."""
        rows = self._connection.execute(
            select(
                payment_allocations.c.receivable_id,
                payment_allocations.c.penalty_paid,
                payment_allocations.c.principal_paid,
                receivables.c.period,
                receivables.c.run_no,
                receivables.c.kwh,
                receivables.c.principal,
            )
            .join(receivables, receivables.c.id == payment_allocations.c.receivable_id)
            .where(payment_allocations.c.payment_id == payment_id)
            .order_by(receivables.c.period, receivables.c.run_no, receivables.c.id)
        )
        return [
            AllocationLine(
                receivable_id=int(r.receivable_id),
                period=r.period,
                run_no=int(r.run_no),
                kwh=int(r.kwh),
                principal=int(r.principal),
                penalty_paid=int(r.penalty_paid),
                principal_paid=int(r.principal_paid),
            )
            for r in rows
        ]

    def transactions(self, payment_id: int) -> list[TransactionRow]:
        """The payment's ledger transactions in the order they were recorded, with entries."""
        heads = self._connection.execute(
            select(
                ledger_transactions.c.id,
                ledger_transactions.c.kind,
                ledger_transactions.c.business_date,
                ledger_transactions.c.recorded_at,
            )
            .where(ledger_transactions.c.payment_id == payment_id)
            .order_by(ledger_transactions.c.id)
        ).all()
        if not heads:
            return []
        entries: dict[int, list[EntryRow]] = {int(head.id): [] for head in heads}
        for row in self._connection.execute(
            select(
                ledger_entries.c.transaction_id,
                ledger_entries.c.account_kind,
                ledger_entries.c.owner_id,
                ledger_entries.c.amount,
            )
            .where(ledger_entries.c.transaction_id.in_(list(entries)))
            .order_by(ledger_entries.c.transaction_id, ledger_entries.c.id)
        ):
            entries[int(row.transaction_id)].append(
                EntryRow(
                    account_kind=row.account_kind,
                    owner_id=None if row.owner_id is None else int(row.owner_id),
                    amount=int(row.amount),
                )
            )
        return [
            TransactionRow(
                id=int(head.id),
                kind=head.kind,
                business_date=head.business_date,
                recorded_at=head.recorded_at,
                entries=tuple(entries[int(head.id)]),
            )
            for head in heads
        ]

    def undo(self, payment_id: int) -> UndoRow | None:
        """The payment's reversal, void or cancellation, or None."""
        row = self._connection.execute(
            select(
                payment_undos.c.kind,
                payment_undos.c.reason,
                payment_undos.c.business_date,
                payment_undos.c.recorded_at,
                _requester.c.name.label("requester_name"),
                _requester.c.account.label("requester_account"),
                _approver.c.name.label("approver_name"),
                _approver.c.account.label("approver_account"),
            )
            .select_from(
                payment_undos.outerjoin(
                    _requester, _requester.c.id == payment_undos.c.requested_by
                ).outerjoin(_approver, _approver.c.id == payment_undos.c.approved_by)
            )
            .where(payment_undos.c.payment_id == payment_id)
        ).first()
        if row is None:
            return None
        return UndoRow(
            kind=row.kind,
            reason=row.reason,
            business_date=row.business_date,
            recorded_at=row.recorded_at,
            requested_by=_who(row.requester_name, row.requester_account),
            approved_by=_who(row.approver_name, row.approver_account),
        )

    def outbox_rows(
        self, payment_id: int, txn_id: str, *, topics: tuple[str, ...]
    ) -> list[OutboxRow]:
        """The outbox rows of ``topics`` that name the payment (by its transaction id or its
        id), oldest first (index ``topic, aggregate_id``)."""
        rows = self._connection.execute(
            select(outbox)
            .where(outbox.c.topic.in_(topics), outbox.c.aggregate_id.in_([txn_id, str(payment_id)]))
            .order_by(outbox.c.id)
        )
        return [
            OutboxRow(
                id=int(r.id),
                topic=r.topic,
                state=r.state,
                attempts=int(r.attempts),
                last_error=r.last_error,
                created_at=r.created_at,
                next_attempt_at=r.next_attempt_at,
                sent_at=r.sent_at,
            )
            for r in rows
        ]

    def receipt(self, payment_id: int) -> bytes | None:
        """The receipt the payment was answered with (its encoded body), or None."""
        body = self._connection.execute(
            select(payment_receipts.c.body).where(payment_receipts.c.payment_id == payment_id)
        ).scalar_one_or_none()
        return None if body is None else str(body).encode("utf-8")
