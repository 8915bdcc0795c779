"""Loading the dated penalty rules refuses what cannot be right, naming where."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridpos.domain.penalty import MinimumScope, PenaltyConfigError, PenaltyRules
from gridpos.domain.rules_anhui import PENALTY_ENTRIES


def _rule(**overrides: Any) -> dict[str, Any]:
    entry = dict(PENALTY_ENTRIES[0])
    entry.update(overrides)
    return entry


def test_default_rules_load_with_exact_rates() -> None:
    rule = PenaltyRules.from_config(PENALTY_ENTRIES).rule_in_force(date(2024, 1, 1))
    assert rule.residential_per_mille == Fraction(1)
    assert rule.non_residential_current_year_per_mille == Fraction(2)
    assert rule.non_residential_cross_year_per_mille == Fraction(3)
    assert rule.minimum_fen == 100
    assert rule.minimum_scope is MinimumScope.RECEIVABLE
    assert rule.valid_from == date(1996, 10, 8)


def test_rates_as_integers_or_decimal_text() -> None:
    rule = PenaltyRules.from_config(
        [_rule(residential_per_mille=1, non_residential_current_year_per_mille="0.25")]
    ).rule_in_force(date(2024, 1, 1))
    assert rule.residential_per_mille == 1
    assert rule.non_residential_current_year_per_mille == Fraction(1, 4)


@pytest.mark.parametrize(
    ("entries", "code", "field"),
    [
        ([_rule(), _rule(valid_from="2020-01-01")], "penalty_overlap", "@2020-01-01"),
        (
            [_rule(valid_to="2020-06-01"), _rule(valid_from="2020-05-01")],
            "penalty_overlap",
            "@2020-05-01",
        ),
        (
            [_rule(valid_to="2020-01-01"), _rule(valid_from="2020-01-02")],
            "penalty_gap",
            "@2020-01-02",
        ),
        ([_rule(valid_to="1990-01-01")], "penalty_backwards", "entries[0].valid_to"),
        ([_rule(valid_to="1996-10-08")], "penalty_backwards", "entries[0].valid_to"),
        ([_rule(valid_from="08/10/1996")], "penalty_config_invalid", "entries[0].valid_from"),
        ([_rule(valid_from=None)], "penalty_config_invalid", "entries[0].valid_from"),
        ([_rule(residential_per_mille=0.001)], "penalty_config_invalid", None),  # a float
        ([_rule(residential_per_mille="-1")], "penalty_config_invalid", None),
        ([_rule(residential_per_mille="1‰")], "penalty_config_invalid", None),
        ([_rule(residential_per_mille="1001")], "penalty_config_invalid", None),
        ([_rule(residential_per_mille=True)], "penalty_config_invalid", None),
        ([_rule(non_residential_cross_year_per_mille=None)], "penalty_config_invalid", None),
        ([_rule(minimum_fen=-100)], "penalty_config_invalid", "entries[0].minimum_fen"),
        ([_rule(minimum_fen="100")], "penalty_config_invalid", "entries[0].minimum_fen"),
        ([_rule(minimum_scope="customer")], "penalty_config_invalid", None),
        ([_rule(grace_days=3)], "penalty_config_invalid", "entries[0]"),
        ([{"valid_from": "1996-10-08"}], "penalty_config_invalid", "entries[0]"),
        ([], "penalty_config_invalid", "entries"),
        (["rule"], "penalty_config_invalid", "entries[0]"),
    ],
)
def test_rules_refused(entries: Any, code: str, field: str | None) -> None:
    with pytest.raises(PenaltyConfigError) as caught:
        PenaltyRules.from_config(entries)
    assert caught.value.code == code
    assert caught.value.message_zh
    assert caught.value.message_en
    if field is not None:
        assert caught.value.field == field


@given(
    st.lists(st.integers(min_value=1, max_value=3000), min_size=2, max_size=6),
    st.data(),
)
def test_contiguous_rules_load_and_shifted_ones_are_refused(
    lengths: list[int], data: st.DataObject
) -> None:
    start = date(1996, 10, 8)
    entries = []
    for length in lengths:
        end = start + timedelta(days=length)
        entries.append(_rule(valid_from=start, valid_to=end))
        start = end
    rules = PenaltyRules.from_config(list(reversed(entries)))
    assert rules.rule_in_force(entries[-1]["valid_from"]).valid_from == entries[-1]["valid_from"]
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 2))
    shift = data.draw(st.sampled_from([-1, 1]))
    entries[index]["valid_to"] += timedelta(days=shift)
    with pytest.raises(PenaltyConfigError) as caught:
        PenaltyRules.from_config(entries)
    if entries[index]["valid_to"] <= entries[index]["valid_from"]:
        assert caught.value.code == "penalty_backwards"
    else:
        assert caught.value.code == ("penalty_gap" if shift < 0 else "penalty_overlap")
