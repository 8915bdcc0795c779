"""Billing months (电费年月) as ``"YYYYMM"`` text, and the few date helpers the rules need."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from gridpos.domain.errors import DomainError

_PERIOD: Final = re.compile(r"[0-9]{6}", re.ASCII)
_FIRST_YEAR: Final[int] = 1900


class PeriodError(DomainError):
    """A billing month that is not ``"YYYYMM"`` with a month 01–12. Code ``period_invalid``."""

    code = "period_invalid"


def parse_period(period: str, *, field: str = "period") -> tuple[int, int]:
    """``"201207" -> (2012, 7)``.

    Raises:
        PeriodError: ``period_invalid`` unless the text is six ASCII digits, a year from 1900 on
        and a month from 01 to 12.
    """
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise PeriodError(
            field=field,
            message_zh="电费年月格式应为 YYYYMM，例如 201207",
            message_en="The billing month must be YYYYMM, e.g. 201207",
            details={"period": str(period)},
        )
    year, month = int(period[:4]), int(period[4:])
    if year < _FIRST_YEAR or not 1 <= month <= 12:
        raise PeriodError(
            field=field,
            message_zh="电费年月的年份或月份无效",
            message_en="The billing month has an invalid year or month",
            details={"period": period},
        )
    return year, month


def format_period(year: int, month: int) -> str:
    """``(2012, 7) -> "201207"``. Raises ``ValueError`` for a month outside 1–12."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is outside 1-12")
    return f"{year:04d}{month:02d}"


def period_first_day(period: str) -> date:
    """The first day of a billing month: ``"201207" -> date(2012, 7, 1)``.

    Raises ``PeriodError`` like ``parse_period``.
    """
    year, month = parse_period(period)
    return date(year, month, 1)


def period_of(day: date) -> str:
    """The billing month a day falls in: ``date(2012, 7, 15) -> "201207"``."""
    return format_period(day.year, day.month)


def add_months(period: str, months: int) -> str:
    """Move a billing month by whole months: ``add_months("201212", 1) == "201301"``.

    Raises ``PeriodError`` like ``parse_period``.
    """
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return format_period(index // 12, index % 12 + 1)
