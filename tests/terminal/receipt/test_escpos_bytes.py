"""The ESC/POS stream: commands in place, text ours, no code page ever selected."""

from __future__ import annotations

import pytest
from escpos.magicencode import MagicEncode

from gridpos.terminal.receipt import (
    GBK_PRINTER,
    LineStyle,
    Paper,
    PrinterProfile,
    ReceiptFormat,
    TextLine,
    layout_receipt,
    render_escpos,
)
from gridpos.terminal.receipt.escpos_bytes import (
    ALIGN_CENTRE,
    ALIGN_LEFT,
    BOLD_OFF,
    BOLD_ON,
    CHINESE_MODE,
    DOUBLE_SIZE,
    INITIALISE,
    NORMAL_SIZE,
    SELECT_CODE_PAGE,
    cut_bytes,
    qr_bytes,
)

from .samples import online_receipt

QR = "GP1|34080017|34080017-1042-9f3a1c2e|3408001234|20300|48213906"


def test_each_copy_starts_initialised_in_chinese_mode_and_ends_cut() -> None:
    rendered = render_escpos(layout_receipt(online_receipt(), ReceiptFormat(copies=2)))
    assert len(rendered.copies) == 2
    for data in rendered.copies:
        assert data.startswith(INITIALISE + CHINESE_MODE)
        assert data.endswith(b"\x1bd\x06" + b"\x1dV\x01")  # feed 6 lines, partial cut
    assert rendered.data == rendered.copies[0] + rendered.copies[1]


def test_a_printer_without_partial_cut_gets_a_full_cut() -> None:
    assert (
        cut_bytes(profile=PrinterProfile(name="full", partial_cut=False)) == b"\x1bd\x06\x1dV\x00"
    )


def test_the_title_prints_double_size_and_bold() -> None:
    data = render_escpos(layout_receipt(online_receipt())).data
    title = "    电费收据".encode("gbk")
    assert DOUBLE_SIZE + BOLD_ON + title + b"\n" + NORMAL_SIZE + BOLD_OFF in data


def test_every_text_line_is_sent_encoded_in_order() -> None:
    layout = layout_receipt(online_receipt(), ReceiptFormat(paper=Paper.MM80))
    data = render_escpos(layout).data
    position = 0
    for block in layout.copies[0].blocks:
        if not isinstance(block, TextLine):
            continue
        encoded = block.text.encode("gbk") + b"\n"
        if block.style is LineStyle.BOLD:
            encoded = BOLD_ON + encoded + BOLD_OFF
        found = data.find(encoded, position)
        assert found >= position, block.text
        position = found + len(encoded)


def test_the_native_qr_code_is_centred_with_its_content() -> None:
    data = render_escpos(layout_receipt(online_receipt())).data
    qr = qr_bytes(QR, paper=Paper.MM58, profile=GBK_PRINTER)
    assert ALIGN_CENTRE + qr + ALIGN_LEFT in data
    # GS ( k: model 2, module 4 dots, level M, store the content, print it
    assert qr == (
        b"\x1d(k\x04\x001A2\x00"
        + b"\x1d(k\x03\x001C\x04"
        + b"\x1d(k\x03\x001E1"
        + b"\x1d(k"
        + (len(QR) + 3).to_bytes(2, "little")
        + b"1P0"
        + QR.encode("ascii")
        + b"\x1d(k\x03\x001Q0"
    )
    assert qr_bytes(QR, paper=Paper.MM80, profile=GBK_PRINTER).startswith(
        b"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x06"
    )


def test_a_printer_without_native_qr_gets_a_raster_image(
    capsys: pytest.CaptureFixture[str],
) -> None:
    profile = PrinterProfile(name="no-qr", native_qr=False)
    qr = qr_bytes(QR, paper=Paper.MM58, profile=profile)
    assert qr.startswith(b"\x1dv0\x00")  # GS v 0, normal density
    width_bytes = int.from_bytes(qr[4:6], "little")
    height_dots = int.from_bytes(qr[6:8], "little")
    assert width_bytes * 8 <= Paper.MM58.dots
    assert height_dots >= 21 * 4  # at least a version-1 symbol at 4 dots a module
    assert b"\x1d(k" not in qr
    assert capsys.readouterr().out == ""  # python-escpos's profile warning does not leak


def test_python_escpos_never_encodes_our_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("python-escpos was asked to encode text")

    monkeypatch.setattr(MagicEncode, "write", refuse)
    monkeypatch.setattr(MagicEncode, "force_encoding", refuse)
    for native in (True, False):
        profile = PrinterProfile(name="p", native_qr=native)
        rendered = render_escpos(layout_receipt(online_receipt()), profile=profile)
        if native:
            assert SELECT_CODE_PAGE not in rendered.data


def test_the_same_receipt_gives_the_same_bytes() -> None:
    layout = layout_receipt(online_receipt(), ReceiptFormat(copies=2))
    assert render_escpos(layout).data == render_escpos(layout).data
