"""实时监控: every collection point of the actor's subtree with its terminals' contact, today's
collections, its floats and what waits (journal rows not yet uploaded, open batch differences);
the scope's totals, the MIS backlog, the alerts; and the series of the charts.

Definitions the page keeps:

- a terminal is *online* when its last accepted request (heartbeat or any other) is under
  :data:`ONLINE_WITHIN` old; a point is online when one of its active terminals is;
- *silent too long*: signed in for a business day but not heard from for :data:`SILENT_AFTER`;
- *payments waiting to upload*: the journal rows a terminal reported unanswered in its last
  heartbeat (``queue_depth``);
- *unbalanced batch*: a batch whose differences (found at 扎帐 / 批上送) are not all resolved; the
  *unknown outcomes pending* are its open one-sided differences (单边帐, either side), which the
  company must still settle;
- *reconciliation differences open*: the differences reconciliation found in the subtree that
  wait for a person or for a second operator's decision (shown to ``reconciliation.view``);
- the *MIS backlog*: outbox rows not yet delivered; the MIS is taken as *down* when the oldest of
  them has failed at least once, and the backlog as *old* past :data:`MIS_BACKLOG_OLD`.

Who sees it: ``monitoring.view`` (admin, finance, station head and staff, auditor), each their own
subtree; the MIS backlog is the whole system's (the outbox names no organisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Final

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.monitoring_board import (
    Backlog,
    Collected,
    FloatHeld,
    LowFloat,
    MonitoringBoard,
    OpenDifferences,
    PointRow,
    PointSort,
    SilentTerminal,
    TerminalSeen,
    UnbalancedBatch,
)
from gridpos.adapters.db.console.monitoring_charts import MonitoringCharts, SeriesPoint
from gridpos.adapters.db.reconciliation.reading import ReconciliationReading
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import InvalidFormError, field_error
from gridpos.application.console.paging import Paged, offset_of

COUNTY_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
ONLINE_WITHIN: Final = timedelta(minutes=5)
SILENT_AFTER: Final = timedelta(minutes=30)
MIS_BACKLOG_OLD: Final = timedelta(minutes=15)
PAGE_SIZE: Final = 50
COUNT_CAP: Final = 10_000
BACKLOG_CAP: Final = 100_000
ALERTS_SHOWN: Final = 20
POINT_STATUSES: Final = ("online", "offline")
CHARTS: Final = ("hourly", "daily", "stations")


@dataclass(frozen=True, slots=True)
class MonitoringQuery:
    """Which collection points to show: a search (code prefix or part of the name), a station
    or other node of the subtree by code, online / offline only, the order (``code``,
    ``name``, ``quiet``: longest without contact first, ``amount``: most collected today
    first) and the page."""

    search: str = ""
    station: str = ""
    status: str = ""
    sort: str = ""
    page: int = 1


@dataclass(frozen=True, slots=True)
class PointStatus:
    """One collection point as the page shows it."""

    id: int
    code: str
    name: str
    station_name: str | None
    terminals: int
    online: int
    last_seen_at: datetime | None
    signal: int | None
    waiting: int
    today: Collected
    float_available: int | None
    float_held: int | None
    low_float_alert: int
    unbalanced_batches: int
    one_sided_open: int

    @property
    def state(self) -> str:
        """``online``, ``offline`` or ``no_terminal``."""
        if not self.terminals:
            return "no_terminal"
        return "online" if self.online else "offline"

    @property
    def float_low(self) -> bool:
        return (
            self.float_available is not None
            and self.low_float_alert > 0
            and self.float_available < self.low_float_alert
        )


@dataclass(frozen=True, slots=True)
class MonitoringSummary:
    """The scope's totals today and the MIS backlog."""

    business_date: date
    terminals: int
    online: int
    waiting: int
    today: Collected
    float_available: int
    float_held: int
    backlog: Backlog
    backlog_age: timedelta | None


@dataclass(frozen=True, slots=True)
class MonitoringAlerts:
    """What needs someone's attention (each list at most :data:`ALERTS_SHOWN` long)."""

    low_floats: tuple[LowFloat, ...]
    silent: tuple[SilentTerminal, ...]
    unbalanced: tuple[UnbalancedBatch, ...]
    one_sided_open: int
    mis_down: bool
    mis_backlog_old: bool
    reconciliation_open: int = 0

    @property
    def count(self) -> int:
        return (
            len(self.low_floats)
            + len(self.silent)
            + len(self.unbalanced)
            + int(self.mis_down)
            + int(self.mis_backlog_old)
            + int(self.reconciliation_open > 0)
        )


@dataclass(frozen=True, slots=True)
class MonitoringView:
    """Everything the page shows at ``now``."""

    now: datetime
    points: Paged[PointStatus]
    summary: MonitoringSummary
    alerts: MonitoringAlerts


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One chart's points; ``title_date`` the day or month it covers."""

    chart: str
    title_date: str
    points: tuple[SeriesPoint, ...]


def county_today(now: datetime) -> date:
    """The business date in the county at ``now``."""
    return now.astimezone(COUNTY_TIME).date()


def _scope_path(services: ConsoleServices, actor: Actor, station: str) -> str:
    code = station.strip()
    if not code:
        return actor.org_path
    with services.reading() as uow:
        node = OrganisationAdmin(uow.connection).by_code(code)
    if node is None or not actor.covers(node.path):
        raise InvalidFormError(
            [
                field_error(
                    "organisation_unknown",
                    field="station",
                    message_zh=f"您的管辖范围内没有编码为 {code} 的机构",
                    message_en=f"there is no organisation {code} in your scope",
                )
            ]
        )
    return node.path


@dataclass(frozen=True, slots=True)
class _PointFigures:
    """The figures of a page's points, by point id."""

    collected: dict[int, Collected]
    floats: dict[int, FloatHeld]
    differences: dict[int, OpenDifferences]


def _point_status(
    point: PointRow,
    seen: Sequence[TerminalSeen],
    *,
    online_since: datetime,
    figures: _PointFigures,
) -> PointStatus:
    newest = max(
        (terminal for terminal in seen if terminal.last_seen_at is not None),
        key=lambda terminal: terminal.last_seen_at or online_since,
        default=None,
    )
    floats = figures.floats.get(point.id)
    differences = figures.differences.get(point.id, OpenDifferences(0, 0))
    return PointStatus(
        id=point.id,
        code=point.code,
        name=point.name,
        station_name=point.station_name,
        terminals=len(seen),
        online=sum(
            1 for t in seen if t.last_seen_at is not None and t.last_seen_at >= online_since
        ),
        last_seen_at=newest.last_seen_at if newest else None,
        signal=newest.signal if newest else None,
        waiting=sum(t.queue_depth or 0 for t in seen),
        today=figures.collected.get(point.id, Collected(0, 0)),
        float_available=floats.available if floats else None,
        float_held=floats.held if floats else None,
        low_float_alert=floats.low_alert if floats else 0,
        unbalanced_batches=differences.batches,
        one_sided_open=differences.one_sided,
    )


def monitoring_view(
    services: ConsoleServices, actor: Actor, query: MonitoringQuery
) -> MonitoringView:
    """The page of collection points asked for, the scope's totals and the alerts.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``monitoring.view``, and :class:`InvalidFormError` (field ``station``) for a node unknown
    or outside the actor's subtree.
    """
    require(actor, Permission.MONITORING_VIEW)
    now = services.clock.now()
    today = county_today(now)
    online_since = now - ONLINE_WITHIN
    path = _scope_path(services, actor, query.station)
    search = query.search.strip()[:50] or None
    status = query.status if query.status in POINT_STATUSES else ""
    filters = {
        "online_since": online_since if status == "online" else None,
        "offline_since": online_since if status == "offline" else None,
    }
    page = min(max(query.page, 1), COUNT_CAP // PAGE_SIZE)
    with services.reading() as uow:
        board = MonitoringBoard(uow.connection)
        total = board.count_points(path=path, search=search, cap=COUNT_CAP, **filters)
        points = board.points(
            path=path,
            search=search,
            offset=offset_of(page, PAGE_SIZE),
            limit=PAGE_SIZE,
            sort=PointSort(query.sort) if query.sort in set(PointSort) else PointSort.CODE,
            on=today,
            **filters,
        )
        ids = [point.id for point in points]
        seen = board.terminals_of(ids)
        figures = _PointFigures(
            collected=board.collected_by_point(ids, on=today),
            floats=board.floats_by_point(ids),
            differences=board.differences_by_point(ids),
        )
        scope = actor.org_path
        terminal_count, online, waiting = board.terminal_figures(
            path=scope, online_since=online_since
        )
        collected = board.collected_in(path=scope, on=today)
        available, held = board.float_figures(path=scope)
        backlog = board.backlog(cap=BACKLOG_CAP)
        low = board.low_floats(path=scope, limit=ALERTS_SHOWN)
        silent = board.silent_terminals(
            path=scope, silent_since=now - SILENT_AFTER, limit=ALERTS_SHOWN
        )
        unbalanced, one_sided = board.unbalanced_batches(path=scope, limit=ALERTS_SHOWN)
        reconciliation_open = (
            ReconciliationReading(uow.connection).open_count(within=scope)
            if actor.can(Permission.RECONCILIATION_VIEW)
            else 0
        )
    statuses = [
        _point_status(
            point,
            [t for t in seen if t.org_id == point.id],
            online_since=online_since,
            figures=figures,
        )
        for point in points
    ]
    age = now - backlog.oldest_at if backlog.oldest_at is not None else None
    return MonitoringView(
        now=now,
        points=Paged(items=statuses, total=min(total, COUNT_CAP), page=page, per_page=PAGE_SIZE),
        summary=MonitoringSummary(
            business_date=today,
            terminals=terminal_count,
            online=online,
            waiting=waiting,
            today=collected,
            float_available=available,
            float_held=held,
            backlog=backlog,
            backlog_age=age,
        ),
        alerts=MonitoringAlerts(
            low_floats=tuple(low),
            silent=tuple(silent),
            unbalanced=tuple(unbalanced),
            one_sided_open=one_sided,
            mis_down=backlog.oldest_at is not None
            and backlog.oldest_attempts > 0
            and backlog.oldest_error is not None,
            mis_backlog_old=age is not None and age > MIS_BACKLOG_OLD,
            reconciliation_open=reconciliation_open,
        ),
    )


def change_marks(services: ConsoleServices, actor: Actor) -> tuple[int, ...]:
    """Figures that move whenever a payment, undo, batch or difference is written, and the
    count of reconciliation differences waiting for a person (cheap to read every second); the
    live page redraws when they change.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``monitoring.view``.
    """
    require(actor, Permission.MONITORING_VIEW)
    today = county_today(services.clock.now())
    with services.reading() as uow:
        marks = MonitoringBoard(uow.connection).change_marks(on=today)
        waiting = ReconciliationReading(uow.connection).open_count(within="/")
    return (*marks, waiting)


def monitoring_chart(services: ConsoleServices, actor: Actor, chart: str) -> ChartSeries:
    """The series of one chart over the actor's subtree: ``hourly`` (today by hour of the cash
    time, every hour), ``daily`` (this month by business date, every day to today),
    ``stations`` (today by supply station, those that collected).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``monitoring.view``, :class:`InvalidFormError` (field ``chart``) for another chart.
    """
    require(actor, Permission.MONITORING_VIEW)
    if chart not in CHARTS:
        raise InvalidFormError(
            [
                field_error(
                    "chart_unknown",
                    field="chart",
                    message_zh="没有这张图表",
                    message_en="there is no such chart",
                )
            ]
        )
    today = county_today(services.clock.now())
    first = today.replace(day=1)
    with services.reading() as uow:
        charts = MonitoringCharts(uow.connection)
        if chart == "hourly":
            points = _every(
                [f"{hour:02d}" for hour in range(24)],
                charts.by_hour(path=actor.org_path, on=today),
            )
            title = today.isoformat()
        elif chart == "daily":
            days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
            points = _every(
                [day.isoformat() for day in days],
                charts.by_day(path=actor.org_path, first=first, last=today),
            )
            title = today.strftime("%Y-%m")
        else:
            points = charts.by_station(path=actor.org_path, on=today)
            title = today.isoformat()
    return ChartSeries(chart=chart, title_date=title, points=tuple(points))


def _every(labels: Sequence[str], found: Sequence[SeriesPoint]) -> list[SeriesPoint]:
    """A point for each label: the one found, or zero."""
    by_label = {point.label: point for point in found}
    return [by_label.get(label, SeriesPoint(label, 0, 0)) for label in labels]
