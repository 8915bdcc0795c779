"""Printer columns and wrapping: worked examples and properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridpos.terminal.receipt.text import (
    center,
    char_width,
    pad_left,
    pad_right,
    text_width,
    wrap,
)


@pytest.mark.parametrize(
    ("char", "width"),
    [
        ("A", 1),
        (" ", 1),
        ("~", 1),
        ("汉", 2),  # W
        ("￥", 2),  # F: the full-width yuan sign
        ("：", 2),  # F
        ("□", 2),  # ambiguous, but a GBK printer prints it from the double-byte font
        ("·", 2),
        ("䶮", 2),  # CJK extension A
        ("\U00020000", 2),  # CJK extension B, outside the BMP
    ],
)
def test_a_character_takes_one_column_if_ascii_else_two(char: str, width: int) -> None:
    assert char_width(char) == width


def test_width_of_a_mixed_line_adds_up() -> None:
    # 户号(4) ：(2) 3408001234(10)
    assert text_width("户号：3408001234") == 16
    assert text_width("") == 0


def test_every_east_asian_wide_or_full_width_character_counts_two() -> None:
    for code in range(0x20, 0x30000, 7):
        char = chr(code)
        if unicodedata.east_asian_width(char) in {"W", "F"}:
            assert char_width(char) == 2, hex(code)


def test_padding_and_centring_count_columns() -> None:
    assert pad_right("本金", 6) == "本金  "
    assert pad_left("1.00", 6) == "  1.00"
    assert pad_left("123456", 4) == "123456"
    assert center("电费收据", 16) == "    电费收据"
    assert center("客户联", 32) == "             客户联"


def test_wrap_breaks_chinese_by_columns() -> None:
    assert wrap("岳西县天堂镇天堂村", 8) == ["岳西县天", "堂镇天堂", "村"]
    # an odd width leaves the last column empty rather than split a character
    assert wrap("岳西县天堂镇", 5) == ["岳西", "县天", "堂镇"]


def test_wrap_keeps_an_ascii_run_together_when_it_fits() -> None:
    assert wrap("大屋组12号", 7) == ["大屋组", "12号"]  # not "大屋组1" + "2号"
    assert wrap("ABCDEFGHIJ", 4) == ["ABCD", "EFGH", "IJ"]


def test_wrap_never_starts_a_line_with_closing_punctuation() -> None:
    # "天堂村，" would leave "，" alone at the start: 村 comes down with it
    assert wrap("天堂镇天堂村，大屋组", 12) == ["天堂镇天堂", "村，大屋组"]


def test_wrap_drops_spaces_at_a_break_and_narrower_first_line() -> None:
    assert wrap("Da Wu Zu", 5) == ["Da Wu", "Zu"]
    assert wrap("岳西县天堂镇", 8, first_width=4) == ["岳西", "县天堂镇"]
    assert wrap("", 8) == [""]


def test_wrap_refuses_a_width_that_cannot_hold_a_chinese_character() -> None:
    with pytest.raises(ValueError, match="two columns"):
        wrap("汉", 1)


_MIXED = st.text(
    alphabet=st.sampled_from("岳西天堂镇村组号，。（）ab12 -·䶮\U00020000"), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(text=_MIXED, width=st.integers(min_value=2, max_value=48))
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(text_width(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
