"""Billing-month helpers used by the tariff (and anyone ordering receivables by month)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridpos.domain.dates import (
    PeriodError,
    add_months,
    format_period,
    parse_period,
    period_first_day,
    period_of,
)


@pytest.mark.parametrize(
    ("period", "parsed"),
    [("201207", (2012, 7)), ("200801", (2008, 1)), ("209912", (2099, 12)), ("190001", (1900, 1))],
)
def test_parse_period(period: str, parsed: tuple[int, int]) -> None:
    assert parse_period(period) == parsed
    assert format_period(*parsed) == period


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2012-07",
        "20127",
        "2012070",
        "201200",
        "201213",
        "189912",
        "２０１２０７",
        "2012 7",
        201207,
    ],
)
def test_parse_period_refuses(bad: object) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(bad, field="billing_month")  # type: ignore[arg-type]
    assert caught.value.code == "period_invalid"
    assert caught.value.field == "billing_month"
    assert caught.value.message_zh


@pytest.mark.parametrize(
    ("period", "months", "moved"),
    [
        ("201212", 1, "201301"),
        ("201301", -1, "201212"),
        ("201207", 6, "201301"),
        ("201207", 0, "201207"),
        ("201203", -15, "201012"),
        ("201201", 24, "201401"),
    ],
)
def test_add_months(period: str, months: int, moved: str) -> None:
    assert add_months(period, months) == moved


def test_first_day_and_period_of_a_day() -> None:
    assert period_first_day("201207") == date(2012, 7, 1)
    assert period_of(date(2012, 7, 31)) == "201207"
    assert period_of(date(2024, 2, 29)) == "202402"
    with pytest.raises(ValueError, match="outside"):
        format_period(2012, 13)


@given(st.integers(min_value=1900, max_value=9000), st.integers(min_value=1, max_value=12))
def test_periods_sort_like_months(year: int, month: int) -> None:
    period = format_period(year, month)
    following = add_months(period, 1)
    assert period < following
    assert add_months(following, -1) == period
    assert period_of(period_first_day(period)) == period
