"""Loading the dated tariff configuration refuses what cannot be right, naming where."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.rules_anhui import TARIFF_ENTRIES
from gridpos.domain.tariff import Accumulation, TariffConfigError, TariffSchedule


def _flat(valid_from: Any, valid_to: Any, price: Any = 5653, **extra: Any) -> dict[str, Any]:
    entry = {"category": "residential", "valid_from": valid_from, "valid_to": valid_to}
    entry["price_e4"] = price
    entry.update(extra)
    return entry


def _tiers() -> list[dict[str, Any]]:
    return [
        {"monthly_up_to_kwh": 180, "annual_up_to_kwh": 2160, "price_e4": 5653},
        {"monthly_up_to_kwh": 350, "annual_up_to_kwh": 4200, "price_e4": 6153},
        {"monthly_up_to_kwh": None, "annual_up_to_kwh": None, "price_e4": 8653},
    ]


def _tiered(tiers: Any = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "category": "residential",
        "valid_from": "2012-07-01",
        "valid_to": None,
        "tiers": _tiers() if tiers is None else tiers,
    }
    entry.update(extra)
    return entry


def _refused(entries: Any) -> TariffConfigError:
    with pytest.raises(TariffConfigError) as caught:
        TariffSchedule.from_config(entries)
    assert caught.value.message_zh
    assert caught.value.message_en
    return caught.value


def test_default_configuration_loads() -> None:
    schedule = TariffSchedule.from_config(TARIFF_ENTRIES)
    entry = schedule.entry_for(category=CustomerCategory.RESIDENTIAL, period="201207")
    assert entry.accumulation is Accumulation.ANNUAL
    assert [tier.annual_up_to_kwh for tier in entry.tiers] == [2160, 4200, None]
    assert [tier.monthly_up_to_kwh for tier in entry.tiers] == [180, 350, None]
    assert [tier.price_e4 for tier in entry.tiers] == [5653, 6153, 8653]
    assert entry.valid_from == date(2012, 7, 1)
    assert entry.valid_to is None


def test_dates_may_be_date_objects_and_entries_in_any_order() -> None:
    later = _flat(date(2012, 7, 1), None, 6000)
    earlier = _flat(date(2008, 1, 1), date(2012, 7, 1))
    schedule = TariffSchedule.from_config([later, earlier])
    assert (
        schedule.bill(category=CustomerCategory.RESIDENTIAL, period="201206", kwh=1)
        .lines[0]
        .unit_price_e4
        == 5653
    )
    assert (
        schedule.bill(category=CustomerCategory.RESIDENTIAL, period="201207", kwh=1)
        .lines[0]
        .unit_price_e4
        == 6000
    )


@pytest.mark.parametrize(
    ("entries", "code", "field"),
    [
        # overlap: the first is open-ended, the second starts later
        (
            [_flat("2008-01-01", None), _flat("2012-07-01", None)],
            "tariff_overlap",
            "residential@2012-07-01",
        ),
        # overlap: the second starts before the first ends
        (
            [_flat("2008-01-01", "2013-01-01"), _flat("2012-07-01", None)],
            "tariff_overlap",
            "residential@2012-07-01",
        ),
        # two entries from the same day
        ([_flat("2008-01-01", None), _flat("2008-01-01", None)], "tariff_overlap", None),
        # gap: nothing for June 2012
        (
            [_flat("2008-01-01", "2012-06-01"), _flat("2012-07-01", None)],
            "tariff_gap",
            "residential@2012-07-01",
        ),
        # backwards and empty ranges
        ([_flat("2012-07-01", "2008-01-01")], "tariff_backwards", "entries[0].valid_to"),
        ([_flat("2012-07-01", "2012-07-01")], "tariff_backwards", "entries[0].valid_to"),
        # dates
        ([_flat("2012-07-15", None)], "tariff_config_invalid", "entries[0].valid_from"),
        ([_flat("2008-01-01", "2012-07-02")], "tariff_config_invalid", "entries[0].valid_to"),
        ([_flat("01/07/2012", None)], "tariff_config_invalid", "entries[0].valid_from"),
        ([_flat(None, None)], "tariff_config_invalid", "entries[0].valid_from"),
        ([_flat(20120701, None)], "tariff_config_invalid", "entries[0].valid_from"),
        # categories and keys
        (
            [_flat("2008-01-01", None, category="industrial")],
            "tariff_unknown_category",
            "entries[0].category",
        ),
        ([_flat("2008-01-01", None, price_e4_typo=1)], "tariff_config_invalid", "entries[0]"),
        ([_tiered(accumulation="weekly")], "tariff_config_invalid", "entries[0].accumulation"),
        ([_tiered(prorate_first_year="yes")], "tariff_config_invalid", None),
        ([_flat("2008-01-01", None, free_kwh_per_month=-1)], "tariff_config_invalid", None),
        # prices
        ([_flat("2008-01-01", None, 0)], "tariff_bad_price", "entries[0].price_e4"),
        ([_flat("2008-01-01", None, -5653)], "tariff_bad_price", "entries[0].price_e4"),
        ([_flat("2008-01-01", None, 0.5653)], "tariff_bad_price", "entries[0].price_e4"),
        ([_flat("2008-01-01", None, "5653")], "tariff_bad_price", "entries[0].price_e4"),
        ([_flat("2008-01-01", None, True)], "tariff_bad_price", "entries[0].price_e4"),
        ([_flat("2008-01-01", None, None)], "tariff_bad_price", "entries[0].price_e4"),
        ([_flat("2008-01-01", None, 100_001)], "tariff_bad_price", "entries[0].price_e4"),
        # empty configurations
        ([], "tariff_config_invalid", "entries"),
        ("residential", "tariff_config_invalid", "entries"),
        (["not a mapping"], "tariff_config_invalid", "entries[0]"),
    ],
)
def test_configuration_refused(entries: Any, code: str, field: str | None) -> None:
    error = _refused(entries)
    assert error.code == code
    if field is not None:
        assert error.field == field


def _tiers_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    tiers = _tiers()
    tiers[index].update(changes)
    return tiers


@pytest.mark.parametrize(
    ("tiers", "code"),
    [
        ([], "tariff_config_invalid"),
        (_tiers()[2:], "tariff_config_invalid"),  # one open band is a flat price
        ("180,350", "tariff_config_invalid"),
        (_tiers_with(1, monthly_up_to_kwh=180), "tariff_config_invalid"),  # not increasing
        (_tiers_with(1, annual_up_to_kwh=2000), "tariff_config_invalid"),
        (_tiers_with(0, monthly_up_to_kwh=0, annual_up_to_kwh=0), "tariff_config_invalid"),
        (_tiers_with(1, annual_up_to_kwh=None), "tariff_config_invalid"),  # open in the middle
        (_tiers_with(2, monthly_up_to_kwh=500, annual_up_to_kwh=6000), "tariff_config_invalid"),
        (_tiers_with(1, price_e4=5000), "tariff_bad_price"),  # a higher band cannot be cheaper
        (_tiers_with(2, price_e4=0), "tariff_bad_price"),
        (_tiers_with(0, unknown=1), "tariff_config_invalid"),
        ([{"monthly_up_to_kwh": 180, "price_e4": 5653}, *_tiers()[1:]], "tariff_config_invalid"),
        (["band", *_tiers()[1:]], "tariff_config_invalid"),
        (_tiers_with(0, monthly_up_to_kwh=-1), "tariff_config_invalid"),
    ],
)
def test_tiers_refused(tiers: Any, code: str) -> None:
    error = _refused([_tiered(tiers)])
    assert error.code == code
    assert error.field is not None
    assert error.field.startswith("entries[0].tiers")


def test_categories_are_checked_separately() -> None:
    # The same dates in two categories are no overlap; a gap in one category is still a gap.
    shared = _flat("2008-01-01", None, 5853, category="shared_meter")
    TariffSchedule.from_config([_flat("2008-01-01", None), shared])
    error = _refused(
        [
            _flat("2008-01-01", None),
            _flat("2008-01-01", "2010-01-01", category="shared_meter"),
            _flat("2010-02-01", None, category="shared_meter"),
        ]
    )
    assert error.code == "tariff_gap"
    assert error.field == "shared_meter@2010-02-01"
    assert "居民合表" in error.message_zh


def test_loading_does_not_change_the_configuration() -> None:
    entries = [_flat("2008-01-01", "2012-07-01"), _tiered()]
    before = copy.deepcopy(entries)
    TariffSchedule.from_config(entries)
    assert entries == before


# Random successions of month-aligned spans for one category: contiguous ones load, and
# shifting one boundary makes a gap or an overlap that is refused.
months = st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=6)


def _spans(lengths: list[int]) -> list[tuple[date, date]]:
    start = 2008 * 12
    spans = []
    for length in lengths:
        end = start + length
        spans.append((date(start // 12, start % 12 + 1, 1), date(end // 12, end % 12 + 1, 1)))
        start = end
    return spans


@given(months, st.booleans())
def test_contiguous_spans_load(lengths: list[int], open_end: bool) -> None:
    spans = _spans(lengths)
    entries = [_flat(start, end) for start, end in spans]
    if open_end:
        entries[-1]["valid_to"] = None
    schedule = TariffSchedule.from_config(list(reversed(entries)))
    first = spans[0][0]
    assert (
        schedule.entry_for(
            category=CustomerCategory.RESIDENTIAL, period=f"{first.year}{first.month:02d}"
        ).valid_from
        == first
    )


@given(
    st.lists(st.integers(min_value=1, max_value=40), min_size=2, max_size=6),
    st.data(),
)
def test_shifted_boundaries_are_refused(lengths: list[int], data: st.DataObject) -> None:
    spans = _spans(lengths)
    entries = [_flat(start, end) for start, end in spans]
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 2))
    shift = data.draw(st.sampled_from([-1, 1]))
    end = spans[index][1]
    month = end.year * 12 + end.month - 1 + shift
    moved = date(month // 12, month % 12 + 1, 1)
    entries[index]["valid_to"] = moved
    with pytest.raises(TariffConfigError) as caught:
        TariffSchedule.from_config(entries)
    if moved <= spans[index][0]:
        assert caught.value.code == "tariff_backwards"
    else:
        assert caught.value.code == ("tariff_gap" if shift < 0 else "tariff_overlap")
