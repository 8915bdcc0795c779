"""MIS进账: the MIS's daily posting summary (by station and channel) and detail for a date, as
the actor may see it — viewed, printed (PDF, Chinese set in Noto CJK) and exported (Excel).
The MIS out of reach is a calm message on the page, not an error page."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.console.mis_postings import (
    PRINT_MAX,
    MisPostingQuery,
    MisPostingView,
    mis_posting_report,
)
from gridpos.interfaces.console.documents import PRINT_CSS, pdf_response
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.agents import yuan
from gridpos.interfaces.console.spreadsheets import Column, ColumnKind, Sheet, xlsx_response
from gridpos.interfaces.console.web import Visit, console_page

DETAIL_KINDS = {
    "posting": N_("Posting"),
    "reversal": N_("Reversal"),
    "cancellation": N_("Next-day cancellation"),
}
PAGE = Page(
    key="mis_postings",
    path="/mis-postings",
    label=N_("MIS postings"),
    section=Section.FINANCE,
    permission=Permission.MIS_POSTINGS_VIEW,
    order=10,
)


def _query(visit: Visit) -> MisPostingQuery:
    return MisPostingQuery(
        business_date=visit.query("date"),
        station_code=visit.query("station"),
        page=visit.query_int("page"),
    )


async def _page(
    visit: Visit, view: MisPostingView | None, errors: dict[str, str], status: int
) -> Response:
    return visit.render(
        "mis_postings/page.html",
        status_code=status,
        view=view,
        problem=visit.message(view.problem) if view and view.problem else "",
        filters={"date": visit.query("date"), "station": visit.query("station")},
        errors=errors,
        detail_kinds=DETAIL_KINDS,
        yuan=yuan,
    )


async def _view(visit: Visit, *, every_line: bool = False) -> MisPostingView:
    return await run_in_threadpool(
        lambda: mis_posting_report(
            visit.services, visit.actor, _query(visit), every_line=every_line
        )
    )


@console_page(Permission.MIS_POSTINGS_VIEW)
async def report_page(visit: Visit) -> Response:
    """The posting report of a date."""
    try:
        view = await _view(visit)
    except InvalidFormError as refused:
        return await _page(visit, None, dict(visit.field_errors(refused.errors)), 422)
    return await _page(visit, view, {}, 200)


def _filename(view: MisPostingView, extension: str) -> str:
    station = f"-{view.station_code}" if view.station_code else ""
    return f"mis-postings-{view.business_date:%Y%m%d}{station}.{extension}"


@console_page(Permission.MIS_POSTINGS_VIEW)
async def report_pdf(visit: Visit) -> Response:
    """The report as a printable PDF (the page, with its message, when there is none)."""
    try:
        view = await _view(visit, every_line=True)
    except InvalidFormError as refused:
        return await _page(visit, None, dict(visit.field_errors(refused.errors)), 422)
    if view.problem is not None:
        return await _page(visit, view, {}, 503)
    context: dict[str, Any] = {
        "view": view,
        "detail": view.detail[:PRINT_MAX],
        "cut": max(0, len(view.detail) - PRINT_MAX),
        "actor": visit.actor,
        "detail_kinds": DETAIL_KINDS,
        "yuan": yuan,
        "print_css": PRINT_CSS,
        "html_lang": "zh-CN" if visit.locale == "zh_CN" else "en",
    }
    html = visit.runtime.renderer.render(visit.locale, "mis_postings/print.html", context)
    return await pdf_response(html, filename=_filename(view, "pdf"))


def _sheets(visit: Visit, view: MisPostingView) -> list[Sheet]:
    _ = visit.gettext
    title = f"{_('MIS postings')} {view.business_date.isoformat()} · {visit.actor.org_name}"
    summary = Sheet(
        name=_("Summary"),
        title=title,
        columns=(
            Column(_("Station code")),
            Column(_("Supply station")),
            Column(_("Channel")),
            Column(_("Postings"), ColumnKind.INTEGER),
            Column(_("Posted amount"), ColumnKind.FEN),
            Column(_("Undo count"), ColumnKind.INTEGER),
            Column(_("Undone amount"), ColumnKind.FEN),
            Column(_("Net amount"), ColumnKind.FEN),
            Column(_("Late penalty"), ColumnKind.FEN),
            Column(_("Principal"), ColumnKind.FEN),
            Column(_("Prepaid"), ColumnKind.FEN),
        ),
        rows=[
            (
                line.station_code,
                line.station_name_zh,
                line.channel,
                line.posting_count,
                line.posting_amount,
                line.undo_count,
                line.undo_amount,
                line.net_amount,
                line.penalty,
                line.principal,
                line.prepaid_net,
            )
            for line in view.summary
        ],
    )
    detail = Sheet(
        name=_("Detail"),
        title=title,
        columns=(
            Column(_("Line type")),
            Column(_("MIS serial")),
            Column(_("Transaction id")),
            Column(_("Customer number")),
            Column(_("Customer")),
            Column(_("Station code")),
            Column(_("Channel")),
            Column(_("Amount"), ColumnKind.FEN),
            Column(_("Late penalty"), ColumnKind.FEN),
            Column(_("Principal"), ColumnKind.FEN),
            Column(_("Prepaid"), ColumnKind.FEN),
            Column(_("Cash date"), ColumnKind.DATE),
            Column(_("Collection point")),
            Column(_("Terminal number")),
            Column(_("Operator")),
        ),
        rows=[
            (
                _(DETAIL_KINDS.get(line.kind, line.kind)),
                line.serial,
                line.payment_id,
                line.account_no,
                line.customer_name,
                line.station_code,
                line.channel,
                line.amount_fen,
                line.penalty,
                line.principal,
                line.prepaid_net,
                line.cash_date,
                line.collection_point_id,
                line.terminal_id,
                line.operator_id,
            )
            for line in view.detail
        ],
    )
    return [summary, detail]


@console_page(Permission.MIS_POSTINGS_VIEW)
async def report_xlsx(visit: Visit) -> Response:
    """The report as an Excel workbook: the summary and every detail line in scope."""
    try:
        view = await _view(visit, every_line=True)
    except InvalidFormError as refused:
        return await _page(visit, None, dict(visit.field_errors(refused.errors)), 422)
    if view.problem is not None:
        return await _page(visit, view, {}, 503)
    return await xlsx_response(_sheets(visit, view), filename=_filename(view, "xlsx"))


def module() -> ConsoleModule:
    """The MIS postings' routes and menu entry."""
    return ConsoleModule(
        name="mis_postings",
        routes=[
            Route("/mis-postings", report_page, methods=["GET"]),
            Route("/mis-postings/report.pdf", report_pdf, methods=["GET"]),
            Route("/mis-postings/report.xlsx", report_xlsx, methods=["GET"]),
        ],
        pages=[PAGE],
    )
