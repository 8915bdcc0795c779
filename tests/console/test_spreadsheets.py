"""Excel exports: Chinese text and widths, money written from int fen as yuan."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest

from gridpos.interfaces.console.spreadsheets import (
    XLSX_TYPE,
    Column,
    ColumnKind,
    Sheet,
    display_width,
    render_xlsx,
    xlsx_response,
)

from .helpers import run_async

SHEET = Sheet(
    name="收费日报",
    title="岳西县供电公司 2024-05-01 收费日报",
    columns=[
        Column("供电所"),
        Column("笔数", ColumnKind.INTEGER),
        Column("金额（元）", ColumnKind.FEN),
        Column("日期", ColumnKind.DATE),
    ],
    rows=[
        ["天堂供电所", 12, 1_234_567, date(2024, 5, 1)],
        ["店前供电所", 3, 5, None],
    ],
)


def _parts(body: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_chinese_columns_are_wide_enough_and_money_is_yuan() -> None:
    parts = _parts(render_xlsx([SHEET]))
    assert "天堂供电所" in parts["xl/sharedStrings.xml"]
    assert "收费日报" in parts["xl/workbook.xml"]
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert "<v>12345.67</v>" in sheet  # 1,234,567 fen
    assert "<v>0.05</v>" in sheet  # 5 fen
    widths = [float(w) for w in re.findall(r'<col min="\d+" max="\d+" width="([\d.]+)"', sheet)]
    # 天堂供电所 is 5 wide characters: 10 cells, plus 2 of margin
    assert widths[0] >= 12
    assert widths[2] >= display_width("金额（元）") + 2 == 12


def test_money_must_be_int_fen() -> None:
    bad = Sheet(name="x", columns=[Column("金额", ColumnKind.FEN)], rows=[[12.5]])
    with pytest.raises(TypeError, match="int fen"):
        render_xlsx([bad])


def test_the_answer_is_a_named_download() -> None:
    response = run_async(xlsx_response([SHEET], filename="收费日报.xlsx"))
    assert response.media_type == XLSX_TYPE
    assert "filename*=UTF-8''%E6%94%B6" in response.headers["content-disposition"]
    assert bytes(response.body).startswith(b"PK")
