"""The receipt's QR content: exact text, read back, checked against the terminal's key."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridpos.protocol.signing import receipt_code, receipt_code_matches
from gridpos.terminal.receipt import QrContentError, QrPayload, parse_qr_content, qr_content
from gridpos.terminal.receipt.qr import qr_png

KEY = bytes(range(32))


def test_the_content_is_the_documented_gp1_line() -> None:
    text = qr_content(
        terminal_no="34080017",
        txn_id="34080017-1042-9f3a1c2e",
        account_no="3408001234",
        cash=20300,
        verification_code="48213906",
    )
    assert text == "GP1|34080017|34080017-1042-9f3a1c2e|3408001234|20300|48213906"
    assert parse_qr_content(text) == QrPayload(
        terminal_no="34080017",
        txn_id="34080017-1042-9f3a1c2e",
        account_no="3408001234",
        cash=20300,
        verification_code="48213906",
    )


def test_the_longest_content_stays_within_76_characters() -> None:
    text = qr_content(
        terminal_no="99999999",
        txn_id="99999999-9999999999-ffffffff",
        account_no="9" * 16,
        cash=99_999_999,
        verification_code="99999999",
    )
    assert len(text) == 76


def test_a_scanned_code_can_be_checked_with_the_terminal_key() -> None:
    code = receipt_code(
        key=KEY, txn_id="34080017-1042-9f3a1c2e", account_no="3408001234", cash=20300
    )
    payload = parse_qr_content(f"GP1|34080017|34080017-1042-9f3a1c2e|3408001234|20300|{code}")
    assert receipt_code_matches(
        key=KEY,
        txn_id=payload.txn_id,
        account_no=payload.account_no,
        cash=payload.cash,
        code=payload.verification_code,
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "GP2|34080017|34080017-1042-9f3a1c2e|3408001234|20300|48213906",
        "GP1|34080018|34080017-1042-9f3a1c2e|3408001234|20300|48213906",  # not its terminal
        "GP1|34080017|34080017-1042-9f3a1c2e|3408001234|0|48213906",
        "GP1|34080017|34080017-1042-9f3a1c2e|3408001234|020300|48213906",
        "GP1|34080017|34080017-1042-9f3a1c2e|3408001234|20300|4821390",
        "GP1|34080017|34080017-1042-9f3a1c2e|3408001234|20300|48213906|",
        "GP1|34080017|34080017-1042-9f3a1c2e|34080|20300|48213906",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(QrContentError) as caught:
        parse_qr_content(text)
    assert caught.value.code == "receipt_qr_invalid"
    assert caught.value.field == "qr"


def test_qr_content_refuses_to_build_what_it_could_not_read() -> None:
    with pytest.raises(QrContentError):
        qr_content(
            terminal_no="34080017",
            txn_id="34080017-1042-9f3a1c2e",
            account_no="3408001234",
            cash=0,
            verification_code="48213906",
        )


def test_the_png_is_a_square_black_and_white_image() -> None:
    image = Image.open(io.BytesIO(qr_png("GP1|x", box_size=4, border=2)))
    assert image.format == "PNG"
    assert image.width == image.height
    # version 1 is 21 modules, plus a border of 2 each side, 4 pixels a module
    assert image.width == (21 + 4) * 4
