"""What billing needs besides the domain tariff: bill dates, consumption profiles, a bill cache.

- :class:`BillingPolicy`: a month's meter reading date, billing date and due date (缴费期限).
- Consumption: a customer's month is ``base_kwh`` × a seasonal factor (heating in winter, fans in
  summer; a mountain county) × noise of ±20 %. The generator draws the noise from its seeded random
  source; a live billing run without a meter reading draws it from a hash of account and month, so
  an estimated reading is the same however often billing is retried.
- :class:`BillCache`: the domain tariff's ``bill`` memoised. Under annual tiers a month whose kWh
  fall inside one band costs the same whatever the exact ``year_kwh_before`` within that band (the
  tariff applies the thresholds to cumulative kWh), so the cache keys ``year_kwh_before`` by that
  band; months that cross a threshold are keyed exactly. Everything else is ``schedule.bill``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.dates import add_months, period_first_day
from gridpos.domain.tariff import Accumulation, Bill, TariffSchedule

# Per mille of a customer's typical month, January first.
SEASON_PER_MILLE: Final[tuple[int, ...]] = (
    1350,
    1300,
    1000,
    850,
    850,
    950,
    1250,
    1300,
    1000,
    850,
    950,
    1250,
)
NOISE_MIN_PER_MILLE: Final[int] = 800
NOISE_MAX_PER_MILLE: Final[int] = 1200


@dataclass(frozen=True, slots=True)
class BillingPolicy:
    """Bill dates: readings on the month's last day, bills on the next month's first, due on
    ``due_day`` of that month, but never sooner than ``min_days_to_pay`` after billing."""

    due_day: int = 25
    min_days_to_pay: int = 15

    def read_on(self, period: str) -> date:
        return period_first_day(add_months(period, 1)) - timedelta(days=1)

    def billed_on(self, period: str) -> date:
        return period_first_day(add_months(period, 1))

    def due_date(self, *, period: str, billed_on: date) -> date:
        scheduled = period_first_day(add_months(period, 1)).replace(day=self.due_day)
        return max(scheduled, billed_on + timedelta(days=self.min_days_to_pay))


def monthly_kwh(*, base_kwh: int, month: int, noise_per_mille: int) -> int:
    """A month's kWh from a customer's typical month, the season and the noise (integers only)."""
    return base_kwh * SEASON_PER_MILLE[month - 1] * noise_per_mille // 1_000_000


def estimated_noise(*, account_no: str, period: str) -> int:
    """Deterministic noise per mille for an estimated reading (same account and month, same)."""
    digest = hashlib.sha256(f"{account_no}:{period}".encode("ascii")).digest()
    spread = NOISE_MAX_PER_MILLE - NOISE_MIN_PER_MILLE + 1
    return NOISE_MIN_PER_MILLE + int.from_bytes(digest[:4], "big") % spread


class BillCache:
    """``TariffSchedule.bill`` memoised; see the module docstring for why the keys are safe."""

    def __init__(self, schedule: TariffSchedule) -> None:
        self.schedule = schedule
        self._bands: dict[tuple[CustomerCategory, str], tuple[tuple[int, ...] | None, int]] = {}
        self._bills: dict[tuple[CustomerCategory, str, int, int], Bill] = {}

    def _annual_bounds(
        self, category: CustomerCategory, period: str
    ) -> tuple[tuple[int, ...] | None, int]:
        """The annual thresholds when only they matter for ``year_kwh_before`` (``()`` when it
        plays no part, None when it must be exact), and the month's free kWh."""
        key = (category, period)
        known = self._bands.get(key)
        if known is None:
            entry = self.schedule.entry_for(category=category, period=period)
            bounds: tuple[int, ...] | None = None
            if entry.price_e4 is not None or entry.accumulation is Accumulation.MONTHLY:
                bounds = ()
            elif not entry.prorate_first_year:
                bounds = tuple(tier.annual_up_to_kwh or 0 for tier in entry.tiers[:-1])
            known = self._bands[key] = (bounds, entry.free_kwh_per_month)
        return known

    def _year_key(
        self, category: CustomerCategory, period: str, kwh: int, year_kwh_before: int
    ) -> int:
        bounds, free_per_month = self._annual_bounds(category, period)
        if bounds is None:
            return year_kwh_before
        if not bounds:
            return 0
        free = min(kwh, free_per_month)
        low, high = year_kwh_before + free, year_kwh_before + kwh
        floor = 0
        for upper in (*bounds, None):
            if low >= floor and (upper is None or high <= upper):
                # The billable kWh sit in one band: any start in the band prices the same.
                return max(floor - free, 0)
            if upper is not None and low < upper:
                return year_kwh_before  # crosses a threshold: price exactly
            floor = upper or 0
        return year_kwh_before

    def bill(
        self, *, category: CustomerCategory, period: str, kwh: int, year_kwh_before: int
    ) -> Bill:
        """The bill ``schedule.bill`` gives for these arguments (from the cache when known).

        Raises what ``TariffSchedule.bill`` raises.
        """
        key = (category, period, kwh, self._year_key(category, period, kwh, year_kwh_before))
        cached = self._bills.get(key)
        if cached is None:
            cached = self.schedule.bill(
                category=category, period=period, kwh=kwh, year_kwh_before=key[3]
            )
            self._bills[key] = cached
        return cached
