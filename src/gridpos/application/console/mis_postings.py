"""MIS进账: the MIS's daily posting report (日进账汇总 and 明细) of a business date, read from the
MIS through its client (``GET /v1/reports/postings?business_date=``), cut to what the actor may
see, for viewing, printing and export.

- A company (county or above) sees the stations of its subtree; a station sees its own — the
  MIS names each line's supply station by the code our station has.
- An agent operator sees the lines of their own collections: a line's ``payment_id`` is our
  payment's transaction id (see :mod:`~gridpos.application.mis_messages`), and the payment
  must be their agent's. Their summary is summed from those lines the way the MIS sums its own.

When the MIS cannot be reached (or answers what it should not, or none is configured), the view
carries the problem as a message and no lines: the page says so calmly.

A busy day's report is large (20,000 lines are some 8 MB of JSON, read in about 0.2 s), so a
report read from the MIS is reused for :data:`REPORT_FRESH` — paging through its detail, printing
and exporting it read the MIS once, and print what was on the screen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, select

from gridpos.adapters.db.console.payment_search import PaymentSearch
from gridpos.adapters.db.tables import organisations
from gridpos.adapters.mis import MisClient, MisError
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import ConsoleError, field_error
from gridpos.application.console.payments import county_today
from gridpos.domain.errors import DomainError
from gridpos.protocol.mis import PostingReport, ReportDetailLine, ReportSummaryLine

MIS_TIMEOUT_S: Final = 5.0
DETAIL_PAGE: Final = 50
PRINT_MAX: Final = 2_000  # detail lines in the PDF (the Excel export has them all)
REPORT_FRESH: Final = timedelta(seconds=30)
REPORTS_KEPT: Final = 8


class RecentReports:
    """The MIS's reports read in the last :data:`REPORT_FRESH`, by MIS and business date (at
    most :data:`REPORTS_KEPT`, the oldest read dropped first). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, date], tuple[datetime, PostingReport]] = OrderedDict()

    def read(self, client: MisClient, business_date: date, *, now: datetime) -> PostingReport:
        """The report of ``business_date``: the one read within :data:`REPORT_FRESH`, else a
        fresh one from the MIS.

        Raises :class:`~gridpos.adapters.mis.MisError` when the MIS must be asked and cannot
        answer.
        """
        key = (client.base_url, business_date)
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and timedelta(0) <= now - kept[0] < REPORT_FRESH:
            return kept[1]
        report = client.posting_report(business_date, timeout_s=MIS_TIMEOUT_S)
        with self._lock:
            self._kept[key] = (now, report)
            self._kept.move_to_end(key)
            while len(self._kept) > REPORTS_KEPT:
                self._kept.popitem(last=False)
        return report


RECENT_REPORTS = RecentReports()


@dataclass(frozen=True, slots=True)
class MisPostingQuery:
    """The report asked for: a business date (empty: today), a station within the actor's
    scope (empty: all of it), the page of the detail."""

    business_date: str = ""
    station_code: str = ""
    page: int = 1


@dataclass(frozen=True, slots=True)
class PostingTotals:
    """The sums of the summary lines shown (fen)."""

    posting_count: int = 0
    posting_amount: int = 0
    undo_count: int = 0
    undo_amount: int = 0
    net_amount: int = 0
    penalty: int = 0
    principal: int = 0
    prepaid_net: int = 0


@dataclass(frozen=True, slots=True)
class MisPostingView:
    """The report as the actor may see it; ``problem`` says why there is none (the MIS out of
    reach), else None. ``detail`` is page ``page`` of the ``detail_count`` lines in scope (all
    of them when asked for every line)."""

    business_date: date
    station_code: str
    summary: tuple[ReportSummaryLine, ...]
    totals: PostingTotals
    detail: tuple[ReportDetailLine, ...]
    detail_count: int
    page: int
    per_page: int
    problem: DomainError | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.detail_count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def summarise(detail: Sequence[ReportDetailLine], names: dict[str, str]) -> list[ReportSummaryLine]:
    """The summary lines of ``detail`` by station and channel, summed the way the MIS sums its
    own (postings positive, undos negative, the net their sum)."""
    groups: dict[tuple[str, str], list[ReportDetailLine]] = {}
    for line in detail:
        groups.setdefault((line.station_code, line.channel), []).append(line)
    summary = []
    for (station_code, channel), lines in sorted(groups.items()):
        postings = [line for line in lines if line.kind == "posting"]
        undos = [line for line in lines if line.kind != "posting"]
        summary.append(
            ReportSummaryLine(
                station_code=station_code,
                station_name_zh=names.get(station_code, station_code),
                channel=channel,
                posting_count=len(postings),
                posting_amount=sum(line.amount_fen for line in postings),
                undo_count=len(undos),
                undo_amount=sum(line.amount_fen for line in undos),
                net_amount=sum(line.amount_fen for line in lines),
                penalty=sum(line.penalty for line in lines),
                principal=sum(line.principal for line in lines),
                prepaid_net=sum(line.prepaid_net for line in lines),
            )
        )
    return summary


def _totals(summary: Sequence[ReportSummaryLine]) -> PostingTotals:
    return PostingTotals(
        posting_count=sum(line.posting_count for line in summary),
        posting_amount=sum(line.posting_amount for line in summary),
        undo_count=sum(line.undo_count for line in summary),
        undo_amount=sum(line.undo_amount for line in summary),
        net_amount=sum(line.net_amount for line in summary),
        penalty=sum(line.penalty for line in summary),
        principal=sum(line.principal for line in summary),
        prepaid_net=sum(line.prepaid_net for line in summary),
    )


def _read_date(check: FieldChecks, typed: str, today: date) -> date:
    text = (typed or "").strip()
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        check.add(
            field_error(
                "date_invalid",
                field="business_date",
                message_zh="日期格式应为 年-月-日，如 2024-05-01",
                message_en="a date is written year-month-day, like 2024-05-01",
            )
        )
        return today
    if day > today:
        check.add(
            field_error(
                "date_in_future",
                field="business_date",
                message_zh="营销系统还没有今天以后的进账",
                message_en="the MIS has no postings after today",
            )
        )
    return day


def _stations(connection: Connection, actor: Actor) -> dict[str, str]:
    """The supply stations whose lines the actor may see, code → name: those of their subtree;
    for an agent operator, also the station their collection point lies under (their own lines
    are then picked out by payment)."""
    within = organisations.c.path.startswith(actor.org_path, autoescape=True)
    if actor.own_agent_id is not None:
        above = [int(part) for part in actor.org_path.strip("/").split("/") if part]
        within = within | organisations.c.id.in_(above)
    return {
        row.code: row.name
        for row in connection.execute(
            select(organisations.c.code, organisations.c.name).where(
                organisations.c.level == "station", within
            )
        )
    }


def _not_configured() -> ConsoleError:
    return ConsoleError(
        code="mis_not_configured",
        message_zh="未配置营销系统（GRIDPOS_MIS_URL），无法读取进账报表",
        message_en="no MIS is configured (GRIDPOS_MIS_URL): the posting report cannot be read",
    )


def mis_posting_report(
    services: ConsoleServices, actor: Actor, query: MisPostingQuery, *, every_line: bool = False
) -> MisPostingView:
    """The MIS's posting report of ``query.business_date`` as the actor may see it: the summary
    by station and channel, its totals, and a page of the detail (every line in scope when
    ``every_line``).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``mis_postings.view``; :class:`~gridpos.application.console.errors.InvalidFormError` for a
    date that is not ``YYYY-MM-DD`` or lies after today (field ``business_date``) and a station
    outside the actor's scope (field ``station``). The MIS out of reach is not raised: the view
    carries it as ``problem``.
    """
    require(actor, Permission.MIS_POSTINGS_VIEW)
    check = FieldChecks()
    today = county_today(services)
    business_date = _read_date(check, query.business_date, today)
    with services.reading() as uow:
        stations = _stations(uow.connection, actor)
    station_code = (query.station_code or "").strip()[:32]
    if station_code and station_code not in stations:
        check.add(
            field_error(
                "station_unknown",
                field="station",
                message_zh=f"您的管辖范围内没有编码为 {station_code} 的供电所",
                message_en=f"there is no supply station {station_code} within your scope",
            )
        )
    check.done()
    page = max(1, min(query.page, 10_000))
    empty = MisPostingView(
        business_date=business_date,
        station_code=station_code,
        summary=(),
        totals=PostingTotals(),
        detail=(),
        detail_count=0,
        page=1,
        per_page=DETAIL_PAGE,
    )
    if services.mis is None:
        return _with_problem(empty, _not_configured())
    try:
        report = RECENT_REPORTS.read(services.mis, business_date, now=services.clock.now())
    except MisError as problem:
        return _with_problem(empty, problem)
    wanted = {station_code} if station_code else set(stations)
    detail = [line for line in report.detail if line.station_code in wanted]
    own = actor.own_agent_id
    if own is not None:
        detail = _own_lines(services, own, detail, business_date)
        summary = summarise(
            detail, {line.station_code: line.station_name_zh for line in report.summary}
        )
    else:
        summary = [line for line in report.summary if line.station_code in wanted]
    shown = detail if every_line else detail[(page - 1) * DETAIL_PAGE : page * DETAIL_PAGE]
    return MisPostingView(
        business_date=business_date,
        station_code=station_code,
        summary=tuple(summary),
        totals=_totals(summary),
        detail=tuple(shown),
        detail_count=len(detail),
        page=page,
        per_page=DETAIL_PAGE,
    )


def _with_problem(view: MisPostingView, problem: DomainError) -> MisPostingView:
    return MisPostingView(
        business_date=view.business_date,
        station_code=view.station_code,
        summary=(),
        totals=PostingTotals(),
        detail=(),
        detail_count=0,
        page=1,
        per_page=view.per_page,
        problem=problem,
    )


def _own_lines(
    services: ConsoleServices,
    agent_id: int,
    detail: list[ReportDetailLine],
    business_date: date,
) -> list[ReportDetailLine]:
    """The lines of ``detail`` that are the agent's own payments (a posting's cash date is on or
    before our payment's business date, which is on or before the report's)."""
    if not detail:
        return []
    earliest = min(line.cash_date for line in detail)
    with services.reading() as uow:
        own = PaymentSearch(uow.connection).txn_ids_of_agent(
            agent_id,
            [line.payment_id for line in detail],
            date_from=earliest,
            date_to=business_date,
        )
    return [line for line in detail if line.payment_id in own]
