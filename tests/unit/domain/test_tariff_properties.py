"""Properties of billing under the default tariff and under the monthly accumulation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.money import round_half_up_div
from gridpos.domain.rules_anhui import TARIFF_ENTRIES
from gridpos.domain.tariff import Bill, TariffSchedule, default_tariff_schedule

DEFAULT = default_tariff_schedule()
MONTHLY = TariffSchedule.from_config(
    [dict(entry, accumulation="monthly") if "tiers" in entry else entry for entry in TARIFF_ENTRIES]
)

categories = st.sampled_from(list(CustomerCategory))
periods = st.builds(
    lambda year, month: f"{year}{month:02d}",
    st.integers(min_value=2008, max_value=2035),
    st.integers(min_value=1, max_value=12),
)
kwhs = st.integers(min_value=0, max_value=20_000)
year_before = st.integers(min_value=0, max_value=60_000)
schedules = st.sampled_from([DEFAULT, MONTHLY])


def _check_bill(bill: Bill) -> None:
    assert bill.amount_fen == sum(line.amount_fen for line in bill.lines)
    assert bill.kwh == sum(line.kwh for line in bill.lines)
    assert bill.kwh == sum(line.kwh for line in bill.lines if line.unit_price_e4) + bill.free_kwh
    for line in bill.lines:
        assert line.kwh > 0
        assert line.amount_fen == round_half_up_div(line.kwh * line.unit_price_e4, 100)
    prices = [line.unit_price_e4 for line in bill.lines]
    assert prices == sorted(prices)  # free first, then the bands in order
    assert len(prices) == len(set(prices))


@given(schedules, categories, periods, kwhs, year_before)
def test_a_bill_is_the_sum_of_its_lines(
    schedule: TariffSchedule, category: CustomerCategory, period: str, kwh: int, before: int
) -> None:
    _check_bill(schedule.bill(category=category, period=period, kwh=kwh, year_kwh_before=before))


@given(
    schedules,
    categories,
    periods,
    st.tuples(kwhs, st.integers(min_value=1, max_value=500)),
    year_before,
)
def test_more_kwh_is_never_cheaper(
    schedule: TariffSchedule,
    category: CustomerCategory,
    period: str,
    consumption: tuple[int, int],
    before: int,
) -> None:
    kwh, more = consumption
    less_bill = schedule.bill(category=category, period=period, kwh=kwh, year_kwh_before=before)
    more_bill = schedule.bill(
        category=category, period=period, kwh=kwh + more, year_kwh_before=before
    )
    assert more_bill.amount_fen >= less_bill.amount_fen


@given(categories, periods, kwhs, year_before, st.integers(min_value=1, max_value=5000))
def test_later_in_the_year_is_never_cheaper(
    category: CustomerCategory, period: str, kwh: int, before: int, more: int
) -> None:
    earlier = DEFAULT.bill(category=category, period=period, kwh=kwh, year_kwh_before=before)
    later = DEFAULT.bill(category=category, period=period, kwh=kwh, year_kwh_before=before + more)
    assert later.amount_fen >= earlier.amount_fen


@given(periods, st.lists(st.integers(min_value=0, max_value=900), min_size=12, max_size=12))
def test_annual_bands_split_a_year_exactly(period: str, months: list[int]) -> None:
    # Over a tiered year, whatever the monthly pattern, the kWh billed in each band are exactly
    # the year's total cut at 2160 and 4200.
    year = max(int(period[:4]), 2013)
    by_price: dict[int, int] = {}
    before = 0
    for month, kwh in enumerate(months, start=1):
        bill = DEFAULT.bill(
            category=CustomerCategory.RESIDENTIAL,
            period=f"{year}{month:02d}",
            kwh=kwh,
            year_kwh_before=before,
        )
        _check_bill(bill)
        for line in bill.lines:
            by_price[line.unit_price_e4] = by_price.get(line.unit_price_e4, 0) + line.kwh
        before += kwh
    total = sum(months)
    expected = {
        5653: min(total, 2160),
        6153: min(max(total - 2160, 0), 4200 - 2160),
        8653: max(total - 4200, 0),
    }
    assert by_price == {price: kwh for price, kwh in expected.items() if kwh}
