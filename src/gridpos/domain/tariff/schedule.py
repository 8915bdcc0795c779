"""The electricity tariff: dated prices per customer category, and billing a month of kWh.

Prices are in 1/10000 yuan per kWh (``unit_price_e4``: 5653 means 0.5653 yuan/kWh). Each charge
line is kWh × unit price rounded half-up to the fen; a bill is the sum of its lines.

The configuration is a sequence of plain mappings, one per category and validity span::

    {"category": "residential", "valid_from": "2012-07-01", "valid_to": None,
     "accumulation": "annual", "free_kwh_per_month": 0,
     "tiers": [{"monthly_up_to_kwh": 180, "annual_up_to_kwh": 2160, "price_e4": 5653},
               {"monthly_up_to_kwh": 350, "annual_up_to_kwh": 4200, "price_e4": 6153},
               {"monthly_up_to_kwh": None, "annual_up_to_kwh": None, "price_e4": 8653}]}
    {"category": "shared_meter", "valid_from": "2008-01-01", "valid_to": None, "price_e4": 5853}

``valid_from`` is inclusive and ``valid_to`` exclusive (``None``: still in force); both fall on the
first day of a month because bills are monthly, and a billing month is priced by the entry in force
on its first day. Within a category the entries must follow each other without gap or overlap.

Tier accumulation: ``"annual"`` applies the annual thresholds to the calendar year's cumulative kWh
(a month that crosses a threshold is split into two or three lines); ``"monthly"`` applies the
monthly bands to each month alone. Free kWh (低保/五保) are the first kWh of each month, shown as a
line at price 0; they count toward the annual accumulation like every other billed kWh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.dates import add_months, format_period, parse_period, period_first_day
from gridpos.domain.errors import DomainError
from gridpos.domain.money import round_half_up_div
from gridpos.domain.rules_anhui import TARIFF_ENTRIES
from gridpos.domain.tariff.config import (
    Accumulation,
    TariffConfigError,
    TariffEntry,
    parse_tariff_entries,
)

_TIER_LABELS_ZH: Final = ("第一档", "第二档", "第三档", "第四档", "第五档")


class BillingError(DomainError):
    """Bad input to a bill. Codes: ``kwh_invalid``, ``kwh_negative``."""

    code = "kwh_invalid"


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """One line of a bill: kWh at one unit price; ``amount_fen`` is kwh × price, half-up."""

    label_zh: str
    label_en: str
    kwh: int
    unit_price_e4: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Bill:
    """A month's electricity charge for one customer category; amount is the sum of the lines."""

    period: str
    category: CustomerCategory
    kwh: int
    free_kwh: int
    lines: tuple[ChargeLine, ...]
    amount_fen: int


def _line(label_zh: str, label_en: str, kwh: int, price_e4: int) -> ChargeLine:
    # price_e4 / 10000 yuan = price_e4 / 100 fen per kWh.
    return ChargeLine(label_zh, label_en, kwh, price_e4, round_half_up_div(kwh * price_e4, 100))


def _require_kwh(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BillingError(
            code="kwh_invalid",
            field=field,
            message_zh="电量必须是整数千瓦时",
            message_en="Consumption must be a whole number of kWh",
        )
    if value < 0:
        raise BillingError(
            code="kwh_negative",
            field=field,
            message_zh="电量不能为负数",
            message_en="Consumption cannot be negative",
            details={"kwh": value},
        )


class TariffSchedule:
    """The dated tariff of every customer category. Build it with ``from_config``."""

    def __init__(self, entries: Mapping[CustomerCategory, tuple[TariffEntry, ...]]) -> None:
        self._entries = dict(entries)

    @classmethod
    def from_config(cls, entries: Sequence[Mapping[str, Any]]) -> TariffSchedule:
        """Validate the configuration and build the schedule.

        Raises:
            TariffConfigError: a missing or unknown key, an unknown category (``tariff_unknown_
            category``), a bad price (``tariff_bad_price``), tiers out of order, a date that is not
            the first of a month, a backwards range (``tariff_backwards``), an overlap
            (``tariff_overlap``) or a gap (``tariff_gap``) between the entries of one category.
        """
        return cls(parse_tariff_entries(entries))

    def entry_for(self, *, category: CustomerCategory, period: str) -> TariffEntry:
        """The entry that prices ``category`` in the billing month ``period``.

        Raises:
            PeriodError: the period is not ``YYYYMM``.
            TariffConfigError: ``tariff_not_in_force`` when no entry covers the month.
        """
        first_day = period_first_day(period)
        for entry in self._entries.get(CustomerCategory(category), ()):
            if entry.covers(first_day):
                return entry
        raise TariffConfigError(
            code="tariff_not_in_force",
            field="period",
            message_zh=f"电费年月 {period} 没有适用于{CustomerCategory(category).label_zh}的电价",
            message_en=f"No tariff for {CustomerCategory(category).label_en} in {period}",
            details={"category": str(category), "period": period},
        )

    def accumulation_start(self, *, category: CustomerCategory, period: str) -> str:
        """The first billing month whose kWh count toward ``year_kwh_before`` for ``period``.

        January of the period's year, or the month annual tiers took effect if that is later in the
        same year; for a month not under annual tiers, the month itself (nothing accumulates).
        Raises like ``entry_for``.
        """
        entry = self.entry_for(category=category, period=period)
        if entry.accumulation is not Accumulation.ANNUAL:
            return period
        year, _ = parse_period(period)
        start = period
        while parse_period(start)[1] > 1:
            earlier = add_months(start, -1)
            try:
                previous = self.entry_for(category=category, period=earlier)
            except TariffConfigError:
                break
            if previous.accumulation is not Accumulation.ANNUAL:
                break
            start = earlier
        return start if parse_period(start)[0] == year else format_period(year, 1)

    def bill(
        self,
        *,
        category: CustomerCategory,
        period: str,
        kwh: int,
        year_kwh_before: int = 0,
    ) -> Bill:
        """Price a month's consumption.

        ``year_kwh_before`` is the customer's billed kWh (free kWh included) in the same calendar
        year before ``period``, counted from ``accumulation_start``; only annual tiers use it.

        Raises:
            PeriodError: ``period_invalid`` for a malformed period.
            BillingError: ``kwh_invalid`` / ``kwh_negative`` for ``kwh`` or ``year_kwh_before``.
            TariffConfigError: ``tariff_not_in_force`` when no entry covers the month.
        """
        _require_kwh(kwh, "kwh")
        _require_kwh(year_kwh_before, "year_kwh_before")
        category = CustomerCategory(category)
        entry = self.entry_for(category=category, period=period)
        free_kwh = min(kwh, entry.free_kwh_per_month)
        lines: list[ChargeLine] = []
        if free_kwh:
            lines.append(_line("免费电量", "Free allowance", free_kwh, 0))
        if entry.price_e4 is not None:
            if kwh > free_kwh:
                lines.append(_line("电度电费", "Energy charge", kwh - free_kwh, entry.price_e4))
        else:
            lines.extend(self._tier_lines(entry, period, kwh, free_kwh, year_kwh_before))
        return Bill(
            period=period,
            category=category,
            kwh=kwh,
            free_kwh=free_kwh,
            lines=tuple(lines),
            amount_fen=sum(line.amount_fen for line in lines),
        )

    def _tier_lines(
        self, entry: TariffEntry, period: str, kwh: int, free_kwh: int, year_kwh_before: int
    ) -> list[ChargeLine]:
        if entry.accumulation is Accumulation.ANNUAL:
            start = year_kwh_before
            uppers = [tier.annual_up_to_kwh for tier in entry.tiers]
            if entry.prorate_first_year:
                begun = self.accumulation_start(category=entry.category, period=period)
                months = 13 - parse_period(begun)[1]
                uppers = [None if u is None else round_half_up_div(u * months, 12) for u in uppers]
        else:
            start = 0
            uppers = [tier.monthly_up_to_kwh for tier in entry.tiers]
        # This month's billable kWh occupy [low, high) of the cumulative consumption.
        low, high = start + free_kwh, start + kwh
        lines: list[ChargeLine] = []
        floor = 0
        for index, (tier, upper) in enumerate(zip(entry.tiers, uppers, strict=True)):
            ceiling = high if upper is None else min(high, upper)
            in_tier = ceiling - max(low, floor)
            if in_tier > 0:
                label_zh = _TIER_LABELS_ZH[index] if index < len(_TIER_LABELS_ZH) else "阶梯"
                lines.append(_line(label_zh, f"Tier {index + 1}", in_tier, tier.price_e4))
            if upper is None or upper >= high:
                break
            floor = upper
        return lines


def default_tariff_schedule() -> TariffSchedule:
    """The county's default dated tariff (Anhui), from ``rules_anhui``."""
    return TariffSchedule.from_config(TARIFF_ENTRIES)
