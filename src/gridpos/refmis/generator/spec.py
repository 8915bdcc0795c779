"""What a generated county is asked to be, how its customers pay, and what came out.

Payment behaviour (per customer, drawn once; per mille of customers):

- ``punctual`` (800): pays every bill 0–19 days before its due date, so is never overdue;
- ``late`` (120): pays every bill 1–60 days after its due date, with the penalty, so is overdue a
  month or two at most;
- ``chronic`` (50): pays late until it stops: its last 4–18 bills (at most all of them) are unpaid,
  so it is long overdue, often across a year end;
- ``partial`` (30): pays late, but its last two bills due are only half paid (whole yuan, penalty
  first).

A bill of zero (no billable kWh) is settled on its billing day whatever the behaviour. A payment day
after the county's ``as_of`` date has not happened yet: that bill is still open.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Final

from gridpos.domain.dates import PeriodError, add_months, parse_period
from gridpos.refmis.errors import refusal
from gridpos.refmis.pricing import BillingPolicy

PUNCTUAL: Final[str] = "punctual"
LATE: Final[str] = "late"
CHRONIC: Final[str] = "chronic"
PARTIAL: Final[str] = "partial"
BEHAVIOUR_PER_MILLE: Final[tuple[tuple[str, int], ...]] = (
    (PUNCTUAL, 800),
    (LATE, 120),
    (CHRONIC, 50),
    (PARTIAL, 30),
)
PUNCTUAL_DAYS_EARLY: Final[int] = 20  # 0..19 days before the due date
LATE_DAYS_MAX: Final[int] = 60  # 1..60 days after the due date
CHRONIC_UNPAID_MIN: Final[int] = 4
CHRONIC_UNPAID_MAX: Final[int] = 18
PARTIAL_LAST_BILLS: Final[int] = 2
# Customer categories, per mille: about nine in ten plain residential.
CATEGORY_PER_MILLE: Final[tuple[tuple[str, int], ...]] = (
    ("residential", 890),
    ("subsidised", 40),
    ("shared_meter", 20),
    ("non_residential", 50),
)
MAX_CUSTOMERS: Final[int] = 2_000_000
MAX_MONTHS: Final[int] = 120


@dataclass(frozen=True, slots=True)
class CountySpec:
    """A county to generate: ``months`` bills per customer ending with ``last_period``; arrears as
    of ``as_of`` (a day on or after the last bills were issued). Same spec, same county.

    Raises :class:`~gridpos.refmis.errors.MisError` (``customers_invalid``, ``months_invalid``,
    ``period_invalid``, ``as_of_invalid``) when built with values out of range.
    """

    customers: int
    months: int
    seed: int
    last_period: str
    as_of: date
    policy: BillingPolicy = field(default_factory=BillingPolicy)

    def __post_init__(self) -> None:
        if not 1 <= self.customers <= MAX_CUSTOMERS:
            raise refusal(
                "customers_invalid",
                "customers",
                f"用户数应在 1 至 {MAX_CUSTOMERS} 之间",
                f"the number of customers must be 1 to {MAX_CUSTOMERS}",
            )
        if not 1 <= self.months <= MAX_MONTHS:
            raise refusal(
                "months_invalid",
                "months",
                f"月数应在 1 至 {MAX_MONTHS} 之间",
                f"the number of months must be 1 to {MAX_MONTHS}",
            )
        try:
            parse_period(self.last_period, field="last_period")
        except PeriodError as exc:
            raise refusal("period_invalid", "last_period", exc.message_zh, exc.message_en) from exc
        if self.as_of < self.policy.billed_on(self.last_period):
            raise refusal(
                "as_of_invalid",
                "as_of",
                "截止日期早于最后一期电费的发行日",
                "as_of is before the last bills were issued",
            )

    @property
    def periods(self) -> tuple[str, ...]:
        """The billing months, oldest first."""
        return tuple(add_months(self.last_period, -k) for k in range(self.months - 1, -1, -1))


@dataclass(slots=True)
class CountySummary:
    """What a generated county holds, counted while it was generated."""

    customers: int = 0
    stations: int = 0
    villages: int = 0
    meter_readings: int = 0
    receivables: int = 0
    principal_total: int = 0
    open_receivables: int = 0  # unpaid or partly paid
    overdue_receivables: int = 0  # open and past the due date on as_of
    arrears_principal: int = 0  # unpaid principal of the overdue receivables
    customers_overdue: int = 0
    customers_long_overdue: int = 0  # oldest overdue bill more than 60 days past due
    customers_across_year_end: int = 0  # open bills of two or more calendar years
    behaviours: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
