"""What a payment ended in, as the screen shows it."""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.domain.errors import DomainError
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorBody
from gridpos.protocol.terminal.payments import PayAnswer
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import refusal
from gridpos.terminal.journal import Journal, TxnRecord
from gridpos.terminal.printing import PrintResult, receipt_of, stored_answer
from gridpos.terminal.receipt import Receipt, receipt_from_pay_answer


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """One payment after an attempt: its state, the receipt when there is one, and why not.

    - ``confirmed``: the company has it; ``receipt`` is the server's (printed unless
      ``print_error``);
    - ``pending``/``unknown`` online: the cash is taken, the answer has not come; the forwarder
      resolves it (no receipt until confirmed); the collector may cancel it (冲正);
    - ``pending`` offline: collected 脱机, receipt printed marked 脱机, uploads later;
    - ``rejected``: the server refused (``error`` in its words): give the cash back;
    - ``reversed``/``voided``: undone.
    """

    txn_id: str
    trace_no: int
    account_no: str
    cash: int
    state: PaymentState
    offline: bool
    answer: PayAnswer | None = None
    receipt: Receipt | None = None
    error: ErrorBody | None = None
    printed: bool = False
    print_error: DomainError | None = None

    @property
    def confirmed(self) -> bool:
        return self.state is PaymentState.CONFIRMED

    @property
    def waiting(self) -> bool:
        """The server has not answered yet (the journal keeps it and the forwarder resolves it)."""
        return self.state in (PaymentState.PENDING, PaymentState.UNKNOWN)


def outcome_of(
    record: TxnRecord,
    *,
    answer: PayAnswer | None = None,
    receipt: Receipt | None = None,
    error: ErrorBody | None = None,
    printed: bool = False,
    print_error: DomainError | None = None,
) -> PaymentOutcome:
    return PaymentOutcome(
        txn_id=record.txn_id,
        trace_no=record.trace_no,
        account_no=record.account_no,
        cash=record.cash,
        state=record.state,
        offline=record.offline,
        answer=answer,
        receipt=receipt,
        error=error,
        printed=printed,
        print_error=print_error,
    )


def journalled_payment(context: TerminalContext, txn_id: str) -> TxnRecord:
    """The payment ``txn_id`` of this terminal's journal.

    Raises:
        TerminalRefusalError: ``payment_not_found``.
    """
    record = context.journal.txn(txn_id)
    if record is None:
        raise refusal(
            "payment_not_found",
            field="txn",
            message_zh="本终端流水中查无此交易",
            message_en="no such payment in this terminal's journal",
            details={"txn": txn_id},
        )
    return record


def last_error(journal: Journal, record: TxnRecord) -> ErrorBody | None:
    """The last refusal journalled for a payment (the server's words), if any."""
    for row in reversed(journal.rows_of(record.txn_id)):
        found = row.body.get("err")
        result = row.body.get("res")
        if found is None and isinstance(result, dict):
            found = result.get("err")
        if isinstance(found, dict):
            return ErrorBody.model_validate(found)
    return None


def outcome_for(
    context: TerminalContext, record: TxnRecord, printed: PrintResult | None = None
) -> PaymentOutcome:
    """The outcome of a journalled payment: its stored answer and receipt, or why not."""
    answer = None if record.offline else stored_answer(context, record)
    receipt = None
    if answer is not None and record.state is PaymentState.CONFIRMED:
        receipt = receipt_from_pay_answer(answer)
    elif record.offline:
        receipt = receipt_of(context, record)
    error = last_error(context.journal, record) if record.state is PaymentState.REJECTED else None
    return outcome_of(
        record,
        answer=answer,
        receipt=receipt,
        error=error,
        printed=printed.printed if printed else False,
        print_error=printed.error if printed else None,
    )
