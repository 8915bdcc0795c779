"""Per-request decisions: seeded chances, scripted rules, and refusals of bad settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gridpos.sim.link import (
    GPRS,
    MOUNTAIN,
    PASS,
    Closing,
    CutKind,
    Decider,
    Decision,
    LinkProfile,
    LinkSettingError,
    StallOn,
    chance_decision,
    profile_from_data,
    profile_named,
    script_from_data,
)

CUTTY = LinkProfile(
    name="cutty",
    drop_request_probability=0.1,
    cut_before_answer_probability=0.2,
    cut_mid_answer_probability=0.05,
    black_hole_probability=0.05,
    stall_probability=0.1,
    stall_min_s=1.0,
    stall_max_s=3.0,
)


def _decide_all(
    decider: Decider, requests: list[tuple[str, str]], profile: LinkProfile
) -> list[Decision]:
    return [
        decider.decide(index=i, method=method, path=path, profile=profile)
        for i, (method, path) in enumerate(requests, start=1)
    ]


def test_the_same_seed_gives_the_same_decisions_and_another_seed_others() -> None:
    first = [chance_decision(seed=7, index=i, profile=MOUNTAIN) for i in range(1, 501)]
    again = [chance_decision(seed=7, index=i, profile=MOUNTAIN) for i in range(1, 501)]
    other = [chance_decision(seed=8, index=i, profile=MOUNTAIN) for i in range(1, 501)]
    assert first == again
    assert first != other
    assert any(d.cut is not None for d in first)
    assert any(d.stall_s for d in first)


def test_a_decision_depends_on_its_index_not_on_what_came_before() -> None:
    in_order = [chance_decision(seed=3, index=i, profile=CUTTY) for i in range(1, 101)]
    backwards = [chance_decision(seed=3, index=i, profile=CUTTY) for i in range(100, 0, -1)]
    assert in_order == backwards[::-1]


def test_chances_come_out_at_the_profile_rates() -> None:
    n = 20_000
    decisions = [chance_decision(seed=11, index=i, profile=CUTTY) for i in range(1, n + 1)]
    for kind, rate in CUTTY.cut_probabilities():
        share = sum(d.cut is kind for d in decisions) / n
        assert share == pytest.approx(rate, abs=0.012), kind
    stalls = [d for d in decisions if d.stall_s]
    assert len(stalls) / n == pytest.approx(0.1, abs=0.012)
    assert all(1.0 <= d.stall_s <= 3.0 for d in stalls)
    on_request = sum(d.stall_on is StallOn.REQUEST for d in stalls) / len(stalls)
    assert on_request == pytest.approx(0.5, abs=0.05)


def test_a_profile_without_cuts_or_stalls_lets_everything_through() -> None:
    assert all(chance_decision(seed=5, index=i, profile=GPRS) is PASS for i in range(1, 300))


def test_script_rules_by_index_by_path_and_nth() -> None:
    script = script_from_data(
        {
            "rules": [
                {"request": 3, "cut": "cut_before_answer"},
                {"method": "post", "path": "^/t/v1/payments$", "nth": 2, "cut": "cut_mid_answer"},
                {"path": "/status", "stall_s": 2.5, "stall_on": "request"},
            ]
        }
    )
    requests = [
        ("GET", "/t/v1/accounts/1"),  # 1
        ("POST", "/t/v1/payments"),  # 2: first payment
        ("POST", "/t/v1/payments"),  # 3: rule 0 fires (index 3), and it is the 2nd payment
        ("POST", "/t/v1/payments"),  # 4: 3rd payment, nothing
        ("GET", "/t/v1/payments/9/status"),  # 5: stall
    ]
    decisions = _decide_all(Decider(seed=1, script=script), requests, GPRS)
    assert decisions[0] == PASS
    assert decisions[1] == PASS
    assert decisions[2] == Decision(cut=CutKind.CUT_BEFORE_ANSWER, rule=0)
    # the nth count went on while rule 0 fired, so the 2nd payment (request 3) was used up
    assert decisions[3] == PASS
    assert decisions[4] == Decision(stall_s=2.5, stall_on=StallOn.REQUEST, rule=2)


def test_an_empty_rule_lets_its_request_through_whatever_the_chances() -> None:
    always_drop = replace(GPRS, drop_request_probability=1.0)
    decider = Decider(seed=1, script=script_from_data([{"nth": 2}]))
    decisions = _decide_all(decider, [("GET", "/")] * 3, always_drop)
    assert [d.cut for d in decisions] == [CutKind.DROP_REQUEST, None, CutKind.DROP_REQUEST]
    assert decisions[1].rule == 0


def test_a_new_script_counts_nth_from_zero() -> None:
    decider = Decider(seed=1, script=script_from_data([{"nth": 2, "cut": "black_hole"}]))
    assert [d.cut for d in _decide_all(decider, [("GET", "/")] * 3, GPRS)] == [
        None,
        CutKind.BLACK_HOLE,
        None,
    ]
    decider.set_script(script_from_data([{"nth": 2, "cut": "drop_request"}]))
    later = [decider.decide(index=i, method="GET", path="/", profile=GPRS).cut for i in (4, 5)]
    assert later == [None, CutKind.DROP_REQUEST]


def test_each_cut_closes_its_own_way_unless_told() -> None:
    assert Decision(cut=CutKind.DROP_REQUEST).effective_closing is Closing.RESET
    assert Decision(cut=CutKind.CUT_BEFORE_ANSWER).effective_closing is Closing.RESET
    assert Decision(cut=CutKind.CUT_MID_ANSWER).effective_closing is Closing.FIN
    assert Decision(cut=CutKind.BLACK_HOLE, closing=Closing.RESET).effective_closing is (
        Closing.SILENT
    )
    assert (
        Decision(cut=CutKind.CUT_BEFORE_ANSWER, closing=Closing.SILENT).effective_closing
        is Closing.SILENT
    )
    assert PASS.effective_closing is None


def test_scripts_and_profiles_survive_their_own_json() -> None:
    script = script_from_data(
        [
            {"request": 4, "cut": "cut_mid_answer", "answer_bytes": 10, "closing": "reset"},
            {"method": "GET", "path": "a+", "nth": 1, "stall_s": 1.5},
        ]
    )
    assert script_from_data(script.as_dict()) == script
    assert profile_from_data(MOUNTAIN.as_dict()) == MOUNTAIN
    assert profile_from_data("gprs") is GPRS


def test_a_profile_is_a_base_with_overrides() -> None:
    quick = profile_from_data({"base": "gprs", "name": "quick", "one_way_ms": 20, "jitter_ms": 0})
    assert quick == replace(GPRS, name="quick", one_way_ms=20, jitter_ms=0)
    assert profile_from_data({"name": "mountain", "stall_probability": 0}) == replace(
        MOUNTAIN, stall_probability=0.0
    )
    assert profile_from_data({"bandwidth_bps": None}, base=GPRS).bandwidth_bps is None
    assert quick.bytes_per_s == 4_000.0
    assert quick.one_way_s == 0.02


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ("lan", "link_profile_unknown", "profile"),
        ({"base": "moon"}, "link_profile_unknown", "profile"),
        (42, "link_profile_invalid", "profile"),
        ({"latency": 5}, "link_profile_invalid", "profile.latency"),
        ({"one_way_ms": -1}, "link_profile_invalid", "profile.one_way_ms"),
        ({"one_way_ms": 1.5}, "link_profile_invalid", "profile.one_way_ms"),
        ({"one_way_ms": True}, "link_profile_invalid", "profile.one_way_ms"),
        ({"bandwidth_bps": 999}, "link_profile_invalid", "profile.bandwidth_bps"),
        ({"stall_probability": 1.5}, "link_profile_invalid", "profile.stall_probability"),
        ({"stall_max_s": "ten"}, "link_profile_invalid", "profile.stall_max_s"),
        ({"stall_min_s": 5, "stall_max_s": 2}, "link_profile_invalid", "profile.stall_min_s"),
        (
            {"drop_request_probability": 0.6, "black_hole_probability": 0.6},
            "link_profile_invalid",
            "profile.drop_request_probability",
        ),
        ({"handshake": "yes"}, "link_profile_invalid", "profile.handshake"),
    ],
)
def test_bad_profiles_are_refused_by_field(data: Any, code: str, field: str) -> None:
    with pytest.raises(LinkSettingError) as caught:
        profile_from_data(data)
    assert caught.value.code == code
    assert caught.value.field == field
    assert caught.value.message_zh
    assert caught.value.message_en


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("cut everything", "script.rules"),
        ({"rules": [], "seed": 1}, "script"),
        ([{"request": 0, "cut": "drop_request"}], "script.rules[0].request"),
        ([{"request": 1, "nth": 1}], "script.rules[0].nth"),
        ([{}, {"cut": "unplug"}], "script.rules[1].cut"),
        ([{"closing": "fin"}], "script.rules[0].closing"),
        ([{"cut": "drop_request", "closing": "slam"}], "script.rules[0].closing"),
        ([{"cut": "drop_request", "answer_bytes": 5}], "script.rules[0].answer_bytes"),
        ([{"cut": "cut_mid_answer", "answer_bytes": -5}], "script.rules[0].answer_bytes"),
        ([{"path": "(unclosed"}], "script.rules[0].path"),
        ([{"method": "GET /"}], "script.rules[0].method"),
        ([{"stall_s": -1}], "script.rules[0].stall_s"),
        ([{"stall_s": 1, "stall_on": "both"}], "script.rules[0].stall_on"),
        ([{"when": 1}], "script.rules[0].when"),
        (["drop"], "script.rules[0]"),
    ],
)
def test_bad_scripts_are_refused_by_rule_and_field(data: Any, field: str) -> None:
    with pytest.raises(LinkSettingError) as caught:
        script_from_data(data)
    assert caught.value.code == "link_script_invalid"
    assert caught.value.field == field


def test_the_built_in_profiles() -> None:
    good, gprs, mountain = (profile_named(name) for name in ("good", "gprs", "mountain"))
    assert good.bandwidth_bps is None
    assert all(p == 0 for _, p in good.cut_probabilities())
    assert (gprs.one_way_ms, gprs.bandwidth_bps) == (500, 32_000)  # 1 s round trip, 32 kbit/s
    assert gprs.stall_probability == 0
    assert (mountain.one_way_ms, mountain.bandwidth_bps) == (500, 32_000)
    assert all(p > 0 for _, p in mountain.cut_probabilities())
    assert mountain.stall_probability > 0
