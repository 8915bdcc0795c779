"""The rows of a generated county, produced station by station from one seeded random source.

Everything is drawn from ``random.Random(spec.seed)`` in a fixed order, so the same spec gives the
same rows. Rows are plain tuples in the column order of ``refmis.tables`` (see ``*_COLUMNS``), ready
for ``executemany`` or ``COPY``. Bills come from the domain tariff through :class:`BillCache`; one
bill in :data:`VALIDATION_EVERY` is priced again directly and compared, so a cache that ever
disagreed with the tariff would stop the generator rather than write a wrong bill.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.dates import add_months, parse_period
from gridpos.domain.penalty import PenaltyRules, compute_penalty
from gridpos.domain.tariff import TariffSchedule
from gridpos.refmis.county import (
    BUSINESS_KINDS,
    COUNTY_NAME_ZH,
    GIVEN_FEMALE,
    GIVEN_MALE,
    PROVINCE_NAME_ZH,
    STATIONS,
    SURNAMES,
    TOWNSHIPS,
    StationInfo,
    Township,
)
from gridpos.refmis.generator.spec import (
    BEHAVIOUR_PER_MILLE,
    CATEGORY_PER_MILLE,
    CHRONIC,
    CHRONIC_UNPAID_MAX,
    CHRONIC_UNPAID_MIN,
    LATE_DAYS_MAX,
    PARTIAL,
    PARTIAL_LAST_BILLS,
    PUNCTUAL,
    PUNCTUAL_DAYS_EARLY,
    CountySpec,
    CountySummary,
)
from gridpos.refmis.pricing import (
    NOISE_MIN_PER_MILLE,
    SEASON_PER_MILLE,
    BillCache,
)

Row = tuple[Any, ...]
SEGMENT_SIZE: Final[int] = 250  # customers per meter-reading segment (抄表段)
VALIDATION_EVERY: Final[int] = 997
LONG_OVERDUE_DAYS: Final[int] = 60

STATION_COLUMNS: Final = ("code", "name_zh", "township_zh", "sort_order")
CUSTOMER_COLUMNS: Final = (
    "account_no", "name", "address", "category", "station_code", "segment_code", "meter_no",
    "base_kwh", "prepaid", "rounding_credit", "status", "opened_on", "change_seq",
)  # fmt: skip
READING_COLUMNS: Final = (
    "account_no", "period", "previous_reading", "reading", "kwh", "read_on", "estimated",
)  # fmt: skip
RECEIVABLE_COLUMNS: Final = (
    "id", "account_no", "period", "run_no", "kwh", "free_kwh", "year_kwh_before", "principal",
    "principal_paid", "penalty_paid", "due_date", "billed_on", "settle_state", "settled_on",
    "change_seq",
)  # fmt: skip

# Typical month per category: (median kWh, spread of the log-normal, lowest, highest).
_BASE_KWH: Final[dict[CustomerCategory, tuple[int, float, int, int]]] = {
    CustomerCategory.RESIDENTIAL: (95, 0.5, 12, 900),
    CustomerCategory.SUBSIDISED: (45, 0.45, 5, 300),
    CustomerCategory.SHARED_METER: (260, 0.4, 60, 1500),
    CustomerCategory.NON_RESIDENTIAL: (420, 0.9, 30, 20000),
}


@dataclass(slots=True)
class CountyChunk:
    """The rows of one supply station (customers sorted by account number)."""

    customers: list[Row] = field(default_factory=list)
    meter_readings: list[Row] = field(default_factory=list)
    receivables: list[Row] = field(default_factory=list)
    behaviours: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Month:
    period: str
    year: int
    season: int
    read_on: date
    billed_on: date
    due_date: date


def station_rows() -> list[Row]:
    return [(s.code, s.name_zh, s.township_zh, s.number) for s in STATIONS]


def split_by_weight(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), summing to ``total``."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for index in remainders[: total - sum(shares)]:
        shares[index] += 1
    return shares


class _Picker:
    """Weighted choice from one ``random()`` draw (cheaper than ``random.choices``)."""

    def __init__(self, items: Sequence[tuple[Any, int]]) -> None:
        self.values = [value for value, _ in items]
        self.cumulative = list(accumulate(weight for _, weight in items))
        self.total = self.cumulative[-1]

    def pick(self, draw: float) -> Any:
        return self.values[bisect_right(self.cumulative, draw * self.total)]


class CountyRows:
    """The generator of one county's rows; iterate :meth:`chunks` once, then read ``summary``."""

    def __init__(
        self,
        spec: CountySpec,
        *,
        schedule: TariffSchedule,
        rules: PenaltyRules,
    ) -> None:
        self.spec = spec
        self.schedule = schedule
        self.rules = rules
        self.bills = BillCache(schedule)
        self.summary = CountySummary(stations=len(STATIONS), villages=0)
        self._rng = random.Random(spec.seed)  # noqa: S311 - a reproducible county, not a secret
        self._change_seq = 0
        self._receivable_id = 0
        self._months = [self._month(period) for period in spec.periods]
        self._behaviour = _Picker(BEHAVIOUR_PER_MILLE)
        self._category = _Picker(
            [(CustomerCategory(name), weight) for name, weight in CATEGORY_PER_MILLE]
        )
        self._surname = _Picker(SURNAMES)
        self._resets: dict[tuple[CustomerCategory, str], bool] = {}
        self._pre_window: dict[CustomerCategory, list[int]] = {}

    @property
    def last_change_seq(self) -> int:
        """The change sequence number of the last row generated so far."""
        return self._change_seq

    def _month(self, period: str) -> _Month:
        year, month = parse_period(period)
        policy = self.spec.policy
        billed_on = policy.billed_on(period)
        return _Month(
            period=period,
            year=year,
            season=SEASON_PER_MILLE[month - 1],
            read_on=policy.read_on(period),
            billed_on=billed_on,
            due_date=policy.due_date(period=period, billed_on=billed_on),
        )

    def _starts_year(self, category: CustomerCategory, period: str) -> bool:
        """True when ``period`` begins a new tier accumulation (or nothing accumulates)."""
        key = (category, period)
        if key not in self._resets:
            start = self.schedule.accumulation_start(category=category, period=period)
            self._resets[key] = start == period
        return self._resets[key]

    def chunks(self) -> Iterator[CountyChunk]:
        counts = split_by_weight(self.spec.customers, [t.weight for t in TOWNSHIPS])
        for station, township, count in zip(STATIONS, TOWNSHIPS, counts, strict=True):
            chunk = CountyChunk()
            self._station(chunk, station, township, count)
            yield chunk

    def _station(
        self, chunk: CountyChunk, station: StationInfo, township: Township, count: int
    ) -> None:
        rng = self._rng
        weights = [rng.randint(5, 15) for _ in township.villages]
        segment = 0
        for village, village_count in zip(
            township.villages, split_by_weight(count, weights), strict=True
        ):
            if village_count:
                self.summary.villages += 1
            groups = rng.randint(6, 16)
            for first in range(0, village_count, SEGMENT_SIZE):
                segment += 1
                size = min(SEGMENT_SIZE, village_count - first)
                segment_code = f"{station.code}{segment:03d}"
                for serial in range(1, size + 1):
                    account_no = f"{station.number:02d}{segment:03d}{serial:05d}"
                    place = f"{township.name_zh}{village}{rng.randint(1, groups)}组"
                    self._customer(chunk, account_no, station, segment_code, village, place)

    def _name(self, category: CustomerCategory, village: str) -> str:
        rng = self._rng
        surname: str = self._surname.pick(rng.random())
        if category is CustomerCategory.NON_RESIDENTIAL:
            kind = BUSINESS_KINDS[int(rng.random() * len(BUSINESS_KINDS))]
            if kind in {"小卖部", "超市", "农家乐", "茶厂"}:
                return f"{surname}记{kind}"
            return f"{village}{kind}"
        letters = GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE
        given = letters[int(rng.random() * len(letters))]
        if rng.random() < 0.8:
            given += letters[int(rng.random() * len(letters))]
        return surname + given

    def _customer(  # noqa: PLR0917 - one call site, in the hot loop
        self,
        chunk: CountyChunk,
        account_no: str,
        station: StationInfo,
        segment_code: str,
        village: str,
        place: str,
    ) -> None:
        rng = self._rng
        summary = self.summary
        category: CustomerCategory = self._category.pick(rng.random())
        behaviour: str = self._behaviour.pick(rng.random())
        median, spread, lowest, highest = _BASE_KWH[category]
        base_kwh = min(max(round(median * rng.lognormvariate(0.0, spread)), lowest), highest)
        prepaid = rounding = 0
        if behaviour == PUNCTUAL:
            if rng.random() < 0.08:
                prepaid = rng.randint(10, 200) * 100
            if rng.random() < 0.15:
                rounding = rng.randint(1, 99)
        opened_on = date(2003, 1, 1) + timedelta(days=int(rng.random() * 4500))
        self._change_seq += 1
        chunk.customers.append(
            (
                account_no,
                self._name(category, village),
                f"{PROVINCE_NAME_ZH}{COUNTY_NAME_ZH}{place}",
                category.value,
                station.code,
                segment_code,
                f"34{account_no}",
                base_kwh,
                prepaid,
                rounding,
                "active",
                opened_on,
                self._change_seq,
            )
        )
        chunk.behaviours[account_no] = behaviour
        summary.customers += 1
        summary.behaviours[behaviour] = summary.behaviours.get(behaviour, 0) + 1
        summary.categories[category.value] = summary.categories.get(category.value, 0) + 1
        self._bills_of(chunk, account_no, category, behaviour, base_kwh)

    def _pre_window_kwh(self, category: CustomerCategory, base_kwh: int) -> int:
        """kWh of the months before the window that count toward the first month's tiers."""
        seasons = self._pre_window.get(category)
        if seasons is None:
            first = self._months[0].period
            period = self.schedule.accumulation_start(category=category, period=first)
            seasons = []
            while period < first:
                seasons.append(SEASON_PER_MILLE[parse_period(period)[1] - 1])
                period = add_months(period, 1)
            self._pre_window[category] = seasons
        total = 0
        for season in seasons:
            noise = NOISE_MIN_PER_MILLE + int(self._rng.random() * 401)
            total += base_kwh * season * noise // 1_000_000
        return total

    def _bills_of(
        self,
        chunk: CountyChunk,
        account_no: str,
        category: CustomerCategory,
        behaviour: str,
        base_kwh: int,
    ) -> None:
        rng = self._rng
        random_ = rng.random
        as_of = self.spec.as_of
        months = self._months
        count = len(months)
        unpaid_from = count  # chronic: bills from this index on are never paid
        if behaviour == CHRONIC:
            unpaid = rng.randint(CHRONIC_UNPAID_MIN, CHRONIC_UNPAID_MAX)
            unpaid_from = max(count - unpaid, 0)
        partial_due = (
            sorted((i for i, m in enumerate(months) if m.due_date < as_of), reverse=True)[
                :PARTIAL_LAST_BILLS
            ]
            if behaviour == PARTIAL
            else []
        )
        year_before = self._pre_window_kwh(category, base_kwh)
        reading = int(random_() * 20_000)
        readings, receivables = chunk.meter_readings, chunk.receivables
        open_years: set[int] = set()
        oldest_overdue: date | None = None
        for index, month in enumerate(months):
            if index and self._starts_year(category, month.period):
                year_before = 0
            noise = NOISE_MIN_PER_MILLE + int(random_() * 401)
            kwh = base_kwh * month.season * noise // 1_000_000
            bill = self.bills.bill(
                category=category, period=month.period, kwh=kwh, year_kwh_before=year_before
            )
            readings.append(
                (account_no, month.period, reading, reading + kwh, kwh, month.read_on, False)
            )
            reading += kwh
            principal = bill.amount_fen
            paid = penalty_paid = 0
            settled_on: date | None = None
            draw = random_()
            if principal == 0:
                settled_on = month.billed_on
            elif behaviour == PUNCTUAL:
                pay_on = month.due_date - timedelta(days=int(draw * PUNCTUAL_DAYS_EARLY))
                if pay_on <= as_of:
                    paid, settled_on = principal, pay_on
            elif index < unpaid_from:
                pay_on = month.due_date + timedelta(days=1 + int(draw * LATE_DAYS_MAX))
                if index in partial_due:
                    pay_on = month.due_date + timedelta(days=1 + int(draw * 30))
                if pay_on <= as_of:
                    penalty_paid = compute_penalty(
                        principal_unpaid=principal,
                        due_date=month.due_date,
                        pay_date=pay_on,
                        category=category,
                        rules=self.rules,
                    )
                    if index in partial_due:
                        paid = principal // 2 // 100 * 100
                        if paid == 0:
                            penalty_paid = 0
                    else:
                        paid, settled_on = principal, pay_on
            state = "settled" if settled_on else ("partial" if paid else "unpaid")
            self._receivable_id += 1
            self._change_seq += 1
            receivables.append(
                (
                    self._receivable_id,
                    account_no,
                    month.period,
                    1,
                    kwh,
                    bill.free_kwh,
                    year_before,
                    principal,
                    paid,
                    penalty_paid,
                    month.due_date,
                    month.billed_on,
                    state,
                    settled_on,
                    self._change_seq,
                )
            )
            if self._receivable_id % VALIDATION_EVERY == 0:
                self._validate(category, month.period, kwh, year_before, principal)
            year_before += kwh
            self.summary.principal_total += principal
            if settled_on is None:
                self.summary.open_receivables += 1
                open_years.add(month.year)
                if month.due_date < as_of:
                    self.summary.overdue_receivables += 1
                    self.summary.arrears_principal += principal - paid
                    if oldest_overdue is None:
                        oldest_overdue = month.due_date
        self.summary.meter_readings += count
        self.summary.receivables += count
        if oldest_overdue is not None:
            self.summary.customers_overdue += 1
            if (as_of - oldest_overdue).days > LONG_OVERDUE_DAYS:
                self.summary.customers_long_overdue += 1
        if len(open_years) > 1:
            self.summary.customers_across_year_end += 1

    def _validate(
        self, category: CustomerCategory, period: str, kwh: int, year_before: int, principal: int
    ) -> None:
        direct = self.schedule.bill(
            category=category, period=period, kwh=kwh, year_kwh_before=year_before
        )
        if direct.amount_fen != principal:
            raise RuntimeError(
                f"bill cache disagrees with the tariff for {category} {period} {kwh} kWh"
                f" after {year_before}: {principal} != {direct.amount_fen}"
            )
