"""The text preview of a receipt: the same layout as the paper, as Unicode lines.

For the terminal's screen and for logs. Every line is at most the paper's columns wide (counted
as the printer counts, see :mod:`.text`); the double-size title is shown centred at normal size;
the QR code is shown as its content under ``[二维码]``; copies are separated by a line of ``=``
where the printer cuts. Given a printer profile, the preview shows the fallback characters that
printer will print instead of the characters it lacks.
"""

from __future__ import annotations

from gridpos.terminal.receipt.encoding import PrinterProfile, printable_text
from gridpos.terminal.receipt.layout import LineStyle, QrBlock, ReceiptLayout
from gridpos.terminal.receipt.text import center, wrap

QR_LABEL = "[二维码] "
CUT_CHAR = "="


def preview_lines(layout: ReceiptLayout, *, profile: PrinterProfile | None = None) -> list[str]:
    """The preview as lines, no line wider than the paper's columns."""
    columns = layout.paper.columns
    lines: list[str] = []
    for index, copy in enumerate(layout.copies):
        if index:
            lines.append(CUT_CHAR * columns)
        for block in copy.blocks:
            if isinstance(block, QrBlock):
                parts = wrap(QR_LABEL + block.content, columns)
                lines.extend(parts)
                continue
            text = block.text
            if profile is not None:
                text = printable_text(text, profile=profile)
            if block.style is LineStyle.TITLE:
                text = center(text.strip(" "), columns)
            lines.append(text)
    return lines


def receipt_preview(layout: ReceiptLayout, *, profile: PrinterProfile | None = None) -> str:
    """The preview as one text, lines ended by newlines."""
    return "".join(f"{line}\n" for line in preview_lines(layout, profile=profile))
