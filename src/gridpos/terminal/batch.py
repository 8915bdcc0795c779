"""扎帐 (batch close) with the cash count, and 批上送 (the detail upload when unbalanced).

**Totals from the journal.** Payments that stand: confirmed ones and offline ones not rejected
(collected, whether or not uploaded yet). Undone: reversed and voided. Payments still waiting for
an answer are in neither — if the server has them, the totals differ and the detail upload names
them. A payment whose reversal reached the server before it did (the server answered with a
tombstone) never moved money on either side: the server has no payment to count, so it is in
neither total here either (its detail line still goes up, and matches the tombstone).

**Cash count.** The cash the collector should hold is the cash of every payment that stands plus
every online payment still waiting that the collector did not cancel (the cash was taken). A
shortage or an overage needs a note (never absorbed); the count and the note go to the server with
the close and stay in the journal.

**Close.** Totals go to the server; balanced closes the batch; not balanced sends every payment
of the batch in parts of 50, and the last part's answer names every difference. Each request is
sent again when no answer comes (bounded); a resend the server refuses as already closed means
the lost answer had closed it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NoReturn, TypeVar

import orjson

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.messages import WireAnswer
from gridpos.protocol.terminal.batches import (
    MAX_UPLOAD_ITEMS,
    BatchItem,
    BatchTotals,
    CloseBatchRequest,
    Difference,
    UploadBatchRequest,
)
from gridpos.protocol.terminal.routes import CLOSE_BATCH, UPLOAD_BATCH, Route
from gridpos.terminal.client import Answered, NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import (
    NoAnswerError,
    ServerRefusalError,
    catalogue_refusal,
    refusal,
)
from gridpos.terminal.journal import EventKind, Journal, TxnRecord

UPLOAD_ATTEMPTS = 3
MAX_NOTE_LENGTH = 200
_UNDONE = (PaymentState.REVERSED, PaymentState.VOIDED, PaymentState.CANCELLED)
_WAITING = (PaymentState.PENDING, PaymentState.UNKNOWN)
A = TypeVar("A", bound=WireAnswer)


def stands(record: TxnRecord) -> bool:
    """Counts as collected: confirmed, or taken offline and not rejected."""
    return record.state is PaymentState.CONFIRMED or (record.offline and record.state in _WAITING)


def tombstoned(journal: Journal, records: Iterable[TxnRecord]) -> frozenset[str]:
    """The txn ids of reversed ``records`` the server reversed as a tombstone (the reversal
    came before the payment, which it then never took)."""
    found: set[str] = set()
    for record in records:
        if record.state is not PaymentState.REVERSED or record.offline:
            continue
        for row in journal.rows_of(record.txn_id):
            answer = row.body.get("answer") if row.kind is EventKind.REVERSAL_ANSWER else None
            if isinstance(answer, dict) and answer.get("tomb") is True:
                found.add(record.txn_id)
    return frozenset(found)


def totals_of(records: Iterable[TxnRecord], *, tombstoned: Collection[str] = ()) -> BatchTotals:
    """Count and amount of payments that stand and of payments undone; the ``tombstoned`` ones
    (see :func:`tombstoned`) in neither."""
    count = amount = undone_count = undone_amount = 0
    for record in records:
        if stands(record):
            count += 1
            amount += record.cash
        elif record.state in _UNDONE and record.txn_id not in tombstoned:
            undone_count += 1
            undone_amount += record.cash
    return BatchTotals(
        count=count, amount=amount, undone_count=undone_count, undone_amount=undone_amount
    )


def expected_cash(records: Iterable[TxnRecord]) -> int:
    """The cash the collector should hold for these payments (see the module's docstring)."""
    return sum(
        record.cash
        for record in records
        if stands(record) or (record.state in _WAITING and not record.cancelled)
    )


@dataclass(frozen=True, slots=True)
class BatchCloseOutcome:
    """扎帐: the totals both sides had, the differences named, and the cash count.

    ``server_totals``/``balanced``/``differences`` are ``None`` when the server closed the batch
    but its answer was lost (a resend found it closed): the server keeps them for reconciliation.
    """

    batch_no: int
    business_date: date
    terminal_totals: BatchTotals
    server_totals: BatchTotals | None
    balanced: bool | None
    closed: bool
    differences: tuple[Difference, ...] | None
    expected_cash: int
    cash_counted: int
    note: str
    unresolved: int

    @property
    def cash_difference(self) -> int:
        """Counted less expected: negative is a shortage (短款), positive an overage (长款)."""
        return self.cash_counted - self.expected_cash


def check_cash_count(*, cash_counted: int, expected: int, note: str | None) -> str:
    """The note to keep with the count.

    Raises:
        TerminalRefusalError: ``cash_count_invalid`` (not a non-negative int of fen),
            ``cash_note_required`` (a shortage or overage without a note), ``cash_note_too_long``.
    """
    if type(cash_counted) is not int or cash_counted < 0:
        raise refusal(
            "cash_count_invalid",
            field="cash_counted",
            message_zh="点钞金额必须是不小于零的整数分",
            message_en="the cash counted must be a whole number of fen, zero or more",
        )
    text = (note or "").strip()
    if cash_counted != expected and not text:
        kind_zh = "短款" if cash_counted < expected else "长款"
        raise refusal(
            "cash_note_required",
            field="note",
            message_zh=f"点钞{kind_zh} {abs(cash_counted - expected) / 100:.2f} 元，请填写说明",
            message_en="the cash counted differs from the expected amount; write a note",
            details={"expected": expected, "counted": cash_counted},
        )
    if len(text) > MAX_NOTE_LENGTH:
        raise refusal(
            "cash_note_too_long",
            field="note",
            message_zh=f"说明最多{MAX_NOTE_LENGTH}字",
            message_en=f"the note is at most {MAX_NOTE_LENGTH} characters",
        )
    return text


def _wire_state(record: TxnRecord) -> WirePaymentState:
    return WirePaymentState(record.state.value)


def _items(records: list[TxnRecord]) -> list[BatchItem]:
    return [
        BatchItem(
            txn_id=record.txn_id,
            trace_no=record.trace_no,
            account_no=record.account_no,
            cash=record.cash,
            state=_wire_state(record),
            cash_time=record.cash_time,
            offline=record.offline,
        )
        for record in records
    ]


def _raise_for(result: NoAnswer | Refused) -> NoReturn:
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    raise NoAnswerError(result.reason.value, body=result.error)


def _send(context: TerminalContext, route: Route[Any, A], request: Any) -> tuple[A | None, bool]:
    """Send (again on no answer, bounded); the answer, or ``None`` when the server says the
    batch is already closed — and whether an earlier send may have done it.

    Raises:
        NoAnswerError: no answer after :data:`UPLOAD_ATTEMPTS` sends.
        ServerRefusalError: any other refusal.
    """
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        result = context.client.call(route, request)
        if isinstance(result, Answered):
            return result.answer, False
        if isinstance(result, Refused):
            if result.error.code == ErrorCode.BATCH_ALREADY_CLOSED:
                return None, attempt > 1
            _raise_for(result)
        if attempt == UPLOAD_ATTEMPTS:
            _raise_for(result)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What the last part of the upload said. A last part sent again after its answer was lost is
    answered with the differences; ``differences`` is ``None`` only when the server refused it as
    already closed (they are kept on the server)."""

    differences: tuple[Difference, ...] | None
    closed: bool


def upload_batch(
    context: TerminalContext, *, batch_no: int, records: list[TxnRecord]
) -> UploadResult:
    """Send every payment of the batch in parts of 50 (each resent on no answer, bounded).

    Raises:
        NoAnswerError: a part got no answer after :data:`UPLOAD_ATTEMPTS` sends.
        ServerRefusalError: the server refused a part.
    """
    items = _items(records)
    parts = max(1, -(-len(items) // MAX_UPLOAD_ITEMS))
    for part in range(1, parts + 1):
        chunk = tuple(items[(part - 1) * MAX_UPLOAD_ITEMS : part * MAX_UPLOAD_ITEMS])
        request = UploadBatchRequest(batch_no=batch_no, part=part, parts=parts, items=chunk)
        answer, _resent = _send(context, UPLOAD_BATCH, request)
        if answer is None:  # closed by this upload's last part, whose answer was lost
            return UploadResult(differences=None, closed=True)
        if answer.complete:
            return UploadResult(differences=answer.differences, closed=answer.closed)
    return UploadResult(differences=(), closed=False)


def close_batch(
    context: TerminalContext, *, cash_counted: int, note: str | None
) -> BatchCloseOutcome:
    """扎帐 of the open batch with the collector's cash count (see the module's docstring).

    Raises:
        TerminalRefusalError: ``not_signed_in``, ``batch_already_closed``, ``cash_count_invalid``,
            ``cash_note_required``, ``cash_note_too_long`` — before anything is sent.
        NoAnswerError, ServerRefusalError: the close or the upload could not be done; run it
            again (the server acknowledges parts it already has).
        JournalUnwritableError: the result could not be journalled.
    """
    session = context.require_session()
    if session.batch_closed:
        raise catalogue_refusal(ErrorCode.BATCH_ALREADY_CLOSED, details={"batch": session.batch_no})
    journal = context.journal
    records = journal.txns_of_batch(business_date=session.business_date, batch_no=session.batch_no)
    expected = expected_cash(records)
    kept_note = check_cash_count(cash_counted=cash_counted, expected=expected, note=note)
    totals = totals_of(records, tombstoned=tombstoned(journal, records))
    request = CloseBatchRequest(
        batch_no=session.batch_no, totals=totals, cash_counted=cash_counted, note=kept_note
    )
    answer, _resent = _send(context, CLOSE_BATCH, request)
    journal.append(
        EventKind.BATCH_CLOSED,
        {
            "tot": encode(totals).decode("utf-8"),
            "answer": encode(answer).decode("utf-8") if answer is not None else None,
        },
        business_date=session.business_date,
        batch_no=session.batch_no,
    )
    differences: tuple[Difference, ...] | None = ()
    closed = answer is None or answer.closed or answer.balanced
    if answer is not None and not answer.balanced:
        uploaded = upload_batch(context, batch_no=session.batch_no, records=records)
        differences, closed = uploaded.differences, uploaded.closed
        journal.append(
            EventKind.BATCH_UPLOADED,
            {
                "diff": None
                if uploaded.differences is None
                else [orjson.loads(encode(d)) for d in uploaded.differences],
                "closed": uploaded.closed,
                "items": len(records),
            },
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
    elif answer is None:
        differences = None
    journal.append(
        EventKind.CASH_COUNTED,
        {
            "expected": expected,
            "counted": cash_counted,
            "difference": cash_counted - expected,
            "note": kept_note,
        },
        business_date=session.business_date,
        batch_no=session.batch_no,
    )
    if closed:
        context.update_session(replace(session, batch_closed=True))
    return BatchCloseOutcome(
        batch_no=session.batch_no,
        business_date=session.business_date,
        terminal_totals=totals,
        server_totals=answer.server_totals if answer is not None else None,
        balanced=answer.balanced if answer is not None else None,
        closed=closed,
        differences=differences,
        expected_cash=expected,
        cash_counted=cash_counted,
        note=kept_note,
        unresolved=sum(1 for record in records if record.waiting),
    )
