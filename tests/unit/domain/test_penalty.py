"""Worked late-payment penalties (《供电营业规则》 art. 98) under the default rules.

penalty = principal × Σ(daily rate × days) / 1000, rounded half-up once; under 1 yuan -> 1 yuan.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import (
    MinimumScope,
    PenaltyConfigError,
    PenaltyError,
    PenaltyRules,
    apply_payment_minimum,
    compute_penalty,
    default_penalty_rules,
    overdue_days,
)
from gridpos.domain.rules_anhui import PENALTY_ENTRIES

R = CustomerCategory.RESIDENTIAL
SM = CustomerCategory.SHARED_METER
SUB = CustomerCategory.SUBSIDISED
NR = CustomerCategory.NON_RESIDENTIAL
RULES = default_penalty_rules()
D = date


@pytest.mark.parametrize(
    ("due", "paid", "split"),
    [
        (D(2024, 3, 15), D(2024, 4, 14), (30, 0)),  # 16–31 March (16) + 1–14 April (14)
        (D(2023, 12, 20), D(2024, 1, 10), (11, 10)),  # 21–31 Dec, then 1–10 Jan
        (D(2023, 12, 31), D(2024, 1, 5), (0, 5)),  # due on New Year's Eve: all cross-year
        (D(2023, 12, 30), D(2023, 12, 31), (1, 0)),
        (D(2022, 12, 30), D(2024, 1, 2), (1, 367)),  # 31 Dec 2022, then 365 + 2
        (D(2024, 2, 28), D(2024, 3, 1), (2, 0)),  # 29 February counts
        (D(2024, 3, 15), D(2024, 3, 15), (0, 0)),  # paid on the due date
        (D(2024, 3, 15), D(2024, 3, 1), (0, 0)),  # paid early
    ],
)
def test_overdue_days(due: date, paid: date, split: tuple[int, int]) -> None:
    assert overdue_days(due_date=due, pay_date=paid) == split


@pytest.mark.parametrize(
    ("principal", "category", "due", "paid", "penalty"),
    [
        # Residential 1‰: 10000 × 30 × 1 / 1000 = 300.
        (10000, R, D(2024, 3, 15), D(2024, 4, 14), 300),
        # 合表 and 低保/五保 are residential for the penalty.
        (10000, SM, D(2024, 3, 15), D(2024, 4, 14), 300),
        (10000, SUB, D(2024, 3, 15), D(2024, 4, 14), 300),
        # Residential across New Year: still 1‰: 10000 × 21 / 1000 = 210.
        (10000, R, D(2023, 12, 20), D(2024, 1, 10), 210),
        # Paid on or before the due date: nothing.
        (10000, R, D(2024, 3, 15), D(2024, 3, 15), 0),
        (10000, NR, D(2024, 3, 15), D(2024, 3, 10), 0),
        # Zero principal: nothing, however late.
        (0, NR, D(2020, 1, 1), D(2024, 1, 1), 0),
        # One day on 100 yuan: 10 fen, under 1 yuan -> 1 yuan.
        (10000, R, D(2024, 3, 15), D(2024, 3, 16), 100),
        # One day on 1 fen: 0.001 fen is positive, so 1 yuan (the rule is on the total, not
        # on the rounded fen).
        (1, R, D(2024, 3, 15), D(2024, 3, 16), 100),
        # Exactly 1 yuan stays 1 yuan: 100000 × 1 / 1000 = 100.
        (100000, R, D(2024, 3, 15), D(2024, 3, 16), 100),
        # Half-up: 123500 × 1 / 1000 = 123.5 -> 124; 123450 -> 123.45 -> 123.
        (123500, R, D(2024, 3, 15), D(2024, 3, 16), 124),
        (123450, R, D(2024, 3, 15), D(2024, 3, 16), 123),
        # Leap day: 100000 × 2 / 1000 = 200.
        (100000, R, D(2024, 2, 28), D(2024, 3, 1), 200),
        # Non-residential, current year 2‰: 100000 × 30 × 2 / 1000 = 6000.
        (100000, NR, D(2024, 3, 15), D(2024, 4, 14), 6000),
        # Half-up on 2‰: 75250 × 2 / 1000 = 150.5 -> 151.
        (75250, NR, D(2024, 3, 15), D(2024, 3, 16), 151),
        # Cross year: 10000 × (11 × 2 + 10 × 3) / 1000 = 10000 × 52 / 1000 = 520.
        (10000, NR, D(2023, 12, 20), D(2024, 1, 10), 520),
        # Due 31 December: 100000 × 5 × 3 / 1000 = 1500.
        (100000, NR, D(2023, 12, 31), D(2024, 1, 5), 1500),
        # Over a year: 10000 × (1 × 2 + 367 × 3) / 1000 = 10000 × 1103 / 1000 = 11030.
        (10000, NR, D(2022, 12, 30), D(2024, 1, 2), 11030),
        # 12345 × (3 × 2 + 4 × 3) / 1000 = 12345 × 18 / 1000 = 222.21 -> 222
        # (due 28 Dec: 29–31 Dec, 1–4 Jan).
        (12345, NR, D(2023, 12, 28), D(2024, 1, 4), 222),
        # Small non-residential: 3000 × 2 × 2 / 1000 = 12 -> minimum 100.
        (3000, NR, D(2024, 6, 1), D(2024, 6, 3), 100),
    ],
)
def test_default_penalties(
    principal: int, category: CustomerCategory, due: date, paid: date, penalty: int
) -> None:
    result = compute_penalty(
        principal_unpaid=principal, due_date=due, pay_date=paid, category=category, rules=RULES
    )
    assert result == penalty


def _rule(**overrides: Any) -> dict[str, Any]:
    entry = dict(PENALTY_ENTRIES[0])
    entry.update(overrides)
    return entry


def test_the_rule_in_force_on_the_pay_date_prices_every_day() -> None:
    rules = PenaltyRules.from_config(
        [
            _rule(valid_to="2020-01-01"),
            _rule(valid_from="2020-01-01", residential_per_mille="0.5", minimum_fen=0),
        ]
    )
    due = D(2019, 12, 1)
    # Paid in 2019: 30 days at 1‰: 100000 × 30 / 1000 = 3000.
    assert (
        compute_penalty(
            principal_unpaid=100000, due_date=due, pay_date=D(2019, 12, 31), category=R, rules=rules
        )
        == 3000
    )
    # Paid in 2020: all 40 days at the new 0.5‰: 100000 × 40 × 0.5 / 1000 = 2000.
    assert (
        compute_penalty(
            principal_unpaid=100000, due_date=due, pay_date=D(2020, 1, 10), category=R, rules=rules
        )
        == 2000
    )
    # The new rule has no minimum: 1000 × 40 × 0.5 / 1000 = 20 fen stays 20 fen.
    assert (
        compute_penalty(
            principal_unpaid=1000, due_date=due, pay_date=D(2020, 1, 10), category=R, rules=rules
        )
        == 20
    )
    assert rules.rule_in_force(D(2019, 12, 31)).residential_per_mille == 1
    assert rules.rule_in_force(D(2020, 1, 1)).minimum_fen == 0


def test_minimum_per_payment() -> None:
    rules = PenaltyRules.from_config([_rule(minimum_scope="payment")])
    paid = D(2024, 3, 16)
    # One day on 100 yuan: 10 fen, left as it is for each receivable...
    one = compute_penalty(
        principal_unpaid=10000, due_date=D(2024, 3, 15), pay_date=paid, category=R, rules=rules
    )
    assert one == 10
    # ...and the payment's total raised to 1 yuan once.
    assert apply_payment_minimum(penalty_total=one + one, pay_date=paid, rules=rules) == 100
    assert apply_payment_minimum(penalty_total=0, pay_date=paid, rules=rules) == 0
    assert apply_payment_minimum(penalty_total=150, pay_date=paid, rules=rules) == 150
    # Under the default scope the total is already right and is left alone.
    assert apply_payment_minimum(penalty_total=20, pay_date=paid, rules=RULES) == 20
    assert rules.rule_in_force(paid).minimum_scope is MinimumScope.PAYMENT


def test_no_minimum_when_configured_as_zero() -> None:
    rules = PenaltyRules.from_config([_rule(minimum_fen=0)])
    assert (
        compute_penalty(
            principal_unpaid=10000,
            due_date=D(2024, 3, 15),
            pay_date=D(2024, 3, 16),
            category=R,
            rules=rules,
        )
        == 10
    )


@pytest.mark.parametrize(
    ("principal", "code"),
    [(-1, "principal_invalid"), (1.5, "principal_invalid"), (True, "principal_invalid")],
)
def test_bad_principal_is_refused(principal: Any, code: str) -> None:
    with pytest.raises(PenaltyError) as caught:
        compute_penalty(
            principal_unpaid=principal,
            due_date=D(2024, 3, 15),
            pay_date=D(2024, 4, 14),
            category=R,
            rules=RULES,
        )
    assert caught.value.code == code
    assert caught.value.field == "principal_unpaid"
    assert caught.value.message_zh


def test_datetimes_are_not_dates() -> None:
    moment = datetime(2024, 4, 14, 10, 0, tzinfo=UTC)
    with pytest.raises(TypeError, match="pay_date"):
        compute_penalty(
            principal_unpaid=100,
            due_date=D(2024, 3, 15),
            pay_date=moment,
            category=R,
            rules=RULES,
        )


def test_no_rule_in_force_on_the_pay_date() -> None:
    with pytest.raises(PenaltyConfigError) as caught:
        compute_penalty(
            principal_unpaid=10000,
            due_date=D(1996, 1, 1),
            pay_date=D(1996, 10, 7),  # the day before the rules took effect
            category=R,
            rules=RULES,
        )
    assert caught.value.code == "penalty_not_in_force"
    assert caught.value.field == "pay_date"
