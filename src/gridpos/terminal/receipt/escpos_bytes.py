"""The ESC/POS bytes of a laid-out receipt: pure, the same bytes for the same receipt.

Each copy is self-contained, so a copy that failed can be sent again on its own::

    ESC @                 initialise (also resets size, bold and alignment)
    FS &                  Chinese mode: bytes 0x81-0xFE start a double-byte character
    GS ! 0x11  ESC E 1    title: double width and height, bold
      <title bytes> LF
    GS ! 0x00  ESC E 0
    <line bytes> LF       every line encoded by :mod:`.encoding` (bold lines between ESC E 1/0)
    ESC a 1  <QR>  ESC a 0   the QR code centred: python-escpos's native ``GS ( k`` sequence
                          (model 2, level M), or a raster image (``GS v 0``) for printers
                          without QR support
    ESC d 6  GS V 1       feed past the cutter and cut (python-escpos's ``cut``; ``GS V 0``
                          on printers without a partial cut)

No code page is ever selected (no ``ESC t``): python-escpos is used only for the QR and the cut,
through its in-memory ``Dummy`` printer, never for text.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Final

import qrcode
import qrcode.constants
from escpos.constants import QR_ECLEVEL_M, QR_MODEL_2
from escpos.printer import Dummy

from gridpos.terminal.receipt.encoding import (
    GBK_PRINTER,
    PrinterProfile,
    Replacement,
    encode_text,
)
from gridpos.terminal.receipt.layout import (
    CopyLayout,
    LineStyle,
    Paper,
    QrBlock,
    ReceiptLayout,
    TextLine,
)

INITIALISE: Final[bytes] = b"\x1b@"
CHINESE_MODE: Final[bytes] = b"\x1c&"
DOUBLE_SIZE: Final[bytes] = b"\x1d!\x11"
NORMAL_SIZE: Final[bytes] = b"\x1d!\x00"
BOLD_ON: Final[bytes] = b"\x1bE\x01"
BOLD_OFF: Final[bytes] = b"\x1bE\x00"
ALIGN_CENTRE: Final[bytes] = b"\x1ba\x01"
ALIGN_LEFT: Final[bytes] = b"\x1ba\x00"
LINE_FEED: Final[bytes] = b"\n"
SELECT_CODE_PAGE: Final[bytes] = b"\x1bt"
"""``ESC t n``: what we never send (the printer stays in Chinese mode)."""

_QR_MODULE_DOTS: Final[dict[Paper, int]] = {Paper.MM58: 4, Paper.MM80: 6}


@dataclass(frozen=True, slots=True)
class ReplacedChar:
    """A character the printer could not print: copy (1-based), line in the copy (0-based)."""

    copy_no: int
    line_no: int
    char: str
    substitute: str

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"


@dataclass(frozen=True, slots=True)
class RenderedReceipt:
    """The bytes of each copy, and every character replaced on the way."""

    copies: tuple[bytes, ...]
    replaced: tuple[ReplacedChar, ...]

    @property
    def data(self) -> bytes:
        """All copies one after the other: what goes to the printer or the file."""
        return b"".join(self.copies)


def _dummy(paper: Paper) -> Dummy:
    printer = Dummy()
    # The image path asks the profile for the paper width (and prints to stdout without it);
    # give this instance its own copy of the profile data rather than mutate the shared one.
    data = copy.deepcopy(printer.profile.profile_data)
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = paper.dots
    printer.profile.profile_data = data
    return printer


def qr_bytes(content: str, *, paper: Paper, profile: PrinterProfile) -> bytes:
    """The QR code of ``content``: native ``GS ( k`` or, for printers without it, a raster image."""
    printer = _dummy(paper)
    size = _QR_MODULE_DOTS[paper]
    if profile.native_qr:
        printer.qr(content, ec=QR_ECLEVEL_M, size=size, model=QR_MODEL_2, native=True)
    else:
        code = qrcode.QRCode(
            box_size=size, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M
        )
        code.add_data(content)
        code.make(fit=True)
        image = code.make_image(fill_color="black", back_color="white").get_image()
        printer.image(image.convert("RGB"), impl="bitImageRaster", center=False)
    output: bytes = printer.output
    return output


def cut_bytes(*, profile: PrinterProfile) -> bytes:
    """Feed past the cutter and cut (python-escpos's ``cut``)."""
    printer = Dummy()
    printer.cut(mode="PART" if profile.partial_cut else "FULL")
    output: bytes = printer.output
    return output


def _line_bytes(line: TextLine, profile: PrinterProfile) -> tuple[bytes, tuple[Replacement, ...]]:
    encoded = encode_text(line.text, profile=profile)
    body = encoded.data + LINE_FEED
    if line.style is LineStyle.TITLE:
        body = DOUBLE_SIZE + BOLD_ON + body + NORMAL_SIZE + BOLD_OFF
    elif line.style is LineStyle.BOLD:
        body = BOLD_ON + body + BOLD_OFF
    return body, encoded.replaced


def _copy_bytes(
    layout: CopyLayout, copy_no: int, paper: Paper, profile: PrinterProfile
) -> tuple[bytes, list[ReplacedChar]]:
    out = bytearray(INITIALISE + CHINESE_MODE)
    replaced: list[ReplacedChar] = []
    for line_no, block in enumerate(layout.blocks):
        if isinstance(block, QrBlock):
            out += ALIGN_CENTRE + qr_bytes(block.content, paper=paper, profile=profile)
            out += ALIGN_LEFT
            continue
        body, swaps = _line_bytes(block, profile)
        out += body
        replaced.extend(ReplacedChar(copy_no, line_no, r.char, r.substitute) for r in swaps)
    out += cut_bytes(profile=profile)
    return bytes(out), replaced


def render_escpos(
    layout: ReceiptLayout, *, profile: PrinterProfile = GBK_PRINTER
) -> RenderedReceipt:
    """The ESC/POS bytes of every copy of ``layout`` for ``profile``'s printer.

    Characters the printer cannot print are replaced by the profile's fallback and listed in
    :attr:`RenderedReceipt.replaced` (see :mod:`.encoding`).
    """
    copies: list[bytes] = []
    replaced: list[ReplacedChar] = []
    for copy_no, copy_layout in enumerate(layout.copies, start=1):
        data, swaps = _copy_bytes(copy_layout, copy_no, layout.paper, profile)
        copies.append(data)
        replaced.extend(swaps)
    return RenderedReceipt(copies=tuple(copies), replaced=tuple(replaced))
