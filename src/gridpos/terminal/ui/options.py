"""How the POS program is started: server, data directory, language, printer, paper, copies.

:func:`open_terminal` builds the headless :class:`~gridpos.terminal.Terminal` the screen drives,
with its receipt output (:class:`~gridpos.terminal.ui.output.ReceiptOutput`). Without
``--printer`` the receipts go to ``printer.bin`` in the data directory, as a spool file would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gridpos.terminal import Terminal, TerminalConfig
from gridpos.terminal.receipt import Paper, parse_printer
from gridpos.terminal.ui.output import PDF_FOLDER, ReceiptOutput
from gridpos.terminal.ui.strings import Language

DEFAULT_PRINTER_FILE: Final[str] = "printer.bin"
PAPERS: Final[dict[str, Paper]] = {"58": Paper.MM58, "80": Paper.MM80}


@dataclass(frozen=True, slots=True)
class PosOptions:
    """The program's options (see ``gridpos terminal --help``).

    ``forward_every_s``: how often waiting payments are resolved in the background;
    ``status_every_s``: how often the status bar is redrawn; ``heartbeat_every_s``: how often an
    idle terminal asks the server (``None``: the server's heartbeat interval from sign-in).
    """

    server_url: str
    data_dir: Path
    language: Language = Language.ZH
    printer: str | None = None
    paper: Paper = Paper.MM58
    copies: int | None = None
    enrol_code: str | None = None
    pdf_copies: bool = False
    forward_every_s: float = 30.0
    status_every_s: float = 1.0
    heartbeat_every_s: float | None = None


def receipt_output(options: PosOptions) -> ReceiptOutput:
    """The printer the options name.

    Raises:
        PrinterError: ``printer_address_invalid``.
    """
    address = options.printer or f"file:{Path(options.data_dir) / DEFAULT_PRINTER_FILE}"
    return ReceiptOutput(
        connection=parse_printer(address),
        paper=options.paper,
        copies=options.copies,
        pdf_folder=Path(options.data_dir) / PDF_FOLDER if options.pdf_copies else None,
    )


def open_terminal(
    options: PosOptions, *, config: TerminalConfig | None = None, **extra: Any
) -> Terminal:
    """The terminal library on the data directory, printing through the options' printer.

    ``extra`` goes to :class:`~gridpos.terminal.Terminal` (clock, transport… for tests).

    Raises:
        PrinterError: ``printer_address_invalid``.
        JournalUnwritableError: the journal cannot be created or written.
        JournalFormatError: the journal file is not a journal of this program.
    """
    printer = receipt_output(options)
    return Terminal(
        Path(options.data_dir), options.server_url, config=config, printer=printer, **extra
    )
