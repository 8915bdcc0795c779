"""What one step of talking to the server about a journalled payment achieved, and the
journal rows every such step shares (no answer, an answer, the float it told)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorBody, ErrorCode
from gridpos.protocol.terminal.payments import (
    PayAnswer,
)
from gridpos.terminal.client import NoAnswer
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.journal import EventKind, TxnRecord
from gridpos.terminal.session import with_float

# Refusals that say nothing about the payment itself — the request never reached the payment
# rules — so a payment waiting to be resolved keeps waiting (after sign-in, a new key…).
BLOCKING_CODES = frozenset(
    {
        ErrorCode.MALFORMED_REQUEST,
        ErrorCode.BODY_TOO_LARGE,
        ErrorCode.ROUTE_UNKNOWN,
        ErrorCode.METHOD_NOT_ALLOWED,
        ErrorCode.UPGRADE_REQUIRED,
        ErrorCode.UNSIGNED,
        ErrorCode.STALE_TIMESTAMP,
        ErrorCode.REPLAYED_COUNTER,
        ErrorCode.BAD_SIGNATURE,
        ErrorCode.UNKNOWN_TERMINAL,
        ErrorCode.TERMINAL_DISABLED,
        ErrorCode.NOT_SIGNED_IN,
        ErrorCode.SESSION_EXPIRED,
        ErrorCode.BUSINESS_DAY_CLOSED,
        ErrorCode.AGENT_DISABLED,
        ErrorCode.SERVER_BUSY,
        ErrorCode.INTERNAL_ERROR,
    }
)


def is_blocking(error: ErrorBody) -> bool:
    return error.code in BLOCKING_CODES


class Step(StrEnum):
    """What one step of resolving a payment achieved."""

    RESOLVED = "resolved"  # the payment (or its reversal or void) has its answer
    NO_ANSWER = "no_answer"  # the link failed: stop for now
    BLOCKED = "blocked"  # the server will not look at it now (session, identity): stop for now
    AGAIN = "again"  # progress, but more to do for this payment


@dataclass(frozen=True, slots=True)
class SendResult:
    step: Step
    record: TxnRecord
    answer: PayAnswer | None = None
    error: ErrorBody | None = None


def current_record(context: TerminalContext, txn_id: str) -> TxnRecord:
    record = context.journal.txn(txn_id)
    assert record is not None  # noqa: S101 - the caller holds a journalled payment
    return record


def note_float(context: TerminalContext, available: int | None) -> None:
    if available is not None and context.session is not None:
        context.update_session(with_float(context.session, available=available))


def journal_no_answer(context: TerminalContext, record: TxnRecord, result: NoAnswer) -> None:
    """Pending becomes unknown once the request may have left; unknown stays unknown."""
    if record.state is PaymentState.PENDING and result.delivered:
        body: dict[str, object] = {"reason": result.reason.value}
        if result.error is not None:
            body["err"] = result.error.model_dump(mode="json", exclude_none=True)
        context.journal.append(
            EventKind.NO_ANSWER, body, txn_id=record.txn_id, state=PaymentState.UNKNOWN
        )


def journal_answer(
    context: TerminalContext, record: TxnRecord, answer: PayAnswer, *, via: str
) -> TxnRecord:
    context.journal.append(
        EventKind.ANSWER,
        {"via": via, "answer": answer.model_dump(mode="json", by_alias=True, exclude_none=True)},
        txn_id=record.txn_id,
        state=PaymentState(answer.state.value),
    )
    note_float(context, answer.float_available)
    return current_record(context, record.txn_id)


def journal_refusal(
    context: TerminalContext, record: TxnRecord, error: ErrorBody, *, via: str, state: PaymentState
) -> TxnRecord:
    context.journal.append(
        EventKind.ANSWER,
        {"via": via, "err": error.model_dump(mode="json", exclude_none=True)},
        txn_id=record.txn_id,
        state=state,
    )
    return current_record(context, record.txn_id)
