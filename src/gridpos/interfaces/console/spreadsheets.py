"""Answers that are Excel workbooks (XlsxWriter), for the console's exports.

Column widths are set from the text, counting a Chinese character as two: XlsxWriter's
``autofit()`` makes Chinese columns too narrow. Money arrives as int fen and is written as yuan
with two decimals, here at the display edge (an Excel cell holds a binary double; amounts up to
2^53 fen are exact to the fen).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gridpos.interfaces.console.documents import attachment

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIN_WIDTH = 6
MAX_WIDTH = 60


class ColumnKind(StrEnum):
    """How a column's values are written."""

    TEXT = "text"
    FEN = "fen"  # int fen, shown as yuan 1,234.50
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"  # aware datetimes, written as given (convert to local time first)


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its heading (already translated) and kind."""

    title: str
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True, slots=True)
class Sheet:
    """One worksheet: an optional title line, the header, the rows."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]
    title: str | None = None


def display_width(text: str) -> int:
    """How many narrow character cells ``text`` takes (East Asian wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: object, kind: ColumnKind) -> str:
    if value is None:
        return ""
    if kind is ColumnKind.FEN and isinstance(value, int):
        return f"{Decimal(value).scaleb(-2):,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def render_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook of ``sheets``. Raises ``TypeError`` for a FEN value that is not an int."""
    import xlsxwriter  # noqa: PLC0415 - only exporting pages need it

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1})
    title_format = workbook.add_format({"bold": True, "font_size": 13})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name[:31])
        first = 0
        if sheet.title:
            worksheet.write_string(0, 0, sheet.title, title_format)
            first = 2
        widths = [display_width(column.title) for column in sheet.columns]
        for col, column in enumerate(sheet.columns):
            worksheet.write_string(first, col, column.title, bold)
        for offset, row in enumerate(sheet.rows, start=first + 1):
            for col, (column, value) in enumerate(zip(sheet.columns, row, strict=True)):
                widths[col] = max(widths[col], display_width(_shown(value, column.kind)))
                if value is None:
                    continue
                if column.kind is ColumnKind.FEN:
                    if not isinstance(value, int) or isinstance(value, bool):
                        raise TypeError("money is int fen")
                    worksheet.write_number(offset, col, Decimal(value).scaleb(-2), money)
                elif column.kind is ColumnKind.INTEGER and isinstance(value, int):
                    worksheet.write_number(offset, col, value)
                elif column.kind is ColumnKind.DATETIME and isinstance(value, datetime):
                    worksheet.write_datetime(offset, col, value, moment)
                elif column.kind is ColumnKind.DATE and isinstance(value, date):
                    worksheet.write_datetime(offset, col, value, day)
                else:
                    worksheet.write_string(offset, col, str(value))
        for col, width in enumerate(widths):
            worksheet.set_column(col, col, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
        worksheet.freeze_panes(first + 1, 0)
    workbook.close()
    return buffer.getvalue()


async def xlsx_response(sheets: Sequence[Sheet], *, filename: str) -> Response:
    """``sheets`` as an Excel download named ``filename``."""
    body = await run_in_threadpool(render_xlsx, sheets)
    return Response(
        body,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"},
    )
