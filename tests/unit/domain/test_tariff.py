"""Worked bills under the default (Anhui) tariff and a few custom ones; numbers computed by hand.

A line is kWh × price / 10000 yuan, i.e. kWh × price_e4 / 100 fen, rounded half-up.
"""

from __future__ import annotations

from typing import Any

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.dates import PeriodError
from gridpos.domain.errors import DomainError
from gridpos.domain.rules_anhui import TARIFF_ENTRIES
from gridpos.domain.tariff import (
    Bill,
    BillingError,
    ChargeLine,
    TariffConfigError,
    TariffSchedule,
    default_tariff_schedule,
)

R = CustomerCategory.RESIDENTIAL
SM = CustomerCategory.SHARED_METER
SUB = CustomerCategory.SUBSIDISED
NR = CustomerCategory.NON_RESIDENTIAL

SCHEDULE = default_tariff_schedule()


def _lines(bill: Bill) -> list[tuple[int, int, int]]:
    return [(line.kwh, line.unit_price_e4, line.amount_fen) for line in bill.lines]


@pytest.mark.parametrize(
    ("category", "period", "consumption", "lines", "total"),
    [
        # Before the tiers: flat 0.5653. 100 × 5653 / 100 = 5653.
        (R, "201101", (100, 0), [(100, 5653, 5653)], 5653),
        # 157 × 5653 = 887521 -> 8875.21 -> 8875.
        (R, "201106", (157, 0), [(157, 5653, 8875)], 8875),
        # 50 × 5653 = 282650 -> 2826.5 -> 2827 (half-up, not to even).
        (R, "201101", (50, 0), [(50, 5653, 2827)], 2827),
        # Flat months ignore the year's accumulation.
        (R, "201206", (500, 5000), [(500, 5653, 28265)], 28265),
        # Tiers from July 2012: 200 kWh all in the first band: 200 × 5653 = 1130600 -> 11306.
        (R, "201207", (200, 0), [(200, 5653, 11306)], 11306),
        # Cumulative 2000 -> 2300 crosses 2160: 160 × 5653 = 904480 -> 9044.8 -> 9045;
        # 140 × 6153 = 861420 -> 8614.2 -> 8614; 9045 + 8614 = 17659.
        (R, "201301", (300, 2000), [(160, 5653, 9045), (140, 6153, 8614)], 17659),
        # Cumulative 2100 -> 4300 crosses both: 60 × 5653 = 339180 -> 3392;
        # 2040 × 6153 = 12552120 -> 125521; 100 × 8653 = 865300 -> 8653; total 137566.
        (
            R,
            "201812",
            (2200, 2100),
            [(60, 5653, 3392), (2040, 6153, 125521), (100, 8653, 8653)],
            137566,
        ),
        # Already past 4200: 100 × 8653 = 8653.
        (R, "201911", (100, 5000), [(100, 8653, 8653)], 8653),
        # Ending exactly on the threshold stays in the first band: 10 × 5653 = 56530 -> 565.
        (R, "202006", (10, 2150), [(10, 5653, 565)], 565),
        # Starting exactly on the threshold is all second band: 10 × 6153 = 61530 -> 615.
        (R, "202006", (10, 2160), [(10, 6153, 615)], 615),
        # Starting on 4200: all third band: 20 × 8653 = 173060 -> 1730.6 -> 1731.
        (R, "202412", (20, 4200), [(20, 8653, 1731)], 1731),
        # A new calendar year: the caller passes 0 and January starts in the first band again.
        (R, "202501", (400, 0), [(400, 5653, 22612)], 22612),
        # 合表: flat 0.5853, no tiers even far into the year: 300 × 5853 = 1755900 -> 17559.
        (SM, "201301", (300, 9000), [(300, 5853, 17559)], 17559),
        (SM, "200801", (33, 0), [(33, 5853, 1931)], 1931),  # 33 × 5853 = 193149 -> 1931.49 -> 1931
        # 非居民: flat 0.7760: 1000 × 7760 = 7760000 -> 77600.
        (NR, "201301", (1000, 0), [(1000, 7760, 77600)], 77600),
        # 低保/五保 before the reform: flat, nothing free.
        (SUB, "201101", (100, 0), [(100, 5653, 5653)], 5653),
        # 低保/五保 after: 10 kWh free, then tiers: 190 × 5653 = 1074070 -> 10740.7 -> 10741.
        (SUB, "201301", (200, 0), [(10, 0, 0), (190, 5653, 10741)], 10741),
        # Under 10 kWh: all free.
        (SUB, "201301", (8, 0), [(8, 0, 0)], 0),
        # Free kWh are the month's first kWh: cumulative 2155 -> 2165 free, then 2165 -> 2255
        # all second band: 90 × 6153 = 553770 -> 5537.7 -> 5538.
        (SUB, "201310", (100, 2155), [(10, 0, 0), (90, 6153, 5538)], 5538),
        # Nothing consumed: no lines.
        (R, "201301", (0, 0), [], 0),
        (SUB, "201301", (0, 0), [], 0),
    ],
)
def test_default_tariff_bills(
    category: CustomerCategory,
    period: str,
    consumption: tuple[int, int],
    lines: list[tuple[int, int, int]],
    total: int,
) -> None:
    kwh, before = consumption
    bill = SCHEDULE.bill(category=category, period=period, kwh=kwh, year_kwh_before=before)
    assert _lines(bill) == lines
    assert bill.amount_fen == total
    assert bill.kwh == kwh
    assert bill.period == period
    assert bill.category is category


def test_line_labels_name_the_bands_in_both_languages() -> None:
    bill = SCHEDULE.bill(category=SUB, period="201812", kwh=2200, year_kwh_before=2100)
    assert [(line.label_zh, line.label_en) for line in bill.lines] == [
        ("免费电量", "Free allowance"),
        ("第一档", "Tier 1"),
        ("第二档", "Tier 2"),
        ("第三档", "Tier 3"),
    ]
    assert bill.free_kwh == 10
    flat = SCHEDULE.bill(category=NR, period="201812", kwh=1)
    assert flat.lines == (ChargeLine("电度电费", "Energy charge", 1, 7760, 78),)


def test_category_given_as_its_value_is_accepted() -> None:
    bill = SCHEDULE.bill(category="shared_meter", period="201301", kwh=300)  # type: ignore[arg-type]
    assert bill.category is SM
    assert bill.amount_fen == 17559


def _tiered(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "category": "residential",
        "valid_from": "2012-07-01",
        "valid_to": None,
        "accumulation": "annual",
        "tiers": [
            {"monthly_up_to_kwh": 180, "annual_up_to_kwh": 2160, "price_e4": 5653},
            {"monthly_up_to_kwh": 350, "annual_up_to_kwh": 4200, "price_e4": 6153},
            {"monthly_up_to_kwh": None, "annual_up_to_kwh": None, "price_e4": 8653},
        ],
    }
    entry.update(overrides)
    return entry


def test_monthly_bands_apply_to_each_month_alone() -> None:
    schedule = TariffSchedule.from_config([_tiered(accumulation="monthly")])
    # 400 kWh: 180 × 5653 = 1017540 -> 10175.4 -> 10175; 170 × 6153 = 1046010 -> 10460;
    # 50 × 8653 = 432650 -> 4326.5 -> 4327; total 24962. The year's earlier kWh do not matter.
    for before in (0, 3000, 9000):
        bill = schedule.bill(category=R, period="201308", kwh=400, year_kwh_before=before)
        assert _lines(bill) == [(180, 5653, 10175), (170, 6153, 10460), (50, 8653, 4327)]
        assert bill.amount_fen == 24962


def test_monthly_bands_with_free_kwh() -> None:
    schedule = TariffSchedule.from_config(
        [_tiered(category="subsidised", accumulation="monthly", free_kwh_per_month=15)]
    )
    # 200 kWh: 15 free, 165 first band (165 × 5653 = 932745 -> 9327.45 -> 9327), 20 second band
    # (20 × 6153 = 123060 -> 1230.6 -> 1231); total 10558.
    bill = schedule.bill(category=SUB, period="201308", kwh=200)
    assert _lines(bill) == [(15, 0, 0), (165, 5653, 9327), (20, 6153, 1231)]
    assert bill.amount_fen == 10558
    assert bill.free_kwh == 15


def test_first_tiered_year_prorated_when_configured() -> None:
    flat = {
        "category": "residential",
        "valid_from": "2008-01-01",
        "valid_to": "2012-07-01",
        "price_e4": 5653,
    }
    schedule = TariffSchedule.from_config([flat, _tiered(prorate_first_year=True)])
    # July–December: 6 months, thresholds 2160 × 6/12 = 1080 and 4200 × 6/12 = 2100.
    # Cumulative 1000 -> 1200: 80 × 5653 = 452240 -> 4522; 120 × 6153 = 738360 -> 7384.
    bill = schedule.bill(category=R, period="201208", kwh=200, year_kwh_before=1000)
    assert _lines(bill) == [(80, 5653, 4522), (120, 6153, 7384)]
    assert bill.amount_fen == 11906
    # From 2013 the full thresholds apply.
    bill = schedule.bill(category=R, period="201308", kwh=200, year_kwh_before=1000)
    assert _lines(bill) == [(200, 5653, 11306)]
    # Not prorated (the default): July 2012 uses the full 2160.
    bill = SCHEDULE.bill(category=R, period="201208", kwh=200, year_kwh_before=1000)
    assert _lines(bill) == [(200, 5653, 11306)]


@pytest.mark.parametrize(
    ("category", "period", "start"),
    [
        (R, "201207", "201207"),  # the tiers began in July 2012
        (R, "201210", "201207"),
        (R, "201212", "201207"),
        (R, "201301", "201301"),
        (R, "201305", "201301"),
        (R, "202412", "202401"),
        (R, "201101", "201101"),  # flat: nothing accumulates
        (SM, "201305", "201305"),
        (NR, "201305", "201305"),
        (SUB, "201211", "201207"),
    ],
)
def test_accumulation_start(category: CustomerCategory, period: str, start: str) -> None:
    assert SCHEDULE.accumulation_start(category=category, period=period) == start


def test_accumulation_continues_across_a_price_change_within_the_year() -> None:
    old = _tiered(valid_to="2016-04-01")
    new = _tiered(valid_from="2016-04-01")
    new["tiers"] = [dict(tier, price_e4=tier["price_e4"] + 100) for tier in new["tiers"]]
    schedule = TariffSchedule.from_config([old, new])
    assert schedule.accumulation_start(category=R, period="201606") == "201601"
    # Cumulative 2100 -> 2200 under the new prices: 60 × 5753 = 345180 -> 3452;
    # 40 × 6253 = 250120 -> 2501.
    bill = schedule.bill(category=R, period="201606", kwh=100, year_kwh_before=2100)
    assert _lines(bill) == [(60, 5753, 3452), (40, 6253, 2501)]


@pytest.mark.parametrize(
    ("kwargs", "error", "code", "field"),
    [
        ({"kwh": -1}, BillingError, "kwh_negative", "kwh"),
        ({"kwh": 1.5}, BillingError, "kwh_invalid", "kwh"),
        ({"kwh": True}, BillingError, "kwh_invalid", "kwh"),
        ({"kwh": "100"}, BillingError, "kwh_invalid", "kwh"),
        ({"year_kwh_before": -5}, BillingError, "kwh_negative", "year_kwh_before"),
        ({"period": "2013-01"}, PeriodError, "period_invalid", "period"),
        ({"period": "201213"}, PeriodError, "period_invalid", "period"),
        ({"period": "201300"}, PeriodError, "period_invalid", "period"),
        ({"period": "20131"}, PeriodError, "period_invalid", "period"),
        ({"period": "２０１３０１"}, PeriodError, "period_invalid", "period"),
        ({"period": "200712"}, TariffConfigError, "tariff_not_in_force", "period"),
    ],
)
def test_bad_bill_input_is_refused_by_name(
    kwargs: dict[str, Any], error: type[DomainError], code: str, field: str
) -> None:
    arguments: dict[str, Any] = {"category": R, "period": "201301", "kwh": 100}
    arguments.update(kwargs)
    with pytest.raises(error) as caught:
        SCHEDULE.bill(**arguments)
    assert caught.value.code == code
    assert caught.value.field == field
    assert caught.value.message_zh
    assert caught.value.message_en


def test_a_category_without_a_tariff_is_refused_when_billed() -> None:
    schedule = TariffSchedule.from_config([_tiered()])
    with pytest.raises(TariffConfigError) as caught:
        schedule.bill(category=NR, period="201301", kwh=10)
    assert caught.value.code == "tariff_not_in_force"
    assert "非居民" in caught.value.message_zh


def test_an_entry_with_an_end_stops_pricing_at_its_end() -> None:
    schedule = TariffSchedule.from_config([_tiered(valid_to="2020-01-01")])
    assert schedule.bill(category=R, period="201912", kwh=1).amount_fen == 57  # 56.53 -> 57
    with pytest.raises(TariffConfigError) as caught:
        schedule.bill(category=R, period="202001", kwh=1)
    assert caught.value.code == "tariff_not_in_force"


def test_default_configuration_covers_every_category_from_2008_on() -> None:
    categories = {entry["category"] for entry in TARIFF_ENTRIES}
    assert categories == {category.value for category in CustomerCategory}
    for category in CustomerCategory:
        for period in ("200801", "201206", "201207", "203012"):
            assert SCHEDULE.bill(category=category, period=period, kwh=1).kwh == 1
