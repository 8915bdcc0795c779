"""Properties of money parsing, formatting, capital numerals and rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridpos.domain.money import (
    DEFAULT_CEILING_FEN,
    MoneyError,
    capital_numerals,
    ceil_to_yuan,
    format_yuan,
    format_yuan_with_sign,
    parse_yuan,
    round_half_up_div,
)

amounts = st.integers(min_value=1, max_value=DEFAULT_CEILING_FEN)
# Up to ten thousand 亿 yuan, to reach every section of the numerals.
large_amounts = st.integers(min_value=0, max_value=10**14 * 100)

_FULL_WIDTH = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)}, ".": "．", ",": "，"})
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = {"拾": 10, "佰": 100, "仟": 1000}


def _decode_capital(text: str) -> int:
    """An independent reader of capital numerals, back to fen."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负")
    total = high = section = digit = 0
    yuan = jiao = fen = 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS.index(char)
        elif char in _PLACES:
            section += digit * _PLACES[char]
            digit = 0
        elif char == "万":
            high += (section + digit) * 10**4
            section = digit = 0
        elif char == "亿":
            total = (total + high + section + digit) * 10**8
            high = section = digit = 0
        elif char == "元":
            yuan = total + high + section + digit
            total = high = section = digit = 0
        elif char == "角":
            jiao, digit = digit, 0
        elif char == "分":
            fen, digit = digit, 0
        else:
            assert char == "整", char
    return sign * (yuan * 100 + jiao * 10 + fen)


@given(amounts, st.booleans())
def test_parse_reads_back_what_format_writes(fen: int, grouping: bool) -> None:
    assert parse_yuan(format_yuan(fen, grouping=grouping)) == fen
    assert parse_yuan(format_yuan_with_sign(fen, grouping=grouping)) == fen
    assert parse_yuan(format_yuan(fen, grouping=grouping) + "元") == fen
    assert parse_yuan(format_yuan(fen, grouping=grouping).translate(_FULL_WIDTH)) == fen


@given(st.integers(min_value=DEFAULT_CEILING_FEN + 1, max_value=10**15))
def test_parse_refuses_everything_over_the_ceiling(fen: int) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan(format_yuan(fen))
    assert caught.value.code == "money_over_ceiling"


@given(large_amounts)
def test_capital_numerals_follow_the_writing_rules(fen: int) -> None:
    words = capital_numerals(fen)
    assert "零零" not in words
    assert _decode_capital(words) == fen
    if fen % 100 == 0:
        assert words.endswith("整")
    elif fen % 10 == 0:
        assert words.endswith("角")
        assert "整" not in words
    else:
        assert words.endswith("分")
        assert "整" not in words
    if fen:
        assert not words.startswith("零")
        for unit in "元万亿整":
            assert "零" + unit not in words
    if fen >= 100 and fen % 100 != 0 and fen % 100 < 10:
        assert "元零" in words  # 角 is zero, 分 is not


@given(large_amounts)
def test_negative_capital_numerals_mirror_the_positive(fen: int) -> None:
    if fen:
        assert capital_numerals(-fen) == "负" + capital_numerals(fen)
        assert _decode_capital(capital_numerals(-fen)) == -fen


@given(
    st.integers(min_value=-(10**18), max_value=10**18),
    st.integers(min_value=-(10**9), max_value=10**9).filter(bool),
)
def test_round_half_up_div_matches_decimal(numerator: int, denominator: int) -> None:
    with localcontext() as context:
        context.prec = 60
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    rounded = round_half_up_div(numerator, denominator)
    assert rounded == int(expected)
    assert 2 * abs(rounded * denominator - numerator) <= abs(denominator)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_ceil_to_yuan_is_the_next_whole_yuan(fen: int) -> None:
    ceiled = ceil_to_yuan(fen)
    assert ceiled % 100 == 0
    assert 0 <= ceiled - fen < 100
