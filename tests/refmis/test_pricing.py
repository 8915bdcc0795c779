"""Bill dates, consumption profiles, and the bill cache against the domain tariff itself."""

from __future__ import annotations

from datetime import date

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.tariff import TariffSchedule, default_tariff_schedule
from gridpos.refmis.pricing import BillCache, BillingPolicy, estimated_noise, monthly_kwh


def test_bill_dates_of_a_month() -> None:
    policy = BillingPolicy()
    assert policy.read_on("202602") == date(2026, 2, 28)
    assert policy.billed_on("202612") == date(2027, 1, 1)
    assert policy.due_date(period="202612", billed_on=date(2027, 1, 1)) == date(2027, 1, 25)
    # Billed late: the customer still gets fifteen days.
    assert policy.due_date(period="202601", billed_on=date(2026, 4, 10)) == date(2026, 4, 25)


def test_consumption_profile() -> None:
    # 100 kWh typical, January (1350 ‰), noise 1100 ‰: 100 × 1.35 × 1.1 = 148.5 → 148.
    assert monthly_kwh(base_kwh=100, month=1, noise_per_mille=1100) == 148
    # April (850 ‰) at the lowest noise (800 ‰): 68.
    assert monthly_kwh(base_kwh=100, month=4, noise_per_mille=800) == 68
    noise = estimated_noise(account_no="0100100001", period="202604")
    assert noise == estimated_noise(account_no="0100100001", period="202604")
    assert 800 <= noise <= 1200
    spread = {estimated_noise(account_no="0100100001", period=f"2026{m:02d}") for m in range(1, 13)}
    assert len(spread) > 6


@pytest.mark.parametrize("category", list(CustomerCategory))
@pytest.mark.parametrize("period", ["201206", "201207", "201212", "202601", "202607"])
def test_cached_bills_equal_the_tariff(category: CustomerCategory, period: str) -> None:
    schedule = default_tariff_schedule()
    cache = BillCache(schedule)
    # Around every threshold (2160, 4200) and well inside each band, the free kWh included.
    starts = [0, 5, 1500, 2150, 2155, 2160, 2161, 3000, 4190, 4199, 4200, 4201, 9000]
    for start in starts:
        for kwh in [0, 3, 10, 11, 60, 180, 359, 1200]:
            expected = schedule.bill(
                category=category, period=period, kwh=kwh, year_kwh_before=start
            )
            got = cache.bill(category=category, period=period, kwh=kwh, year_kwh_before=start)
            assert got.amount_fen == expected.amount_fen, (start, kwh)
            assert got.lines == expected.lines, (start, kwh)
            assert got.free_kwh == expected.free_kwh


def test_the_cache_is_exact_when_the_first_year_is_prorated() -> None:
    entries = [
        {
            "category": "residential",
            "valid_from": "2012-07-01",
            "valid_to": None,
            "accumulation": "annual",
            "prorate_first_year": True,
            "tiers": [
                {"monthly_up_to_kwh": 180, "annual_up_to_kwh": 2160, "price_e4": 5653},
                {"monthly_up_to_kwh": 350, "annual_up_to_kwh": 4200, "price_e4": 6153},
                {"monthly_up_to_kwh": None, "annual_up_to_kwh": None, "price_e4": 8653},
            ],
        }
    ]
    schedule = TariffSchedule.from_config(entries)
    cache = BillCache(schedule)
    residential = CustomerCategory.RESIDENTIAL
    # 2012 is prorated to six months: thresholds 1080 / 2100. 100 kWh from 1000: 80 + 20.
    for start in (0, 1000, 1079, 1080, 2000, 2100):
        expected = schedule.bill(
            category=residential, period="201209", kwh=100, year_kwh_before=start
        )
        got = cache.bill(category=residential, period="201209", kwh=100, year_kwh_before=start)
        assert got == expected
    split = cache.bill(category=residential, period="201209", kwh=100, year_kwh_before=1000)
    assert [line.kwh for line in split.lines] == [80, 20]
