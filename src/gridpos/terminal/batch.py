"""扎帐 (batch close) with the cash count, 批上送 (detail upload), statistics and 对帐.

**Totals from the journal.** Payments that stand: confirmed ones and offline ones not rejected
(collected, whether or not uploaded yet). Undone: reversed and voided. Payments still waiting for
an answer are in neither — if the server has them, the totals differ and the detail upload names
them.

**Cash count.** The cash the collector should hold is the cash of every payment that stands plus
every online payment still waiting that the collector did not cancel (the cash was taken). The
count is recorded with the difference; a shortage or an overage needs a note (never absorbed).
The protocol's close request carries totals only, so the count stays in the journal.

**Close.** Totals go to the server; balanced closes the batch; not balanced sends every payment
of the batch in parts of 50 (each part resent on no answer, bounded), and the last part's answer
names every difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import NoReturn

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal.batches import (
    MAX_UPLOAD_ITEMS,
    BatchItem,
    BatchTotals,
    CloseBatchAnswer,
    CloseBatchRequest,
    Difference,
    ReconcileQuery,
    StatisticsAnswer,
    StatisticsQuery,
    UploadBatchAnswer,
    UploadBatchRequest,
)
from gridpos.protocol.terminal.routes import CLOSE_BATCH, RECONCILE, STATISTICS, UPLOAD_BATCH
from gridpos.terminal.client import Answered, NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import NoAnswerError, ServerRefusalError, refusal
from gridpos.terminal.journal import EventKind, TxnRecord

UPLOAD_ATTEMPTS = 3
MAX_NOTE_LENGTH = 200
_UNDONE = (PaymentState.REVERSED, PaymentState.VOIDED, PaymentState.CANCELLED)
_WAITING = (PaymentState.PENDING, PaymentState.UNKNOWN)


def stands(record: TxnRecord) -> bool:
    """Counts as collected: confirmed, or taken offline and not rejected."""
    return record.state is PaymentState.CONFIRMED or (record.offline and record.state in _WAITING)


def totals_of(records: Iterable[TxnRecord]) -> BatchTotals:
    """Count and amount of payments that stand and of payments undone."""
    count = amount = undone_count = undone_amount = 0
    for record in records:
        if stands(record):
            count += 1
            amount += record.cash
        elif record.state in _UNDONE:
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
    """扎帐: the totals both sides had, the differences named, and the cash count."""

    batch_no: int
    business_date: date
    terminal_totals: BatchTotals
    server_totals: BatchTotals
    balanced: bool
    closed: bool
    differences: tuple[Difference, ...]
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


def _raise_for(result: NoAnswer | Refused) -> NoReturn:
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    raise NoAnswerError(result.reason.value, body=result.error)


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


def upload_batch(
    context: TerminalContext, *, batch_no: int, records: list[TxnRecord]
) -> UploadBatchAnswer:
    """Send every payment of the batch in parts; the last part's answer.

    Raises:
        NoAnswerError: a part got no answer after :data:`UPLOAD_ATTEMPTS` sends.
        ServerRefusalError: the server refused a part.
    """
    items = _items(records)
    parts = max(1, -(-len(items) // MAX_UPLOAD_ITEMS))
    last: UploadBatchAnswer | None = None
    for part in range(1, parts + 1):
        chunk = tuple(items[(part - 1) * MAX_UPLOAD_ITEMS : part * MAX_UPLOAD_ITEMS])
        request = UploadBatchRequest(batch_no=batch_no, part=part, parts=parts, items=chunk)
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            result = context.client.call(UPLOAD_BATCH, request)
            if isinstance(result, Answered):
                last = result.answer
                break
            if isinstance(result, Refused) or attempt == UPLOAD_ATTEMPTS:
                _raise_for(result)
    assert last is not None  # noqa: S101 - at least one part was answered
    return last


def close_batch(
    context: TerminalContext, *, cash_counted: int, note: str | None
) -> BatchCloseOutcome:
    """扎帐 of the open batch with the collector's cash count (see the module's docstring).

    Raises:
        TerminalRefusalError: ``not_signed_in``, ``cash_count_invalid``, ``cash_note_required``,
            ``cash_note_too_long`` — before anything is sent.
        NoAnswerError, ServerRefusalError: the close or the upload could not be done; run it again.
        JournalUnwritableError: the result could not be journalled.
    """
    session = context.require_session()
    journal = context.journal
    records = journal.txns_of_batch(business_date=session.business_date, batch_no=session.batch_no)
    expected = expected_cash(records)
    kept_note = check_cash_count(cash_counted=cash_counted, expected=expected, note=note)
    totals = totals_of(records)
    result = context.client.call(
        CLOSE_BATCH, CloseBatchRequest(batch_no=session.batch_no, totals=totals)
    )
    if not isinstance(result, Answered):
        if isinstance(result, Refused) and result.error.code == ErrorCode.BATCH_ALREADY_CLOSED:
            answer = CloseBatchAnswer(
                batch_no=session.batch_no,
                business_date=session.business_date,
                balanced=True,
                server_totals=totals,
                closed=True,
            )
        else:
            _raise_for(result)
    else:
        answer = result.answer
    journal.append(
        EventKind.BATCH_CLOSED,
        {"tot": encode(totals).decode("utf-8"), "answer": encode(answer).decode("utf-8")},
        business_date=session.business_date,
        batch_no=session.batch_no,
    )
    differences: tuple[Difference, ...] = ()
    closed = answer.closed or answer.balanced
    if not answer.balanced:
        uploaded = upload_batch(context, batch_no=session.batch_no, records=records)
        differences = uploaded.differences
        closed = uploaded.closed
        journal.append(
            EventKind.BATCH_UPLOADED,
            {"answer": encode(uploaded).decode("utf-8"), "items": len(records)},
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
    journal.append(
        EventKind.CASH_COUNTED,
        {
            "expected": expected,
            "counted": cash_counted,
            "difference": cash_counted - expected,
            "note": kept_note,
            "server_expected": answer.expected_cash,
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
        server_totals=answer.server_totals,
        balanced=answer.balanced,
        closed=closed,
        differences=differences,
        expected_cash=expected,
        cash_counted=cash_counted,
        note=kept_note,
        unresolved=sum(1 for record in records if record.waiting),
    )


# ---- statistics and reconciliation ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TerminalStatistics:
    """终端统计: the server's figures (when reachable) beside the journal's own."""

    business_date: date
    batch_no: int
    local_totals: BatchTotals
    waiting: int
    float_available: int
    float_held: int
    server: StatisticsAnswer | None


def statistics(
    context: TerminalContext, *, page: int = 1, online: bool = True
) -> TerminalStatistics:
    """The day's figures; the server's page of detail when it answers, the journal's always.

    Raises:
        TerminalRefusalError: ``not_signed_in``.
        ServerRefusalError: the server refused.
    """
    session = context.require_session()
    records = context.journal.txns_of_batch(
        business_date=session.business_date, batch_no=session.batch_no
    )
    server: StatisticsAnswer | None = None
    if online:
        result = context.client.call(STATISTICS, StatisticsQuery(page=page))
        if isinstance(result, Answered):
            server = result.answer
        elif isinstance(result, Refused):
            raise ServerRefusalError(result.error)
    float_available, float_held = session.float_available, session.float_held
    if server is not None:
        float_available, float_held = server.float_available, server.float_held
    return TerminalStatistics(
        business_date=session.business_date,
        batch_no=session.batch_no,
        local_totals=totals_of(records),
        waiting=sum(1 for record in records if record.waiting),
        float_available=float_available,
        float_held=float_held,
        server=server,
    )


@dataclass(frozen=True, slots=True)
class DayComparison:
    """One business date: the journal's totals against the server's."""

    business_date: date
    terminal: BatchTotals
    server: BatchTotals
    server_closed: bool

    @property
    def agrees(self) -> bool:
        return self.terminal == self.server


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """对帐 over a date range: every date either side has payments on."""

    date_from: date
    date_to: date
    days: tuple[DayComparison, ...]

    @property
    def agrees(self) -> bool:
        return all(day.agrees for day in self.days)


def reconcile(context: TerminalContext, *, date_from: date, date_to: date) -> Reconciliation:
    """Compare the journal's totals per business date with the server's over a range.

    Raises:
        TerminalRefusalError: ``invalid_field`` — a range that runs backwards or over 31 days.
        NoAnswerError, ServerRefusalError: the server could not be asked.
    """
    context.require_identity()
    try:
        query = ReconcileQuery(date_from=date_from, date_to=date_to)
    except ValueError as exc:
        raise refusal(
            ErrorCode.INVALID_FIELD.value,
            field="to",
            message_zh="对帐日期范围有误（结束不能早于开始，最多31天）",
            message_en="the range must run forwards and cover at most 31 days",
        ) from exc
    result = context.client.call(RECONCILE, query)
    if not isinstance(result, Answered):
        _raise_for(result)
    server_days = {day.business_date: day for day in result.answer.days}
    by_day: dict[date, list[TxnRecord]] = defaultdict(list)
    for record in context.journal.txns_between(date_from=date_from, date_to=date_to):
        by_day[record.business_date].append(record)
    days = []
    for day in sorted(set(server_days) | set(by_day)):
        server_day = server_days.get(day)
        days.append(
            DayComparison(
                business_date=day,
                terminal=totals_of(by_day.get(day, [])),
                server=server_day.totals if server_day else BatchTotals(),
                server_closed=server_day.closed if server_day else False,
            )
        )
    return Reconciliation(date_from=date_from, date_to=date_to, days=tuple(days))
