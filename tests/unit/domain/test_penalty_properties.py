"""Properties of the penalty, checked against a day-by-day reference computation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import compute_penalty, default_penalty_rules

RULES = default_penalty_rules()

categories = st.sampled_from(list(CustomerCategory))
principals = st.integers(min_value=0, max_value=10_000_000)
due_dates = st.dates(min_value=date(1997, 1, 1), max_value=date(2035, 12, 31))
delays = st.integers(min_value=-30, max_value=800)


def _reference(principal: int, due: date, paid: date, category: CustomerCategory) -> int:
    """Walk the days one by one, per mille as Decimal, round half-up, then the 1-yuan minimum."""
    per_mille_days = 0
    day = due + timedelta(days=1)
    while day <= paid:
        if category.is_residential:
            per_mille_days += 1
        else:
            per_mille_days += 2 if day.year == due.year else 3
        day += timedelta(days=1)
    with localcontext() as context:
        context.prec = 50
        exact = Decimal(principal) * per_mille_days / 1000
    rounded = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return max(rounded, 100) if exact > 0 else 0


def _penalty(principal: int, due: date, paid: date, category: CustomerCategory) -> int:
    return compute_penalty(
        principal_unpaid=principal, due_date=due, pay_date=paid, category=category, rules=RULES
    )


@given(principals, due_dates, delays, categories)
def test_matches_the_day_by_day_reference(
    principal: int, due: date, delay: int, category: CustomerCategory
) -> None:
    paid = due + timedelta(days=delay)
    penalty = _penalty(principal, due, paid, category)
    assert penalty == _reference(principal, due, paid, category)
    assert penalty >= 0
    if principal and delay > 0:
        assert penalty >= 100
    else:
        assert penalty == 0


@given(principals, due_dates, delays, st.integers(min_value=1, max_value=400), categories)
def test_never_decreases_with_more_days(
    principal: int, due: date, delay: int, more: int, category: CustomerCategory
) -> None:
    paid = due + timedelta(days=delay)
    later = paid + timedelta(days=more)
    assert _penalty(principal, due, later, category) >= _penalty(principal, due, paid, category)


@given(principals, st.integers(min_value=1, max_value=10_000_000), due_dates, delays, categories)
def test_never_decreases_with_more_principal(
    principal: int, more: int, due: date, delay: int, category: CustomerCategory
) -> None:
    paid = due + timedelta(days=delay)
    bigger = _penalty(principal + more, due, paid, category)
    assert bigger >= _penalty(principal, due, paid, category)


@given(
    st.integers(min_value=100_000, max_value=10_000_000),
    st.integers(min_value=2, max_value=10),
    due_dates,
    st.integers(min_value=1, max_value=800),
    categories,
)
def test_proportional_to_principal_above_the_minimum(
    principal: int, factor: int, due: date, delay: int, category: CustomerCategory
) -> None:
    # From 1000 yuan and one day on, the penalty is at least 1 yuan, so no minimum applies and
    # scaling the principal scales the penalty up to the rounding of each (half a fen each).
    paid = due + timedelta(days=delay)
    single = _penalty(principal, due, paid, category)
    scaled = _penalty(principal * factor, due, paid, category)
    assert abs(scaled - factor * single) * 2 <= factor + 1


@given(principals, due_dates, st.integers(min_value=1, max_value=800))
def test_non_residential_never_pays_less_than_residential(
    principal: int, due: date, delay: int
) -> None:
    paid = due + timedelta(days=delay)
    non_residential = _penalty(principal, due, paid, CustomerCategory.NON_RESIDENTIAL)
    assert non_residential >= _penalty(principal, due, paid, CustomerCategory.RESIDENTIAL)
