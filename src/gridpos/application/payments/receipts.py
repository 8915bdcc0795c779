"""The receipt (电费收据) a payment is answered with, kept and answered again unchanged.

The first answer is encoded once and stored beside the payment; a repeat of the payment, its
status and a reprint decode that same receipt and give it the payment's state now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime

from gridpos.adapters.db.payment_store import CustomerRecord, PaymentRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.arrears import PricedReceivable
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.application.text import printable
from gridpos.domain.allocation import Allocation
from gridpos.protocol.codec import decode, encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WireCategory, WirePaymentState
from gridpos.protocol.messages import WireRequest
from gridpos.protocol.terminal.payments import PayAnswer, ReceiptLine


def request_hash(request: WireRequest) -> str:
    """SHA-256 of the request's compact encoding: the same payment resent hashes the same."""
    return hashlib.sha256(encode(request)).hexdigest()


def terminal_of(txn_id: str) -> str:
    """The terminal number a (validated) transaction id names: its first part."""
    return txn_id.split("-", 1)[0]


def require_own_txn(txn_id: str, terminal: TerminalIdentity, *, field: str = "txn") -> None:
    """Refuse a transaction id that does not name the signing terminal.

    Raises :class:`RefusalError` ``invalid_field`` naming ``field``.
    """
    if terminal_of(txn_id) != terminal.terminal_no:
        raise RefusalError(
            ErrorCode.INVALID_FIELD,
            field=field,
            message_zh="交易号中的终端号不是本终端",
            message_en="the transaction id names another terminal",
            details={"reason": "txn_id_other_terminal"},
        )


def build_receipt(
    *,
    terminal: TerminalIdentity,
    operator_name: str,
    txn_id: str,
    trace_no: int,
    business_date: date,
    paid_at: datetime,
    customer: CustomerRecord,
    priced: Sequence[PricedReceivable],
    allocation: Allocation,
    verification_code: str,
    offline: bool,
) -> PayAnswer:
    """The receipt of a payment just recorded."""
    kwh = {item.record.id: item.record.kwh for item in priced}
    place = terminal.place
    return PayAnswer(
        txn_id=txn_id,
        trace_no=trace_no,
        state=WirePaymentState.CONFIRMED,
        company=printable(place.company, 64),
        station=printable(place.station, 64),
        collection_point=printable(place.collection_point, 64),
        terminal_no=terminal.terminal_no,
        operator=printable(operator_name, 64),
        business_date=business_date,
        paid_at=paid_at,
        account_no=customer.account_no,
        name=printable(customer.name, 64),
        address=printable(customer.address, 128),
        category=WireCategory(customer.category),
        lines=tuple(
            ReceiptLine(
                period=line.period,
                kwh=kwh.get(line.receivable_id, 0),
                principal=line.principal_paid,
                penalty=line.penalty_paid,
            )
            for line in allocation.lines
        ),
        prepaid_before=allocation.prepaid_before,
        prepaid_after=allocation.prepaid_after,
        rounding_credit_before=allocation.rounding_before,
        rounding_credit_after=allocation.rounding_after,
        total_due=allocation.total_due,
        cash=allocation.cash,
        verification_code=verification_code,
        offline=offline,
    )


def stored_receipt(uow: SqlUnitOfWork, payment: PaymentRecord) -> PayAnswer:
    """The receipt ``payment`` was answered with, carrying its state now."""
    receipt = decode(PayAnswer, uow.payments.receipt(payment.id))
    return receipt.model_copy(update={"state": WirePaymentState(payment.state)})
