"""Where receipts go from the POS screen: the ESC/POS printer, the screen's preview, a PDF copy.

:class:`ReceiptOutput` is the terminal library's printer (``print_receipt``): it prints through
:class:`~gridpos.terminal.printing.EscPosPrinter` and, when asked, keeps a PDF copy of every
receipt in the data directory. A printer fault raises the library's ``PrinterError`` as before —
the payment stands and its receipt waits for a reprint; a PDF that cannot be written is logged and
never stops the paper receipt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gridpos.terminal.printing import EscPosPrinter
from gridpos.terminal.receipt import (
    GBK_PRINTER,
    Paper,
    PrinterConnection,
    Receipt,
    ReceiptFormat,
    layout_receipt,
    receipt_pdf,
    receipt_preview,
)

_LOG = logging.getLogger(__name__)
PDF_FOLDER: Final[str] = "receipts"
_MAX_SAME_NAME: Final[int] = 100


def preview_text(receipt: Receipt, *, paper: Paper, reprint: bool = False) -> str:
    """The receipt as the printer lays it out (one copy), for the screen."""
    layout = layout_receipt(receipt, ReceiptFormat(paper=paper, copies=1, reprint=reprint))
    return receipt_preview(layout, profile=GBK_PRINTER)


def pdf_path(folder: Path, receipt: Receipt, *, reprint: bool) -> Path:
    """A new file name for a receipt's PDF copy: ``20240501-000012.pdf``, reprints ``-r1``…

    Raises:
        FileExistsError: a hundred copies of one receipt already exist.
    """
    stem = f"{receipt.business_date:%Y%m%d}-{receipt.trace_no:06d}"
    first = folder / f"{stem}.pdf"
    if not reprint and not first.exists():
        return first
    for number in range(1, _MAX_SAME_NAME + 1):
        candidate = folder / f"{stem}-r{number}.pdf"
        if not candidate.exists():
            return candidate
    raise FileExistsError(str(first))


@dataclass(frozen=True, slots=True)
class ReceiptOutput:
    """Prints receipts on an ESC/POS printer; keeps PDF copies in ``pdf_folder`` if given.

    ``copies`` overrides the server's 1 or 2 copies when set.
    """

    connection: PrinterConnection
    paper: Paper = Paper.MM58
    copies: int | None = None
    pdf_folder: Path | None = None

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        """Print ``receipt`` (the PDF copy first, when kept).

        Raises:
            PrinterError: ``printer_absent``, ``printer_out_of_paper``, ``printer_failed``.
        """
        count = self.copies or copies
        if self.pdf_folder is not None:
            self._keep_pdf(receipt, copies=count, reprint=reprint)
        EscPosPrinter(self.connection, paper=self.paper).print_receipt(
            receipt, copies=count, reprint=reprint
        )

    def _keep_pdf(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        assert self.pdf_folder is not None  # noqa: S101 - checked by the caller
        layout = layout_receipt(
            receipt, ReceiptFormat(paper=self.paper, copies=copies, reprint=reprint)
        )
        try:
            self.pdf_folder.mkdir(parents=True, exist_ok=True)
            pdf_path(self.pdf_folder, receipt, reprint=reprint).write_bytes(receipt_pdf(layout))
        except Exception:  # the PDF is a copy: any failure is logged, the receipt still prints
            _LOG.exception("receipt PDF copy not written", extra={"trace_no": receipt.trace_no})
