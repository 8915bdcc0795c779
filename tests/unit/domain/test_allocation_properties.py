"""Properties of allocation: it never creates or loses a fen, and it pays strictly oldest first."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridpos.domain.allocation import (
    Allocation,
    AllocationError,
    OpenReceivable,
    allocate,
    amount_due,
    round_up_amount,
)

periods = st.builds(
    lambda year, month: f"{year}{month:02d}",
    st.integers(min_value=2008, max_value=2030),
    st.integers(min_value=1, max_value=12),
)


@st.composite
def receivable_lists(draw: st.DrawFn) -> list[OpenReceivable]:
    count = draw(st.integers(min_value=0, max_value=6))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    result = []
    for receivable_id in ids:
        principal = draw(st.integers(min_value=0, max_value=500_000))
        penalty = draw(st.integers(min_value=0 if principal else 1, max_value=20_000))
        result.append(
            OpenReceivable(
                receivable_id=receivable_id,
                period=draw(periods),
                run_no=draw(st.integers(min_value=1, max_value=3)),
                principal_unpaid=principal,
                penalty=penalty,
            )
        )
    return result


credits = st.integers(min_value=0, max_value=50_000)
cash_amounts = st.integers(min_value=1, max_value=3_000_000)


@settings(max_examples=300, deadline=None)
@given(
    receivables=receivable_lists(),
    cash=cash_amounts,
    prepaid=credits,
    rounding_credit=st.integers(min_value=0, max_value=99),
    allow_partial=st.booleans(),
    rounding_share=st.integers(min_value=0, max_value=99),
)
def test_allocation_conserves_money_and_pays_oldest_first(
    *,
    receivables: list[OpenReceivable],
    cash: int,
    prepaid: int,
    rounding_credit: int,
    allow_partial: bool,
    rounding_share: int,
) -> None:
    due = amount_due(receivables=receivables, prepaid=prepaid, rounding_credit=rounding_credit)
    rounding_up = min(rounding_share, max(cash - due, 0))
    arrears = sum(r.penalty + r.principal_unpaid for r in receivables)
    funds = cash + prepaid + rounding_credit

    def run() -> Allocation:
        return allocate(
            receivables=receivables,
            cash=cash,
            prepaid=prepaid,
            rounding_credit=rounding_credit,
            allow_partial=allow_partial,
            rounding_up=rounding_up,
        )

    if not allow_partial and funds < arrears:
        # The only refusal for valid input: partial forbidden and the funds fall short.
        with pytest.raises(AllocationError) as caught:
            run()
        assert caught.value.code == "amount_below_due"
        assert caught.value.details == {"cash": cash, "due": due}
        return
    result = run()

    # Not a fen created or lost.
    assert (
        result.cash + result.prepaid_before + result.rounding_before
        == result.penalty_total
        + result.principal_total
        + result.prepaid_after
        + result.rounding_after
    )
    assert (
        result.prepaid_after == result.prepaid_before - result.prepaid_used + result.prepaid_added
    )
    assert (
        result.rounding_after
        == result.rounding_before - result.rounding_used + result.rounding_added
    )
    figures = [
        result.prepaid_used,
        result.prepaid_added,
        result.prepaid_after,
        result.rounding_used,
        result.rounding_added,
        result.rounding_after,
        result.total_due,
        result.penalty_total,
        result.principal_total,
    ]
    assert all(figure >= 0 for figure in figures)
    assert result.penalty_total == sum(line.penalty_paid for line in result.lines)
    assert result.principal_total == sum(line.principal_paid for line in result.lines)
    assert result.total_due == due
    assert result.rounding_added == rounding_up

    # Lines are a prefix of the receivables oldest first; only the last may be left unsettled.
    ordered = sorted(receivables, key=lambda r: (r.period, r.run_no, r.receivable_id))
    assert [line.receivable_id for line in result.lines] == [
        r.receivable_id for r in ordered[: len(result.lines)]
    ]
    for line, receivable in zip(result.lines, ordered, strict=False):
        assert 0 <= line.penalty_paid <= receivable.penalty
        assert 0 <= line.principal_paid <= receivable.principal_unpaid
        assert line.penalty_paid + line.principal_paid > 0
        # Penalty first: no principal while penalty is left unpaid.
        assert line.principal_paid == 0 or line.penalty_paid == receivable.penalty
        assert line.settles == (
            line.penalty_paid == receivable.penalty
            and line.principal_paid == receivable.principal_unpaid
        )
        assert (line.period, line.run_no) == (receivable.period, receivable.run_no)
    assert all(line.settles for line in result.lines[:-1])
    if len(result.lines) < len(ordered) or not result.settles_all:
        # Something left unpaid: every fen of the funds went to the arrears.
        assert result.paid_total == funds
        assert result.prepaid_after == 0
        assert result.rounding_after == 0
    else:
        assert result.paid_total == arrears

    # Credits before cash: if any cash went to the arrears, the credits were spent first.
    cash_to_arrears = result.cash - result.prepaid_added - result.rounding_added
    assert cash_to_arrears >= 0
    if cash_to_arrears > 0:
        assert result.rounding_used == result.rounding_before
        assert result.prepaid_used == result.prepaid_before
    # The rounding credit is spent before the prepaid balance.
    if result.prepaid_used > 0:
        assert result.rounding_used == result.rounding_before


@settings(max_examples=200, deadline=None)
@given(
    receivables=receivable_lists(),
    prepaid=credits,
    rounding_credit=st.integers(min_value=0, max_value=99),
)
def test_paying_the_rounded_due_settles_everything_and_keeps_the_jiao_fen_apart(
    receivables: list[OpenReceivable], prepaid: int, rounding_credit: int
) -> None:
    due = amount_due(receivables=receivables, prepaid=prepaid, rounding_credit=rounding_credit)
    cash = round_up_amount(due=due)
    if cash == 0:
        cash = 100  # nothing due: pay a yuan, all prepaid
    result = allocate(
        receivables=receivables,
        cash=cash,
        prepaid=prepaid,
        rounding_credit=rounding_credit,
        allow_partial=False,
        rounding_up=min(cash - due, 99),
    )
    assert result.settles_all
    assert len(result.lines) == len(receivables)
    assert 0 <= result.rounding_added < 100
    assert cash % 100 == 0
    assert cash - due < 100 or due == 0
