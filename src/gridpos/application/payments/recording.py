"""Writing one payment that has been allocated: payment row, allocations, ledger, commission,
receipt, audit row and the outbox row for the MIS — all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gridpos.adapters.db.payment_store import CustomerRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.parameters import CollectionParameters
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.domain.allocation import Allocation
from gridpos.domain.audit import AuditAction
from gridpos.domain.ledger import (
    LedgerError,
    commission_for,
    commission_posting,
    payment_posting,
)
from gridpos.protocol.codec import encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.payments import PayAnswer

MIS_POST_TOPIC = "mis.post"
MIS_REVERSE_TOPIC = "mis.reverse"
MIS_CHANNEL = "POS"


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What one payment is, beyond its allocation."""

    txn_id: str
    request_hash: str
    trace_no: int
    batch_no: int | None
    agent_id: int
    operator_id: int
    operator_account: str
    business_date: date
    cash_date: date
    cash_time: datetime
    rounding_up: int
    offline: bool
    verification_code: str


def posting_payload(
    facts: PaymentFacts,
    *,
    terminal: TerminalIdentity,
    customer: CustomerRecord,
    allocation: Allocation,
    periods: dict[int, tuple[str, int]],
) -> dict[str, Any]:
    """The MIS posting (进账) of the payment: the fields of ``protocol.mis.PostingRequest``."""
    return {
        "payment_id": facts.txn_id,
        "account_no": customer.account_no,
        "amount_fen": allocation.cash,
        "cash_date": facts.cash_date.isoformat(),
        "business_date": facts.business_date.isoformat(),
        "channel": MIS_CHANNEL,
        "collection_point_id": terminal.place.collection_point_code,
        "terminal_id": terminal.terminal_no,
        "operator_id": facts.operator_account,
        "lines": [
            {
                "period": periods[line.receivable_id][0],
                "run_no": periods[line.receivable_id][1],
                "penalty": line.penalty_paid,
                "principal": line.principal_paid,
            }
            for line in allocation.lines
        ],
        "prepaid_used": allocation.prepaid_used,
        "prepaid_added": allocation.prepaid_added,
        "rounding_used": allocation.rounding_used,
        "rounding_added": allocation.rounding_added,
    }


def record_payment(
    uow: SqlUnitOfWork,
    *,
    facts: PaymentFacts,
    terminal: TerminalIdentity,
    customer: CustomerRecord,
    allocation: Allocation,
    periods: dict[int, tuple[str, int]],
    receipt: PayAnswer,
    params: CollectionParameters,
    now: datetime,
) -> int:
    """Write the payment and everything that goes with it; its id.

    Raises :class:`RefusalError` ``float_insufficient`` (field ``cash``) when the agent's float
    — or,
    offline, the held float — cannot cover the cash; the database's CHECK is the last word.
    """
    payment_id = uow.payments.add(
        {
            "terminal_id": terminal.id,
            "txn_id": facts.txn_id,
            "request_hash": facts.request_hash,
            "trace_no": facts.trace_no,
            "batch_no": facts.batch_no,
            "agent_id": facts.agent_id,
            "operator_id": facts.operator_id,
            "customer_id": customer.id,
            "org_id": terminal.place.org_id,
            "business_date": facts.business_date,
            "cash_time": facts.cash_time,
            "recorded_at": now,
            "cash": allocation.cash,
            "rounding_up": facts.rounding_up,
            "prepaid_before": allocation.prepaid_before,
            "prepaid_used": allocation.prepaid_used,
            "prepaid_added": allocation.prepaid_added,
            "rounding_before": allocation.rounding_before,
            "rounding_used": allocation.rounding_used,
            "rounding_added": allocation.rounding_added,
            "penalty_total": allocation.penalty_total,
            "principal_total": allocation.principal_total,
            "state": "confirmed",
            "offline": facts.offline,
            "verification_code": facts.verification_code,
            "mis_state": "pending",
        }
    )
    uow.payments.add_allocations(
        payment_id,
        [(line.receivable_id, line.penalty_paid, line.principal_paid) for line in allocation.lines],
    )
    try:
        uow.ledger.record(
            payment_posting(
                agent_id=facts.agent_id,
                customer_id=customer.id,
                allocation=allocation,
                from_hold=facts.offline,
            ),
            business_date=facts.business_date,
            recorded_at=now,
            payment_id=payment_id,
            agent_id=facts.agent_id,
        )
    except LedgerError as exc:
        if exc.code != "float_insufficient":
            raise
        raise RefusalError.wrapping(ErrorCode.FLOAT_INSUFFICIENT, exc, field="cash") from exc
    commission = commission_for(
        cash=allocation.cash,
        fixed_fen=params.commission_fixed_fen,
        rate_ppm=params.commission_rate_ppm,
    )
    if commission > 0:
        uow.ledger.record(
            commission_posting(agent_id=facts.agent_id, amount=commission),
            business_date=facts.business_date,
            recorded_at=now,
            payment_id=payment_id,
            agent_id=facts.agent_id,
        )
    uow.payments.add_receipt(payment_id, encode(receipt))
    # unsealed: payments never queue on the audit chain's lock (see adapters.db.audit_log)
    uow.audit.append_unsealed(
        occurred_at=now,
        actor=f"operator:{facts.operator_account}",
        action=AuditAction.PAYMENT_OFFLINE if facts.offline else AuditAction.PAYMENT_COLLECT,
        subject=f"payment:{facts.txn_id}",
        details={
            "terminal": terminal.terminal_no,
            "account_no": customer.account_no,
            "cash": allocation.cash,
            "business_date": facts.business_date,
            "penalty": allocation.penalty_total,
            "principal": allocation.principal_total,
            "commission": commission,
        },
    )
    uow.payments.enqueue(
        topic=MIS_POST_TOPIC,
        aggregate_id=facts.txn_id,
        payload=posting_payload(
            facts, terminal=terminal, customer=customer, allocation=allocation, periods=periods
        ),
        now=now,
    )
    return payment_id
