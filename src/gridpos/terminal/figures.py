"""终端统计 (statistics) and 对帐 (date-range reconciliation): the server's figures beside the
journal's own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.batches import (
    BatchTotals,
    ReconcileQuery,
    StatisticsAnswer,
    StatisticsQuery,
)
from gridpos.protocol.terminal.routes import RECONCILE, STATISTICS
from gridpos.terminal.batch import tombstoned, totals_of
from gridpos.terminal.client import Answered, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import NoAnswerError, ServerRefusalError, refusal
from gridpos.terminal.journal import TxnRecord
from gridpos.terminal.session import with_float


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
        context.update_session(with_float(session, available=float_available, held=float_held))
    return TerminalStatistics(
        business_date=session.business_date,
        batch_no=session.batch_no,
        local_totals=totals_of(records, tombstoned=tombstoned(context.journal, records)),
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
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    if not isinstance(result, Answered):
        raise NoAnswerError(result.reason.value, body=result.error)
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
                terminal=totals_of(
                    by_day.get(day, []),
                    tombstoned=tombstoned(context.journal, by_day.get(day, [])),
                ),
                server=server_day.totals if server_day else BatchTotals(),
                server_closed=server_day.closed if server_day else False,
            )
        )
    return Reconciliation(date_from=date_from, date_to=date_to, days=tuple(days))
