"""The QR code on a receipt: what it says, reading it back, and its picture for the PDF copy.

Content, ASCII, ``|``-separated, at most 76 characters (QR version 5 at level M)::

    GP1|<terminal no>|<txn id>|<customer number>|<cash in fen>|<verification code>
    GP1|34080017|34080017-1042-9f3a1c2e|3408001234|12500|48213906

``GP1`` names this layout (a later one gets ``GP2``). The verification code is
:func:`gridpos.protocol.signing.receipt_code` of the transaction id, customer number and cash
under the terminal's key, so the console (or a station clerk with a scanner) can check a
receipt — an offline one too, before the terminal has uploaded it — from the code alone: it
recomputes the code from the other fields and the terminal's key.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Final

import qrcode
import qrcode.constants

from gridpos.domain.errors import DomainError
from gridpos.protocol.fields import (
    ACCOUNT_NO_PATTERN,
    MAX_AMOUNT_FEN,
    TERMINAL_NO_PATTERN,
    TXN_ID_PATTERN,
    VERIFICATION_CODE_PATTERN,
)

QR_SCHEME: Final[str] = "GP1"
_CONTENT: Final = re.compile(
    rf"{QR_SCHEME}\|({TERMINAL_NO_PATTERN})\|({TXN_ID_PATTERN})\|({ACCOUNT_NO_PATTERN})"
    rf"\|([1-9][0-9]{{0,7}})\|({VERIFICATION_CODE_PATTERN})",
    re.ASCII,
)


class QrContentError(DomainError):
    """Text that is not a receipt's QR content. Code ``receipt_qr_invalid``."""

    code = "receipt_qr_invalid"


@dataclass(frozen=True, slots=True)
class QrPayload:
    """What a receipt's QR code says."""

    terminal_no: str
    txn_id: str
    account_no: str
    cash: int
    verification_code: str


def qr_content(
    *, terminal_no: str, txn_id: str, account_no: str, cash: int, verification_code: str
) -> str:
    """The QR text of a receipt (see the module's documentation).

    Raises:
        QrContentError: ``receipt_qr_invalid`` if any part is malformed, so that a QR code never
        prints what :func:`parse_qr_content` would refuse.
    """
    text = f"{QR_SCHEME}|{terminal_no}|{txn_id}|{account_no}|{cash}|{verification_code}"
    parse_qr_content(text)
    return text


def parse_qr_content(text: str) -> QrPayload:
    """Read a scanned receipt QR code.

    Raises:
        QrContentError: ``receipt_qr_invalid`` unless ``text`` is exactly the ``GP1`` layout, the
        transaction id belongs to the terminal it names and the cash is 1 to 99999999 fen.
    """
    match = _CONTENT.fullmatch(text) if isinstance(text, str) else None
    if match is None or not match.group(2).startswith(match.group(1) + "-"):
        raise QrContentError(
            field="qr",
            message_zh="不是本系统电费收据的二维码",
            message_en="Not the QR code of a gridpos receipt",
        )
    # groups: 1 terminal, 2 txn id (3-5 its parts), 6 customer number, 7 cash, 8 code
    cash = int(match.group(7))
    if cash > MAX_AMOUNT_FEN:
        raise QrContentError(
            field="qr", message_zh="二维码中的金额超出范围", message_en="QR amount out of range"
        )
    return QrPayload(
        terminal_no=match.group(1),
        txn_id=match.group(2),
        account_no=match.group(6),
        cash=cash,
        verification_code=match.group(8),
    )


def qr_png(content: str, *, box_size: int = 4, border: int = 2) -> bytes:
    """The QR code of ``content`` as a black-on-white PNG (level M), for the PDF copy."""
    code = qrcode.QRCode(
        box_size=box_size, border=border, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    code.add_data(content)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
