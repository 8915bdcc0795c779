"""Online payments: journal first, then send; resolve what got no answer; reverse; void.

The order of every payment (DESIGN.md, "Exactly once"):

1. checks on the terminal (amount, limits, partial payment, the journal can be written) — a
   refusal here journals nothing and sends nothing;
2. the payment is journalled ``pending`` with its id and the exact request (durable);
3. the request is sent; an answer is journalled (``confirmed`` or ``rejected``); no answer makes
   it ``unknown`` (or leaves it ``pending`` when the request certainly never left);
4. only a ``confirmed`` payment prints a receipt.

An unresolved payment is resolved by asking its status and, when the server never got it,
sending the very same request again (:func:`resolve_payment`). A collector who cancels while the
outcome is unknown makes a reversal (冲正): journalled, then sent, then resolved the same way —
the server honours a reversal that arrives before its original.
"""

from __future__ import annotations

from gridpos.domain.allocation import round_up_amount
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode, encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.payments import (
    PaymentStatusQuery,
    PayRequest,
)
from gridpos.protocol.terminal.routes import PAY, PAYMENT_STATUS
from gridpos.terminal.accounts import AccountView
from gridpos.terminal.client import Answered, NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import catalogue_refusal, refusal
from gridpos.terminal.journal import EventKind, TxnRecord
from gridpos.terminal.sending import (
    SendResult,
    Step,
    current_record,
    is_blocking,
    journal_answer,
    journal_no_answer,
    journal_refusal,
)
from gridpos.terminal.undo import resolve_void, send_reversal

# ---- checks and journalling -------------------------------------------------------------------


def _day_total(context: TerminalContext) -> int:
    session = context.require_session()
    records = context.journal.txns_of_batch(
        business_date=session.business_date, batch_no=session.batch_no
    )
    counted = (PaymentState.PENDING, PaymentState.UNKNOWN, PaymentState.CONFIRMED)
    return sum(record.cash for record in records if record.state in counted)


def check_payment(context: TerminalContext, view: AccountView, *, cash: int, round_up: bool) -> int:
    """The 取整 part of a payment the terminal may start; raises before anything is journalled.

    Raises:
        TerminalRefusalError: ``not_signed_in``, ``business_day_closed`` (the batch is closed),
            ``amount_invalid`` (not a positive int of fen), ``round_up_not_allowed``,
            ``round_up_invalid`` (rounding up but paying less than the whole yuan),
            ``amount_below_due`` (partial payment forbidden), ``over_payment_limit``,
            ``over_daily_limit`` — worded as the server words them.
    """
    session = context.require_session()
    params = session.params
    if session.batch_closed:
        raise catalogue_refusal(ErrorCode.BUSINESS_DAY_CLOSED)
    if type(cash) is not int or cash <= 0:
        raise catalogue_refusal(ErrorCode.AMOUNT_INVALID, details={"cash": str(cash)})
    round_part = 0
    if round_up:
        if not params.round_up_allowed:
            raise refusal(
                "round_up_not_allowed",
                field="round",
                message_zh="本单位不允许取整缴费",
                message_en="rounding up is not allowed by this company",
            )
        round_part = round_up_amount(due=view.total_due) - view.total_due
        if cash < view.total_due + round_part:
            raise refusal(
                "round_up_invalid",
                field="cash",
                message_zh="取整缴费金额不能少于取整后的应缴金额",
                message_en="a rounded-up payment must be at least the amount due rounded up",
                details={"rounded": view.total_due + round_part, "cash": cash},
            )
    if not params.partial_allowed and cash < view.total_due:
        raise catalogue_refusal(
            ErrorCode.AMOUNT_BELOW_DUE, details={"due": view.total_due, "cash": cash}
        )
    if params.per_payment_limit and cash > params.per_payment_limit:
        raise catalogue_refusal(
            ErrorCode.OVER_PAYMENT_LIMIT, details={"limit": params.per_payment_limit}
        )
    if params.per_day_limit and _day_total(context) + cash > params.per_day_limit:
        raise catalogue_refusal(ErrorCode.OVER_DAILY_LIMIT, details={"limit": params.per_day_limit})
    return round_part


def start_payment(
    context: TerminalContext, view: AccountView, *, cash: int, round_part: int
) -> TxnRecord:
    """Journal the payment ``pending`` (durable) with the exact request to send.

    Raises:
        JournalUnwritableError: nothing could be written; no payment started.
    """
    session = context.require_session()
    journal = context.journal
    journal.check_space()  # the pending row itself is the write test
    with journal.transaction():
        txn_id, trace_no = context.new_txn()
        request = PayRequest(
            txn_id=txn_id,
            trace_no=trace_no,
            account_no=view.account_no,
            cash=cash,
            round_up=round_part,
            amount_due=view.total_due,
            cash_time=context.now(),
        )
        journal.append(
            EventKind.PAY,
            {"wire": encode(request).decode("utf-8")},
            txn_id=txn_id,
            state=PaymentState.PENDING,
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
    record = journal.txn(txn_id)
    assert record is not None  # noqa: S101 - just written in the same connection
    return record


# ---- sending and resolving ----------------------------------------------------------------------


def send_payment(context: TerminalContext, record: TxnRecord, *, first: bool) -> SendResult:
    """Send the journalled request of ``record`` (again), byte for byte, and journal what came.

    On the first send the customer is at the counter, so any refusal rejects the payment. On a
    resend a refusal about the payment rejects it (``payment_already_reversed`` makes it
    reversed); a refusal about the session or the terminal leaves it waiting (``BLOCKED``).
    """
    row = context.journal.row(record.request_seq)
    assert row is not None  # noqa: S101 - the side table points at an existing row
    request = decode(PayRequest, str(row.body["wire"]).encode("utf-8"))
    via = "pay" if first else "resend"
    result = context.client.call(PAY, request)
    if isinstance(result, Answered):
        updated = journal_answer(context, record, result.answer, via=via)
        return SendResult(Step.RESOLVED, updated, answer=result.answer)
    if isinstance(result, Refused):
        error = result.error
        if error.code == ErrorCode.PAYMENT_ALREADY_REVERSED:
            updated = journal_refusal(context, record, error, via=via, state=PaymentState.REVERSED)
            return SendResult(Step.RESOLVED, updated, error=error)
        if not first and is_blocking(error):
            return SendResult(Step.BLOCKED, record, error=error)
        updated = journal_refusal(context, record, error, via=via, state=PaymentState.REJECTED)
        return SendResult(Step.RESOLVED, updated, error=error)
    journal_no_answer(context, record, result)
    return SendResult(Step.NO_ANSWER, current_record(context, record.txn_id), error=result.error)


def query_status(context: TerminalContext, record: TxnRecord) -> SendResult:
    """Ask what became of ``record``; journal a definite answer.

    ``AGAIN`` means the server never got it (``payment_not_found``): send it again.
    """
    result = context.client.call(PAYMENT_STATUS, PaymentStatusQuery(txn_id=record.txn_id))
    if isinstance(result, NoAnswer):
        journal_no_answer(context, record, result)
        return SendResult(
            Step.NO_ANSWER, current_record(context, record.txn_id), error=result.error
        )
    if isinstance(result, Refused):
        if result.error.code == ErrorCode.PAYMENT_NOT_FOUND:
            return SendResult(Step.AGAIN, record, error=result.error)
        return SendResult(Step.BLOCKED, record, error=result.error)
    status = result.answer
    state = PaymentState(status.state.value)
    if state in (PaymentState.PENDING, PaymentState.UNKNOWN):
        return SendResult(Step.BLOCKED, record)  # the server is still working on it
    if state is PaymentState.CONFIRMED and status.receipt is not None:
        updated = journal_answer(context, record, status.receipt, via="status")
        return SendResult(Step.RESOLVED, updated, answer=status.receipt)
    body: dict[str, object] = {"via": "status", "st": state.value}
    if status.receipt is not None:
        body["answer"] = status.receipt.model_dump(mode="json", by_alias=True, exclude_none=True)
    if status.error is not None:
        body["err"] = status.error.model_dump(mode="json", exclude_none=True)
    if state is not record.state:
        context.journal.append(EventKind.ANSWER, body, txn_id=record.txn_id, state=state)
    return SendResult(Step.RESOLVED, current_record(context, record.txn_id), error=status.error)


def resolve_payment(context: TerminalContext, record: TxnRecord) -> SendResult:
    """One round of resolving an online payment that waits: status, then resend if never got.

    A cancelled payment sends its reversal instead (the server honours it before its original).
    A void that got no answer is settled by the payment's status.
    """
    if record.reversal_seq is not None:
        return send_reversal(context, record)
    if record.void_seq is not None:
        return resolve_void(context, record)
    status = query_status(context, record)
    if status.step is not Step.AGAIN:
        return status
    return send_payment(context, record, first=False)


def round_part_of(view: AccountView) -> int:
    """The 取整 part for ``view`` (0 when the amount due is already whole yuan)."""
    return round_up_amount(due=view.total_due) - view.total_due
