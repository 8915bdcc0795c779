"""`gridpos terminal`: the collector's POS program (a Textual screen over the terminal library).

    gridpos terminal --server http://127.0.0.1:8600 --data-dir /var/lib/gridpos-pos \\
        [--lang zh|en] [--printer file:/path|tcp:host:9100|usb:vid:pid|serial:/dev/ttyS0@9600] \\
        [--paper 58|80] [--copies 1|2] [--enrol CODE] [--pdf-copies]

Receipts go to the printer (``printer.bin`` in the data directory when none is named) and a text
preview is shown on screen; ``--pdf-copies`` keeps a PDF of each in ``DATA_DIR/receipts``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gridpos.domain.errors import DomainError
from gridpos.terminal.ui import Language, PosApp, PosOptions, open_terminal
from gridpos.terminal.ui.options import PAPERS


class PaperWidth(StrEnum):
    MM58 = "58"
    MM80 = "80"


def _refusal(error: DomainError) -> typer.Exit:
    typer.echo(
        f"gridpos terminal: {error.message_zh} / {error.message_en} [{error.code}]", err=True
    )
    return typer.Exit(1)


def terminal(
    server: Annotated[str, typer.Option(help="The payment server's URL.")],
    data_dir: Annotated[
        Path, typer.Option(help="Where the journal, printer spool and PDF copies are kept.")
    ],
    lang: Annotated[Language, typer.Option(help="Screen language.")] = Language.ZH,
    printer: Annotated[
        str | None,
        typer.Option(
            help="Receipt printer: file:/path, tcp:host:9100, usb:vid:pid, serial:/dev/ttyS0@9600."
        ),
    ] = None,
    paper: Annotated[PaperWidth, typer.Option(help="Paper width in millimetres.")] = (
        PaperWidth.MM58
    ),
    copies: Annotated[
        int | None,
        typer.Option(min=1, max=2, help="Receipt copies (default: the server's parameter)."),
    ] = None,
    enrol: Annotated[
        str | None, typer.Option(help="One-time enrolment code (first start only).")
    ] = None,
    pdf_copies: Annotated[
        bool, typer.Option("--pdf-copies", help="Keep a PDF copy of every receipt.")
    ] = False,
    forward_every: Annotated[
        float,
        typer.Option(min=1.0, max=3600.0, help="Seconds between background upload passes."),
    ] = 30.0,
) -> None:
    """Run the POS screen until Ctrl+Q."""
    options = PosOptions(
        server_url=server,
        data_dir=data_dir,
        language=lang,
        printer=printer,
        paper=PAPERS[paper.value],
        copies=copies,
        enrol_code=enrol,
        pdf_copies=pdf_copies,
        forward_every_s=forward_every,
    )
    try:
        pos = open_terminal(options)
    except DomainError as exc:  # bad printer address, unwritable or foreign journal
        raise _refusal(exc) from exc
    try:
        PosApp(pos, options).run()
    finally:
        pos.close()
