"""实时监控: the collection points of the actor's subtree, live over SSE, with alerts and charts.

The page subscribes to ``/monitoring/stream`` (htmx SSE extension). The stream reads a few cheap
change marks every :data:`POLL_S` (today's payments, the newest undo and batch, the open
differences) — from the database, so it sees what any server process wrote — and when they move,
or every :data:`REFRESH_S` in any case (contact ages, the MIS backlog), it redraws the page's
parts and pushes only those that changed: the figures (``figures``), the alerts (``alerts``) and
each point's row (``point-<id>``). A payment shows within about a second of its commit. The
session is checked again every :data:`SESSION_RECHECK_S`; when it has ended the stream says
``signed-out`` and the page reloads (to the sign-in page).

The charts are ECharts fed by ``/monitoring/charts/<hourly|daily|stations>.json``, redrawn after
the figures change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, Permission, current_session
from gridpos.application.console.monitoring import (
    CHARTS,
    MonitoringQuery,
    MonitoringView,
    change_marks,
    monitoring_chart,
    monitoring_view,
)
from gridpos.domain.money import format_yuan
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.live import ServerEvent, sse_response
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.web import SESSION_COOKIE, Visit, console_page

POLL_S = 1.0
REFRESH_S = 10.0
SESSION_RECHECK_S = 30.0
PAGE = Page(
    key="monitoring",
    path="/monitoring",
    label=N_("Live monitoring"),
    section=Section.MONITORING,
    permission=Permission.MONITORING_VIEW,
    order=10,
)
STATE_LABELS = {
    "online": N_("Online"),
    "offline": N_("Offline"),
    "no_terminal": N_("No terminal"),
}
CHART_TITLES = {
    "hourly": N_("Today by hour"),
    "daily": N_("This month by day"),
    "stations": N_("Today by station"),
}
FILTERS = ("q", "station", "status", "sort")
SORT_LABELS = {
    "code": N_("Code"),
    "name": N_("Name"),
    "quiet": N_("Longest without contact first"),
    "amount": N_("Most collected today first"),
}


def _query(visit: Visit) -> MonitoringQuery:
    return MonitoringQuery(
        search=visit.query("q"),
        station=visit.query("station"),
        status=visit.query("status"),
        sort=visit.query("sort"),
        page=visit.query_int("page"),
    )


def _parts_context(visit: Visit, view: MonitoringView) -> dict[str, Any]:
    return {
        "visit": visit,
        "locale": visit.locale,
        "url": visit.url,
        "view": view,
        "yuan": format_yuan,
        "state_labels": STATE_LABELS,
    }


def _parts(visit: Visit, view: MonitoringView) -> dict[str, str]:
    """The page's live parts as the stream pushes them: event name → HTML."""
    renderer, locale = visit.runtime.renderer, visit.locale
    context = _parts_context(visit, view)
    parts = {
        "figures": renderer.render(locale, "monitoring/figures.html", context),
        "alerts": renderer.render(locale, "monitoring/alerts.html", context),
    }
    for point in view.points.items:
        parts[f"point-{point.id}"] = renderer.render(
            locale, "monitoring/row.html", {**context, "point": point}
        )
    return parts


@console_page(Permission.MONITORING_VIEW)
async def monitoring_page(visit: Visit) -> Response:
    """The live page."""
    filters = {name: visit.query(name) for name in FILTERS}
    errors: dict[str, str] = {}
    try:
        view = await run_in_threadpool(monitoring_view, visit.services, visit.actor, _query(visit))
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
        view = await run_in_threadpool(
            monitoring_view, visit.services, visit.actor, MonitoringQuery(search=filters["q"])
        )
    return visit.render(
        "monitoring/page.html",
        status_code=422 if errors else 200,
        filters=filters,
        errors=errors,
        charts=CHARTS,
        chart_titles=CHART_TITLES,
        sort_labels=SORT_LABELS,
        stream_query=visit.query_with(),
        **_parts_context(visit, view),
    )


@console_page(Permission.MONITORING_VIEW)
async def monitoring_stream(visit: Visit) -> Response:
    """The page's live parts as Server-Sent Events."""
    query = _query(visit)
    await run_in_threadpool(monitoring_view, visit.services, visit.actor, query)  # refusals now
    token = visit.request.cookies.get(SESSION_COOKIE, "")

    async def events() -> AsyncIterator[ServerEvent]:
        loop = asyncio.get_running_loop()
        shown: dict[str, str] = {}
        marks: tuple[int, ...] | None = None
        drawn_at = session_checked_at = loop.time()
        while True:
            if loop.time() - session_checked_at >= SESSION_RECHECK_S:
                session = await run_in_threadpool(
                    current_session, visit.services, session_token=token
                )
                if session is None:
                    yield ServerEvent("signed-out", "")
                    return
                session_checked_at = loop.time()
            now_marks = await run_in_threadpool(change_marks, visit.services, visit.actor)
            if now_marks != marks or loop.time() - drawn_at >= REFRESH_S:
                marks, drawn_at = now_marks, loop.time()
                view = await run_in_threadpool(monitoring_view, visit.services, visit.actor, query)
                for name, html in _parts(visit, view).items():
                    if shown.get(name) != html:
                        shown[name] = html
                        yield ServerEvent(name, html)
            await asyncio.sleep(POLL_S)

    return sse_response(visit.request, events())


@console_page(Permission.MONITORING_VIEW)
async def chart_data(visit: Visit) -> Response:
    """One chart's series as JSON (amounts as yuan text: no float leaves the server)."""
    chart = visit.request.path_params["chart"]
    try:
        series = await run_in_threadpool(monitoring_chart, visit.services, visit.actor, chart)
    except InvalidFormError as refused:
        return JSONResponse({"error": visit.message(refused.errors[0])}, status_code=404)
    return JSONResponse(
        {
            "chart": series.chart,
            "title": f"{visit.gettext(CHART_TITLES[series.chart])} · {series.title_date}",
            "labels": [point.label for point in series.points],
            "counts": [point.count for point in series.points],
            "amounts": [format_yuan(point.amount) for point in series.points],
            "count_name": visit.gettext("Payments"),
            "amount_name": visit.gettext("Amount (yuan)"),
        },
        headers={"Cache-Control": "no-store"},
    )


def module() -> ConsoleModule:
    """The monitoring page's routes and menu entry."""
    return ConsoleModule(
        name="monitoring",
        routes=[
            Route("/monitoring", monitoring_page, methods=["GET"]),
            Route("/monitoring/stream", monitoring_stream, methods=["GET"]),
            Route("/monitoring/charts/{chart}.json", chart_data, methods=["GET"]),
        ],
        pages=[PAGE],
    )
