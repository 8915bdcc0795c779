"""Undoing a payment from the terminal: reversal (冲正) while the outcome is unknown, void
(撤销) of a confirmed payment of today with a supervisor's credential.

Both are journalled before they are sent. A reversal without an answer waits in the journal and
the forwarder sends it again (the server honours a reversal that arrives before its original). A
void without an answer is settled by the payment's status: voided, or still confirmed (then the
void never arrived and the collector may void again). The supervisor's password is never
journalled.
"""

from __future__ import annotations

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode, encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.payments import (
    PaymentStatusQuery,
    ReverseRequest,
    UndoAnswer,
    VoidRequest,
)
from gridpos.protocol.terminal.routes import PAYMENT_STATUS, REVERSE, VOID
from gridpos.terminal.client import Answered, NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import catalogue_refusal
from gridpos.terminal.journal import EventKind, TxnRecord
from gridpos.terminal.sending import (
    SendResult,
    Step,
    current_record,
    is_blocking,
    journal_no_answer,
    note_float,
)

# ---- reversal (冲正) --------------------------------------------------------------------------


def request_reversal(context: TerminalContext, record: TxnRecord) -> TxnRecord:
    """Journal the collector's cancellation of a payment whose outcome is not known.

    Raises:
        TerminalRefusalError: ``payment_state_conflict`` — the payment is confirmed (void it),
            already undone, rejected, offline (void it once uploaded) or already being reversed.
        JournalUnwritableError: nothing could be written.
    """
    if (
        record.offline
        or record.state not in (PaymentState.PENDING, PaymentState.UNKNOWN)
        or record.reversal_seq is not None
    ):
        raise catalogue_refusal(
            ErrorCode.PAYMENT_STATE_CONFLICT,
            details={"state": record.state.value, "offline": record.offline},
            message_zh=f"交易状态为「{record.state.label_zh}」，不能冲正",
            message_en=f"a payment that is {record.state.value} cannot be reversed",
        )
    journal = context.journal
    with journal.transaction():
        request = ReverseRequest(
            txn_id=record.txn_id,
            trace_no=record.trace_no,
            business_date=record.business_date,
            cash=record.cash,
            reversal_trace_no=context.new_trace(),
        )
        journal.append(
            EventKind.REVERSAL, {"wire": encode(request).decode("utf-8")}, txn_id=record.txn_id
        )
    return current_record(context, record.txn_id)


def _undo_answer_body(answer: UndoAnswer) -> dict[str, object]:
    return {"answer": answer.model_dump(mode="json", by_alias=True, exclude_none=True)}


def send_reversal(context: TerminalContext, record: TxnRecord) -> SendResult:
    """Send the journalled reversal of ``record`` (again) and journal what came back.

    A refused reversal (another day, another amount…) is journalled and the payment goes back to
    being resolved by its status, like any other.
    """
    assert record.reversal_seq is not None  # noqa: S101 - only called for a requested reversal
    row = context.journal.row(record.reversal_seq)
    assert row is not None  # noqa: S101
    request = decode(ReverseRequest, str(row.body["wire"]).encode("utf-8"))
    result = context.client.call(REVERSE, request)
    journal = context.journal
    if isinstance(result, Answered):
        journal.append(
            EventKind.REVERSAL_ANSWER,
            _undo_answer_body(result.answer),
            txn_id=record.txn_id,
            state=PaymentState(result.answer.state.value),
        )
        note_float(context, result.answer.float_available)
        return SendResult(Step.RESOLVED, current_record(context, record.txn_id))
    if isinstance(result, NoAnswer):
        journal_no_answer(context, record, result)
        return SendResult(
            Step.NO_ANSWER, current_record(context, record.txn_id), error=result.error
        )
    error = result.error
    if error.code == ErrorCode.PAYMENT_ALREADY_REVERSED:
        journal.append(
            EventKind.REVERSAL_ANSWER,
            {"err": error.model_dump(mode="json", exclude_none=True)},
            txn_id=record.txn_id,
            state=PaymentState.REVERSED,
        )
        return SendResult(Step.RESOLVED, current_record(context, record.txn_id), error=error)
    if is_blocking(error):
        return SendResult(Step.BLOCKED, record, error=error)
    journal.append(
        EventKind.REVERSAL_REFUSED,
        {"err": error.model_dump(mode="json", exclude_none=True)},
        txn_id=record.txn_id,
    )
    return SendResult(Step.AGAIN, current_record(context, record.txn_id), error=error)


# ---- void (撤销) ------------------------------------------------------------------------------


def request_void(
    context: TerminalContext,
    record: TxnRecord,
    *,
    supervisor: str,
    supervisor_password: str,
) -> tuple[TxnRecord, VoidRequest]:
    """Journal a void of a confirmed payment of today (the password is never journalled).

    Raises:
        TerminalRefusalError: ``payment_state_conflict`` (not confirmed, or a void already waits),
            ``void_not_same_day``, ``void_needs_supervisor`` (no supervisor given).
    """
    session = context.require_session()
    if record.state is not PaymentState.CONFIRMED or record.void_seq is not None:
        raise catalogue_refusal(
            ErrorCode.PAYMENT_STATE_CONFLICT,
            details={"state": record.state.value},
            message_zh=f"交易状态为「{record.state.label_zh}」，不能撤销",
            message_en=f"a payment that is {record.state.value} cannot be voided",
        )
    if record.business_date != session.business_date:
        raise catalogue_refusal(ErrorCode.VOID_NOT_SAME_DAY)
    if not supervisor.strip() or not supervisor_password:
        raise catalogue_refusal(ErrorCode.VOID_NEEDS_SUPERVISOR)
    journal = context.journal
    with journal.transaction():
        request = VoidRequest(
            txn_id=record.txn_id,
            trace_no=record.trace_no,
            business_date=record.business_date,
            cash=record.cash,
            void_trace_no=context.new_trace(),
            supervisor=supervisor.strip(),
            supervisor_password=supervisor_password,
        )
        kept = request.model_dump(mode="json", by_alias=True, exclude={"supervisor_password"})
        journal.append(EventKind.VOID, {"wire": kept}, txn_id=record.txn_id)
    return current_record(context, record.txn_id), request


def send_void(context: TerminalContext, record: TxnRecord, request: VoidRequest) -> SendResult:
    """Send a void and journal what came; no answer leaves it for the payment's status."""
    result = context.client.call(VOID, request)
    journal = context.journal
    if isinstance(result, Answered):
        journal.append(
            EventKind.VOID_ANSWER,
            _undo_answer_body(result.answer),
            txn_id=record.txn_id,
            state=PaymentState(result.answer.state.value),
        )
        note_float(context, result.answer.float_available)
        return SendResult(Step.RESOLVED, current_record(context, record.txn_id))
    if isinstance(result, Refused):
        journal.append(
            EventKind.VOID_REFUSED,
            {"err": result.error.model_dump(mode="json", exclude_none=True)},
            txn_id=record.txn_id,
        )
        return SendResult(Step.RESOLVED, current_record(context, record.txn_id), error=result.error)
    journal.append(EventKind.VOID_NO_ANSWER, {"reason": result.reason.value}, txn_id=record.txn_id)
    return SendResult(Step.NO_ANSWER, current_record(context, record.txn_id), error=result.error)


def resolve_void(context: TerminalContext, record: TxnRecord) -> SendResult:
    """A void that got no answer: the payment's status says whether it happened."""
    result = context.client.call(PAYMENT_STATUS, PaymentStatusQuery(txn_id=record.txn_id))
    if isinstance(result, NoAnswer):
        return SendResult(Step.NO_ANSWER, record, error=result.error)
    if isinstance(result, Refused):
        return SendResult(Step.BLOCKED, record, error=result.error)
    state = PaymentState(result.answer.state.value)
    journal = context.journal
    if state is PaymentState.CONFIRMED:
        # the server never got the void: it did not happen; the collector may void again
        journal.append(
            EventKind.VOID_REFUSED, {"lost": True, "via": "status"}, txn_id=record.txn_id
        )
    else:
        journal.append(
            EventKind.VOID_ANSWER,
            {"via": "status", "st": state.value},
            txn_id=record.txn_id,
            state=state,
        )
    return SendResult(Step.RESOLVED, current_record(context, record.txn_id))
