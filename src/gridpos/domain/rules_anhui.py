"""The default dated configuration: an Anhui county power-supply company (岳西 as the reference).

Plain Python data, validated when loaded (``TariffSchedule.from_config``,
``PenaltyRules.from_config``). A company with other rules passes its own entries; a change of
price or rule is a new dated entry, never an edit of an old one, so old bills stay reproducible.

Prices are in 1/10000 yuan per kWh (5653 = 0.5653 yuan/kWh). Tariff dates are the first day of a
month, ``valid_to`` exclusive; penalty dates are any day, ``valid_to`` exclusive.
"""

from __future__ import annotations

from typing import Any, Final

# The earliest billing month the default tariff prices. Older history needs its own entries.
_TARIFF_START: Final = "2008-01-01"
# Anhui residential tiered pricing (阶梯电价) took effect with July 2012 bills.
_TIERS_START: Final = "2012-07-01"

_ANHUI_TIERS: Final[list[dict[str, Any]]] = [
    # Monthly bands ≤180 / 181–350 / >350 kWh; annual thresholds are the bands × 12.
    {"monthly_up_to_kwh": 180, "annual_up_to_kwh": 2160, "price_e4": 5653},
    {"monthly_up_to_kwh": 350, "annual_up_to_kwh": 4200, "price_e4": 6153},
    {"monthly_up_to_kwh": None, "annual_up_to_kwh": None, "price_e4": 8653},
]

TARIFF_ENTRIES: Final[tuple[dict[str, Any], ...]] = (
    # 居民 before the tiers: flat 0.5653 yuan/kWh. The value for 2008–09 is NOT confirmed against
    # the price bureau's notices; it is assumed equal to the later one until a source says so.
    {
        "category": "residential",
        "valid_from": _TARIFF_START,
        "valid_to": _TIERS_START,
        "price_e4": 5653,
    },
    # 居民 from July 2012: three tiers accumulated over the calendar year ("annual"; "monthly"
    # would apply 180/350 to each month alone). The first, half year is not prorated here
    # ("prorate_first_year": False): set it to True if the county halved the 2012 thresholds.
    {
        "category": "residential",
        "valid_from": _TIERS_START,
        "valid_to": None,
        "accumulation": "annual",
        "prorate_first_year": False,
        "tiers": _ANHUI_TIERS,
    },
    # 居民合表 (shared meter): flat 0.5853, outside the tiers. Assumed unchanged since 2008.
    {
        "category": "shared_meter",
        "valid_from": _TARIFF_START,
        "valid_to": None,
        "price_e4": 5853,
    },
    # 低保/五保: residential prices; the 10 kWh free a month came with the tier reform of July 2012.
    {
        "category": "subsidised",
        "valid_from": _TARIFF_START,
        "valid_to": _TIERS_START,
        "price_e4": 5653,
    },
    {
        "category": "subsidised",
        "valid_from": _TIERS_START,
        "valid_to": None,
        "accumulation": "annual",
        "prorate_first_year": False,
        "free_kwh_per_month": 10,
        "tiers": _ANHUI_TIERS,
    },
    # 非居民: one flat rate. 0.7760 is the default figure only: the rate (and any split by voltage
    # or trade) is the county's to set in its own configuration.
    {
        "category": "non_residential",
        "valid_from": _TARIFF_START,
        "valid_to": None,
        "price_e4": 7760,
    },
)

PENALTY_ENTRIES: Final[tuple[dict[str, Any], ...]] = (
    # 《供电营业规则》 (电力工业部令第8号, 1996) art. 98: residential 1‰ a day; others 2‰ a day on
    # current-year arrears and 3‰ a day on cross-year arrears; a total under 1 yuan is charged as
    # 1 yuan, applied to each receivable. Rates are per mille per day, as integers or decimal text.
    {
        "valid_from": "1996-10-08",
        "valid_to": None,
        "residential_per_mille": "1",
        "non_residential_current_year_per_mille": "2",
        "non_residential_cross_year_per_mille": "3",
        "minimum_fen": 100,
        "minimum_scope": "receivable",
    },
)
