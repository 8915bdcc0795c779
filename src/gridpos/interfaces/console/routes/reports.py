"""统计报表: daily and monthly collections by station, agent and terminal (count, amount, late
penalty, principal, prepaid, undone) — on the page, as a printable PDF (Chinese set in Noto
CJK, text extractable) and as an Excel workbook."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.console.reports import (
    CollectionReport,
    Grouping,
    ReportKind,
    ReportQuery,
    collection_report,
)
from gridpos.interfaces.console.documents import PRINT_CSS, pdf_response
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.agents import yuan
from gridpos.interfaces.console.spreadsheets import Column, ColumnKind, Sheet, xlsx_response
from gridpos.interfaces.console.web import Visit, console_page

KIND_LABELS = {
    ReportKind.DAILY.value: N_("Daily"),
    ReportKind.MONTHLY.value: N_("Monthly"),
}
GROUP_LABELS = {
    Grouping.STATION.value: N_("By supply station"),
    Grouping.AGENT.value: N_("By agent"),
    Grouping.TERMINAL.value: N_("By terminal"),
}
CODE_HEADINGS = {
    Grouping.STATION.value: N_("Station code"),
    Grouping.AGENT.value: N_("Agent code"),
    Grouping.TERMINAL.value: N_("Terminal number"),
}
TITLES = {
    ReportKind.DAILY.value: N_("Daily collections"),
    ReportKind.MONTHLY.value: N_("Monthly collections"),
}
FILTERS = ("kind", "day", "month", "group", "org")
PAGE = Page(
    key="reports",
    path="/reports",
    label=N_("Reports"),
    section=Section.FINANCE,
    permission=Permission.REPORTS_VIEW,
    order=20,
)


def _query(visit: Visit) -> ReportQuery:
    return ReportQuery(
        kind=visit.query("kind", ReportKind.DAILY.value),
        day=visit.query("day"),
        month=visit.query("month"),
        group=visit.query("group", Grouping.STATION.value),
        org_code=visit.query("org"),
    )


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "group_labels": GROUP_LABELS,
        "code_headings": CODE_HEADINGS,
        "titles": TITLES,
        "yuan": yuan,
    }


async def _page(
    visit: Visit, report: CollectionReport | None, errors: dict[str, str], status: int
) -> Response:
    return visit.render(
        "reports/page.html",
        status_code=status,
        report=report,
        filters={name: visit.query(name) for name in FILTERS},
        errors=errors,
        **_labels(),
    )


async def _report(visit: Visit) -> CollectionReport:
    return await run_in_threadpool(collection_report, visit.services, visit.actor, _query(visit))


@console_page(Permission.REPORTS_VIEW)
async def report_page(visit: Visit) -> Response:
    """The report asked for (today's by station when nothing is)."""
    try:
        report = await _report(visit)
    except InvalidFormError as refused:
        return await _page(visit, None, dict(visit.field_errors(refused.errors)), 422)
    return await _page(visit, report, {}, 200)


def _filename(report: CollectionReport, extension: str) -> str:
    when = report.period_label.replace("-", "")
    return f"collections-{report.kind.value}-{report.group.value}-{when}.{extension}"


@console_page(Permission.REPORTS_VIEW)
async def report_pdf(visit: Visit) -> Response:
    """The report as a printable PDF."""
    try:
        report = await _report(visit)
    except InvalidFormError as refused:
        return await _page(visit, None, dict(visit.field_errors(refused.errors)), 422)
    context: dict[str, Any] = {
        "report": report,
        "print_css": PRINT_CSS,
        "html_lang": "zh-CN" if visit.locale == "zh_CN" else "en",
        "printed_at": visit.services.clock.now(),
        "actor": visit.actor,
        **_labels(),
    }
    html = visit.runtime.renderer.render(visit.locale, "reports/print.html", context)
    return await pdf_response(html, filename=_filename(report, "pdf"))


def report_sheet(report: CollectionReport, gettext: Any) -> Sheet:
    """The report as one worksheet: a line per station, agent or terminal, and the total."""
    _ = gettext
    columns = (
        Column(_(CODE_HEADINGS[report.group.value])),
        Column(_("Name")),
        Column(_("Place")),
        Column(_("Payments"), ColumnKind.INTEGER),
        Column(_("Amount"), ColumnKind.FEN),
        Column(_("Late penalty"), ColumnKind.FEN),
        Column(_("Principal"), ColumnKind.FEN),
        Column(_("Prepaid"), ColumnKind.FEN),
        Column(_("Undone"), ColumnKind.INTEGER),
        Column(_("Undone amount"), ColumnKind.FEN),
    )
    rows: list[tuple[object, ...]] = [
        (
            line.code,
            line.name,
            line.place,
            line.figures.count,
            line.figures.amount,
            line.figures.penalty,
            line.figures.principal,
            line.figures.prepaid,
            line.figures.undone_count,
            line.figures.undone_amount,
        )
        for line in report.lines
    ]
    total = report.total
    rows.append(
        (
            _("Total"),
            "",
            "",
            total.count,
            total.amount,
            total.penalty,
            total.principal,
            total.prepaid,
            total.undone_count,
            total.undone_amount,
        )
    )
    title = (
        f"{_(TITLES[report.kind.value])} {report.period_label} · {report.scope_name}"
        f" · {_(GROUP_LABELS[report.group.value])}"
    )
    return Sheet(name=_(TITLES[report.kind.value]), columns=columns, rows=rows, title=title)


@console_page(Permission.REPORTS_VIEW)
async def report_xlsx(visit: Visit) -> Response:
    """The report as an Excel workbook."""
    try:
        report = await _report(visit)
    except InvalidFormError as refused:
        return await _page(visit, None, dict(visit.field_errors(refused.errors)), 422)
    sheet = report_sheet(report, visit.gettext)
    return await xlsx_response([sheet], filename=_filename(report, "xlsx"))


def module() -> ConsoleModule:
    """The reports' routes and menu entry."""
    return ConsoleModule(
        name="reports",
        routes=[
            Route("/reports", report_page, methods=["GET"]),
            Route("/reports/report.pdf", report_pdf, methods=["GET"]),
            Route("/reports/report.xlsx", report_xlsx, methods=["GET"]),
        ],
        pages=[PAGE],
    )
