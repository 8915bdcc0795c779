"""Golden receipts: the exact ESC/POS bytes and preview text of fixed receipts.

The files under ``golden/`` were written once by running these tests with
``GRIDPOS_UPDATE_GOLDEN=1`` and checked by eye (the preview) and by the structural tests in
``test_escpos_bytes.py``; any change to the layout, the encoding or the commands fails here
until the files are deliberately written again. A missing file fails too (it is never created
silently).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from gridpos.terminal.receipt import (
    GB18030_PRINTER,
    GBK_PRINTER,
    Paper,
    PrinterProfile,
    Receipt,
    ReceiptFormat,
    ReplacedChar,
    YuanSign,
    layout_receipt,
    receipt_preview,
    render_escpos,
)
from gridpos.terminal.receipt.encoding import GB18030_YEN_BYTES
from gridpos.terminal.receipt.escpos_bytes import SELECT_CODE_PAGE

from .samples import offline_receipt, online_receipt, rare_receipt

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GRIDPOS_UPDATE_GOLDEN") == "1"

CASES: dict[str, tuple[Callable[[], Receipt], ReceiptFormat, PrinterProfile]] = {
    "online_58_1copy": (online_receipt, ReceiptFormat(paper=Paper.MM58), GBK_PRINTER),
    "online_80_2copies_fullwidth_sign": (
        online_receipt,
        ReceiptFormat(paper=Paper.MM80, copies=2, yuan_sign=YuanSign.FULL_WIDTH),
        GBK_PRINTER,
    ),
    "offline_58_2copies": (offline_receipt, ReceiptFormat(paper=Paper.MM58, copies=2), GBK_PRINTER),
    "offline_80_1copy_reprint_gb18030": (
        offline_receipt,
        ReceiptFormat(paper=Paper.MM80, reprint=True),
        GB18030_PRINTER,
    ),
    "rare_58_gbk_fallback": (rare_receipt, ReceiptFormat(paper=Paper.MM58), GBK_PRINTER),
    "rare_80_gb18030": (rare_receipt, ReceiptFormat(paper=Paper.MM80), GB18030_PRINTER),
}


def _compare(path: Path, actual: bytes) -> None:
    if UPDATE:
        path.write_bytes(actual)
    assert path.exists(), f"{path.name} missing: run with GRIDPOS_UPDATE_GOLDEN=1 once"
    expected = path.read_bytes()
    if actual != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
            min(len(actual), len(expected)),
        )
        pytest.fail(
            f"{path.name} differs at byte {first}: "
            f"got {actual[first : first + 24]!r}, expected {expected[first : first + 24]!r}"
        )


@pytest.mark.parametrize("case", sorted(CASES))
def test_escpos_bytes_match_the_golden_file(case: str) -> None:
    make, fmt, profile = CASES[case]
    rendered = render_escpos(layout_receipt(make(), fmt), profile=profile)
    _compare(GOLDEN / f"{case}.escpos", rendered.data)
    assert GB18030_YEN_BYTES not in rendered.data
    assert SELECT_CODE_PAGE not in rendered.data
    assert len(rendered.copies) == fmt.copies


@pytest.mark.parametrize("case", sorted(CASES))
def test_preview_matches_the_golden_file(case: str) -> None:
    make, fmt, profile = CASES[case]
    preview = receipt_preview(layout_receipt(make(), fmt), profile=profile)
    _compare(GOLDEN / f"{case}.txt", preview.encode("utf-8"))


def test_the_rare_character_is_replaced_and_reported_on_gbk_only() -> None:
    layout = layout_receipt(rare_receipt())
    gbk = render_escpos(layout, profile=GBK_PRINTER)
    assert gbk.replaced == (ReplacedChar(copy_no=1, line_no=14, char="䶮", substitute="□"),)
    assert gbk.replaced[0].codepoint == "U+4DAE"
    assert "户名：刘□".encode("gbk") in gbk.data
    gb18030 = render_escpos(layout, profile=GB18030_PRINTER)
    assert gb18030.replaced == ()
    assert "户名：刘䶮".encode("gb18030") in gb18030.data
    assert bytes.fromhex("C1F5 FE9F") in gb18030.data  # 刘䶮
