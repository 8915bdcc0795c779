"""The agent's float statement as documents: a PDF (WeasyPrint, Chinese set in Noto CJK, through
the documents helper) and an Excel workbook (XlsxWriter, column widths set by hand: its
``autofit`` makes Chinese columns too narrow). Both in the visitor's language."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from io import BytesIO

import xlsxwriter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gridpos.application.floats import FloatStatement
from gridpos.domain.money import format_yuan
from gridpos.interfaces.console.documents import PRINT_CSS, attachment, pdf_response
from gridpos.interfaces.console.web import Visit

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(statement: FloatStatement, extension: str) -> str:
    return (
        f"float-statement-{statement.agent_code}-{statement.date_from:%Y%m%d}"
        f"-{statement.date_to:%Y%m%d}.{extension}"
    )


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


async def statement_pdf(visit: Visit, statement: FloatStatement) -> Response:
    """The statement as a printable PDF download."""
    html = visit.runtime.renderer.render(
        visit.locale,
        "agents/statement_print.html",
        {
            "statement": statement,
            "yuan": lambda fen: format_yuan(int(fen), grouping=True),
            "print_css": PRINT_CSS,
            "html_lang": "zh-CN" if visit.locale == "zh_CN" else "en",
        },
    )
    return await pdf_response(html, filename=_filename(statement, "pdf"))


def statement_workbook(statement: FloatStatement, _: Callable[[str], str]) -> bytes:
    """The statement as an .xlsx workbook: a summary and one row per business date, amounts in
    yuan as numbers with two decimals (each written from the integer fen, never through a
    float sum)."""
    buffer = BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(_("Float statement")[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 5, 18)
    sheet.write(0, 0, _("Float statement"), bold)
    sheet.write(1, 0, _("Agent"))
    sheet.write(1, 1, f"{statement.agent_code} {statement.agent_name}")
    sheet.write(2, 0, _("Business dates"))
    sheet.write(2, 1, f"{statement.date_from.isoformat()} – {statement.date_to.isoformat()}")
    summary = (
        (_("Opening"), statement.opening),
        (_("Top-ups"), statement.topups),
        (_("Collections"), statement.collections),
        (_("Undos"), statement.undos),
        (_("Closing"), statement.closing),
    )
    for offset, (label, fen) in enumerate(summary):
        sheet.write(4 + offset, 0, label)
        sheet.write_number(4 + offset, 1, _yuan(fen), money)
    sheet.write(9, 0, _("Balanced"))
    sheet.write(9, 1, _("Yes") if statement.balanced else _("No"))
    header = (
        _("Business date"),
        _("Top-ups"),
        _("Collections"),
        _("Undos"),
        _("Closing"),
    )
    for column, title in enumerate(header):
        sheet.write(11, column, title, bold)
    for row, day in enumerate(statement.days, start=12):
        sheet.write_datetime(row, 0, day.business_date, day_format)
        for column, fen in enumerate((day.topups, day.collections, day.undos, day.closing), 1):
            sheet.write_number(row, column, _yuan(fen), money)
    book.close()
    return buffer.getvalue()


async def statement_xlsx(visit: Visit, statement: FloatStatement) -> Response:
    """The statement as an Excel download."""
    data = await run_in_threadpool(statement_workbook, statement, visit.gettext)
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": attachment(_filename(statement, "xlsx")),
            "Cache-Control": "no-store",
        },
    )
