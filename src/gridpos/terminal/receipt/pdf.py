"""The PDF copy of a receipt: the same layout on a page the paper's width, Noto Sans CJK embedded.

Rendered with WeasyPrint (ReportLab cannot load the CFF outlines of Noto CJK) from Debian's
``fonts-noto-cjk``, in *Noto Sans Mono CJK SC*, whose Chinese characters are exactly two ASCII
advances wide, so the columns line up as on the printer: 3 mm type gives 1.5 mm a column, 32
columns in the 48 mm a 58 mm head prints and 48 in the 72 mm of an 80 mm head. One page per
copy, as tall as the receipt; the QR code is an embedded PNG. WeasyPrint embeds the subset of
the font the page uses, with its Unicode map, so the PDF's text can be searched and extracted.
"""

from __future__ import annotations

import base64
import html
from typing import Final

from gridpos.terminal.receipt.layout import (
    CopyLayout,
    LineStyle,
    Paper,
    QrBlock,
    ReceiptLayout,
    TextLine,
)
from gridpos.terminal.receipt.qr import qr_png

FONT_FAMILY: Final[str] = "Noto Sans Mono CJK SC"
FONT_MM: Final[float] = 3.0
LINE_HEIGHT: Final[float] = 1.3
MARGIN_MM: Final[float] = 3.0
QR_MM: Final[dict[Paper, float]] = {Paper.MM58: 22.0, Paper.MM80: 28.0}
_PRINTED_MM: Final[dict[Paper, float]] = {Paper.MM58: 48.0, Paper.MM80: 72.0}


def _line_html(line: TextLine) -> str:
    text = html.escape(line.text)
    if line.style is LineStyle.TITLE:
        return f'<div class="t">{html.escape(line.text.strip())}</div>'
    if line.style is LineStyle.BOLD:
        return f'<div class="l b">{text}</div>'
    return f'<div class="l">{text}</div>'


def _copy_html(copy: CopyLayout, paper: Paper) -> str:
    parts: list[str] = []
    for block in copy.blocks:
        if isinstance(block, QrBlock):
            png = base64.b64encode(qr_png(block.content, box_size=8, border=1)).decode("ascii")
            parts.append(
                f'<div class="qr"><img alt="{html.escape(block.content)}" '
                f'src="data:image/png;base64,{png}"></div>'
            )
        else:
            parts.append(_line_html(block))
    return f'<section class="copy">{"".join(parts)}</section>'


def _page_height_mm(copy: CopyLayout, paper: Paper) -> float:
    line_mm = FONT_MM * LINE_HEIGHT
    height = 2 * MARGIN_MM + 4.0
    for block in copy.blocks:
        if isinstance(block, QrBlock):
            height += QR_MM[paper] + 2.0
        elif block.style is LineStyle.TITLE:
            height += 2 * line_mm
        else:
            height += line_mm
    return round(height, 1)


def receipt_html(layout: ReceiptLayout) -> str:
    """The receipt as an HTML document sized for the paper (what :func:`receipt_pdf` renders)."""
    paper = layout.paper
    side_mm = (paper.width_mm - _PRINTED_MM[paper]) / 2
    height_mm = max(_page_height_mm(copy, paper) for copy in layout.copies)
    style = f"""
@page {{ size: {paper.width_mm}mm {height_mm}mm; margin: {MARGIN_MM}mm {side_mm}mm; }}
body {{ margin: 0; font-family: "{FONT_FAMILY}"; font-size: {FONT_MM}mm;
        line-height: {LINE_HEIGHT}; color: #000; }}
.l {{ white-space: pre; height: {LINE_HEIGHT}em; }}
.b {{ font-weight: bold; }}
.t {{ font-size: 2em; font-weight: bold; text-align: center; line-height: {LINE_HEIGHT}; }}
.qr {{ text-align: center; margin: 1mm 0; }}
.qr img {{ width: {QR_MM[paper]}mm; height: {QR_MM[paper]}mm; }}
.copy {{ break-after: page; }}
.copy:last-child {{ break-after: auto; }}
"""
    body = "".join(_copy_html(copy, paper) for copy in layout.copies)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>电费收据</title><style>{style}</style></head><body>{body}</body></html>"
    )


def receipt_pdf(layout: ReceiptLayout) -> bytes:
    """The PDF copy of every copy of the receipt (one page each), fonts embedded."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy (Pango); only the PDF copy needs it

    document: bytes = HTML(string=receipt_html(layout)).write_pdf()
    return document
