"""重打 (reprint): a receipt printed again, marked as such, from the journal or from the server.

The journal's stored answer is the receipt the server confirmed, so a reprint needs no link. A
receipt the journal does not have (a journal replaced after a fault) comes from the server's
reprint of the day.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.domain.errors import DomainError
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.terminal.payments import ReprintQuery
from gridpos.protocol.terminal.routes import REPRINT
from gridpos.terminal.accounts import no_answer_error
from gridpos.terminal.client import Answered, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import ServerRefusalError, refusal
from gridpos.terminal.journal import TxnRecord
from gridpos.terminal.outcomes import journalled_payment
from gridpos.terminal.printing import ReceiptPrinter, print_record, receipt_of
from gridpos.terminal.receipt import Receipt, receipt_from_pay_answer

_LATEST = 50


@dataclass(frozen=True, slots=True)
class ReprintOutcome:
    """A receipt printed again (marked 重打), from the journal or from the server."""

    receipt: Receipt
    printed: bool
    print_error: DomainError | None
    from_server: bool


def _printable(record: TxnRecord) -> bool:
    return record.state is PaymentState.CONFIRMED or (
        record.offline and record.state in (PaymentState.PENDING, PaymentState.UNKNOWN)
    )


def find_for_reprint(
    context: TerminalContext, *, txn_id: str | None, trace_no: int | None
) -> TxnRecord | None:
    """The journalled payment to reprint: by id, by trace number today, or the latest one."""
    journal = context.journal
    if txn_id is not None:
        return journal.txn(txn_id)
    session = context.session
    if trace_no is not None:
        return journal.txn_by_trace(
            trace_no, business_date=session.business_date if session else None
        )
    for record in reversed(journal.latest_txns(limit=_LATEST)):
        if _printable(record):
            return record
    return None


def reprint(
    context: TerminalContext,
    printer: ReceiptPrinter | None,
    *,
    txn_id: str | None = None,
    trace_no: int | None = None,
) -> ReprintOutcome:
    """Print a receipt again; with neither id nor trace number, the latest of the day.

    Raises:
        TerminalRefusalError: ``receipt_not_available`` (the payment is not confirmed),
            ``payment_not_found``, ``not_signed_in`` (to ask the server).
        ServerRefusalError, NoAnswerError: the server could not give it.
    """
    record = find_for_reprint(context, txn_id=txn_id, trace_no=trace_no)
    if record is not None:
        printed = print_record(context, printer, record, reprint=True)
        return ReprintOutcome(receipt_of(context, record), printed.printed, printed.error, False)
    if txn_id is not None:
        journalled_payment(context, txn_id)  # raises payment_not_found
    context.require_session()
    result = context.client.call(REPRINT, ReprintQuery(trace_no=trace_no))
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    if not isinstance(result, Answered):
        raise no_answer_error(result)
    if not result.answer.receipts:
        raise refusal(
            "receipt_not_available",
            field="trace",
            message_zh="没有可重打的收据",
            message_en="there is no receipt to print again",
        )
    receipt = receipt_from_pay_answer(result.answer.receipts[0])
    if printer is None:
        return ReprintOutcome(receipt, False, None, True)
    try:
        printer.print_receipt(receipt, copies=1, reprint=True)
    except DomainError as exc:
        return ReprintOutcome(receipt, False, exc, True)
    return ReprintOutcome(receipt, True, None, True)
