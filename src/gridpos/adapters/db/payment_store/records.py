"""What the payment store reads: payments, tombstones, customers and their open receivables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A payment as stored (the columns the use cases decide on)."""

    id: int
    terminal_id: int
    txn_id: str
    request_hash: str
    trace_no: int
    batch_no: int | None
    agent_id: int
    operator_id: int
    customer_id: int
    business_date: date
    cash: int
    state: str
    offline: bool
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class TombstoneRecord:
    """A reversal (冲正) that arrived before its payment: the late original is refused."""

    txn_id: str
    trace_no: int | None
    amount: int | None
    business_date: date
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer of the replica, and whether it lies in the asking terminal's county."""

    id: int
    account_no: str
    name: str
    address: str
    category: str
    station_org_id: int
    prepaid: int
    rounding_credit: int
    mis_updated_at: datetime | None
    in_county: bool


@dataclass(frozen=True, slots=True)
class ReceivableRecord:
    """An open receivable (应收电费) of the replica."""

    id: int
    period: str
    run_no: int
    kwh: int
    principal: int
    principal_paid: int
    due_date: date

    @property
    def principal_unpaid(self) -> int:
        return self.principal - self.principal_paid


@dataclass(frozen=True, slots=True)
class Totals:
    """Payments that stand and payments undone: counts and amounts (fen)."""

    count: int = 0
    amount: int = 0
    undone_count: int = 0
    undone_amount: int = 0
