"""Worked examples for parsing, formatting, capital numerals and the rounding helpers."""

from __future__ import annotations

import pytest

from gridpos.domain.errors import DomainError
from gridpos.domain.money import (
    DEFAULT_CEILING_FEN,
    YUAN_SIGN,
    MoneyError,
    capital_numerals,
    ceil_to_yuan,
    format_yuan,
    format_yuan_with_sign,
    parse_yuan,
    round_half_up_div,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("0.01", 1),
        (" 0.01 ", 1),
        ("0012.30", 1230),
        ("1,234.56", 123456),
        ("1,234", 123400),
        ("123,456.7", 12345670),
        ("\uffe512.50", 1250),  # full-width yuan sign
        ("\u00a512.50", 1250),  # the half-width sign is read, never written
        ("\uffe5 12.50", 1250),
        ("12.50元", 1250),
        ("\uffe512.50元", 1250),
        ("１２.５０", 1250),  # full-width digits
        ("１２．５", 1250),  # full-width full stop
        ("\uffe5１，２３４．５６元", 123456),
        ("\u3000８\u3000", 800),  # ideographic spaces around
        ("1000000", DEFAULT_CEILING_FEN),  # the ceiling itself is accepted
        ("1,000,000.00", DEFAULT_CEILING_FEN),
    ],
)
def test_parse_yuan_reads_what_people_type(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "money_invalid"),
        ("   ", "money_invalid"),
        ("abc", "money_invalid"),
        ("12a", "money_invalid"),
        ("十二", "money_invalid"),
        ("+12", "money_invalid"),
        ("-12", "money_negative"),
        ("－5", "money_negative"),  # full-width minus
        ("\uffe5-5", "money_negative"),
        ("12.345", "money_too_many_decimals"),
        ("0.001", "money_too_many_decimals"),
        ("12.500", "money_too_many_decimals"),
        ("NaN", "money_invalid"),
        ("nan", "money_invalid"),
        ("inf", "money_invalid"),
        ("Infinity", "money_invalid"),
        ("1e3", "money_invalid"),
        ("1E3", "money_invalid"),
        ("0x10", "money_invalid"),
        ("12.", "money_invalid"),
        (".5", "money_invalid"),
        ("1,23", "money_invalid"),
        ("12,34", "money_invalid"),
        ("1,2345.00", "money_invalid"),
        (",123", "money_invalid"),
        ("12 .50", "money_invalid"),
        ("1 2", "money_invalid"),
        ("1_000", "money_invalid"),
        ("١٢", "money_invalid"),  # Arabic-Indic digits are digits to Python, not to us
        ("²", "money_invalid"),
        ("12.50元元", "money_invalid"),
        ("\uffe5\uffe512", "money_invalid"),
        ("1" * 41, "money_invalid"),
        ("0", "money_zero"),
        ("0.00", "money_zero"),
        ("\uffe50元", "money_zero"),
        ("1000000.01", "money_over_ceiling"),
        ("99999999999999", "money_over_ceiling"),
    ],
)
def test_parse_yuan_refuses_with_a_named_error(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan(text, field="cash_received")
    error = caught.value
    assert error.code == code
    assert error.field == "cash_received"
    assert error.message_zh
    assert error.message_en
    assert isinstance(error, DomainError)


def test_parse_yuan_refuses_what_is_not_text() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan(12.5)  # type: ignore[arg-type]
    assert caught.value.code == "money_invalid"
    assert caught.value.field == "amount"


def test_parse_yuan_zero_when_allowed_and_a_caller_ceiling() -> None:
    assert parse_yuan("0", allow_zero=True) == 0
    assert parse_yuan("0.00", allow_zero=True) == 0
    assert parse_yuan("49.99", ceiling_fen=4999) == 4999
    with pytest.raises(MoneyError) as caught:
        parse_yuan("50", ceiling_fen=4999)
    assert caught.value.code == "money_over_ceiling"
    assert caught.value.details == {"ceiling_fen": 4999}
    assert "49.99" in caught.value.message_zh


@pytest.mark.parametrize(
    ("fen", "plain", "grouped"),
    [
        (12345, "123.45", "123.45"),
        (-5, "-0.05", "-0.05"),
        (0, "0.00", "0.00"),
        (5, "0.05", "0.05"),
        (50, "0.50", "0.50"),
        (100, "1.00", "1.00"),
        (123456, "1234.56", "1,234.56"),
        (-123456, "-1234.56", "-1,234.56"),
        (123456789, "1234567.89", "1,234,567.89"),
    ],
)
def test_format_yuan(fen: int, plain: str, grouped: str) -> None:
    assert format_yuan(fen) == plain
    assert format_yuan(fen, grouping=True) == grouped


def test_format_with_sign_uses_the_full_width_sign_that_gbk_printers_have() -> None:
    assert format_yuan_with_sign(12345) == "\uffe5123.45"
    assert format_yuan_with_sign(-5) == "-\uffe50.05"
    assert format_yuan_with_sign(123456, grouping=True) == "\uffe51,234.56"
    assert YUAN_SIGN == "\uffe5"
    text = format_yuan_with_sign(12345)
    assert "\u00a5" not in text
    assert text.encode("gbk") == b"\xa3\xa4123.45"


@pytest.mark.parametrize("bad", [1.5, True, "12", None])
def test_formatting_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_yuan(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        capital_numerals(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ceil_to_yuan(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (12345, "壹佰贰拾叁元肆角伍分"),
        (10000, "壹佰元整"),
        (100005, "壹仟元零伍分"),  # 角 is zero and 分 is not: 零 after 元
        (0, "零元整"),
        (1_000_000_00, "壹佰万元整"),
        (10_020_00, "壹万零贰拾元整"),  # gap in the low section
        (5, "伍分"),
        (50, "伍角"),  # no 整 after 角
        (1, "壹分"),
        (11, "壹角壹分"),
        (100, "壹元整"),
        (101, "壹元零壹分"),
        (110, "壹元壹角"),
        (1500, "壹拾伍元整"),  # a leading ten is written 壹拾
        (1000, "壹拾元整"),
        (1005, "壹拾元零伍分"),
        (32504, "叁佰贰拾伍元零肆分"),  # 325.04
        (168032, "壹仟陆佰捌拾元叁角贰分"),  # 1680.32: zero 元 digit, no 零 needed
        (101000, "壹仟零壹拾元整"),  # 1010
        (100100, "壹仟零壹元整"),  # 1001
        (1640902, "壹万陆仟肆佰零玖元零贰分"),  # 16409.02
        (1000000, "壹万元整"),
        (1000100, "壹万零壹元整"),
        (1100000, "壹万壹仟元整"),
        (10700053, "壹拾万柒仟元伍角叁分"),  # 107000.53
        (10070000, "壹拾万零柒佰元整"),  # 100700
        (100000000_00, "壹亿元整"),
        (100001000_00, "壹亿零壹仟元整"),  # a whole 万 section of zeros
        (107000000_00, "壹亿零柒佰万元整"),
        (110000000_00, "壹亿壹仟万元整"),
        (100000001_00, "壹亿零壹元整"),
        (10000000001_00, "壹佰亿零壹元整"),
        (1000000000000_00, "壹万亿元整"),
        (-12345, "负壹佰贰拾叁元肆角伍分"),
        (-50, "负伍角"),
    ],
)
def test_capital_numerals(fen: int, words: str) -> None:
    assert capital_numerals(fen) == words


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounded"),
    [
        (5, 10, 1),
        (4, 10, 0),
        (15, 10, 2),
        (25, 10, 3),  # half-up, not to even
        (-5, 10, -1),  # ties away from zero, like Decimal's ROUND_HALF_UP
        (-4, 10, 0),
        (-15, 10, -2),
        (5, -10, -1),
        (-5, -10, 1),
        (0, 7, 0),
        (7, 2, 4),
        (1, 3, 0),
        (2, 3, 1),
        (565300, 100, 5653),
        (282650, 100, 2827),  # 50 kWh × 0.5653 = 28.265 yuan -> 28.27
    ],
)
def test_round_half_up_div(numerator: int, denominator: int, rounded: int) -> None:
    assert round_half_up_div(numerator, denominator) == rounded


def test_round_half_up_div_by_zero() -> None:
    with pytest.raises(ZeroDivisionError):
        round_half_up_div(1, 0)


@pytest.mark.parametrize(
    ("fen", "ceiled"),
    [(12345, 12400), (12300, 12300), (0, 0), (1, 100), (99, 100), (100, 100), (101, 200)],
)
def test_ceil_to_yuan(fen: int, ceiled: int) -> None:
    assert ceil_to_yuan(fen) == ceiled
