"""Properties of the ledger: every posting balances, and an undo restores every balance."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.allocation import Allocation, OpenReceivable, allocate
from gridpos.domain.ledger import (
    Balances,
    EventKind,
    LedgerError,
    Posting,
    balance_changes,
    commission_posting,
    hold_posting,
    hold_release_posting,
    payment_posting,
    topup_posting,
    undo_posting,
)

FLOATS = frozenset({AccountKind.AGENT_FLOAT, AccountKind.AGENT_FLOAT_HELD})
UNDO_KINDS = [EventKind.REVERSAL, EventKind.VOID, EventKind.CANCELLATION]


@st.composite
def allocations(draw: st.DrawFn) -> Allocation:
    count = draw(st.integers(min_value=0, max_value=4))
    receivables = [
        OpenReceivable(
            receivable_id=index + 1,
            period=f"2024{draw(st.integers(1, 12)):02d}",
            run_no=draw(st.integers(1, 2)),
            principal_unpaid=draw(st.integers(1, 200_000)),
            penalty=draw(st.integers(0, 5_000)),
        )
        for index in range(count)
    ]
    prepaid = draw(st.integers(0, 20_000))
    rounding_credit = draw(st.integers(0, 99))
    arrears = sum(r.principal_unpaid + r.penalty for r in receivables)
    due = max(arrears - prepaid - rounding_credit, 0)
    allow_partial = draw(st.booleans())
    low = 1 if allow_partial else max(due, 1)
    cash = draw(st.integers(low, low + 300_000))
    rounding_up = min(draw(st.integers(0, 99)), max(cash - due, 0))
    return allocate(
        receivables=receivables,
        cash=cash,
        prepaid=prepaid,
        rounding_credit=rounding_credit,
        allow_partial=allow_partial,
        rounding_up=rounding_up,
    )


agent_ids = st.integers(1, 3)
amounts = st.integers(1, 1_000_000)

postings = st.one_of(
    st.builds(
        lambda agent_id, customer_id, allocation, from_hold: payment_posting(
            agent_id=agent_id, customer_id=customer_id, allocation=allocation, from_hold=from_hold
        ),
        agent_ids,
        st.integers(1, 3),
        allocations(),
        st.booleans(),
    ),
    st.builds(lambda a, n: topup_posting(agent_id=a, amount=n), agent_ids, amounts),
    st.builds(lambda a, n: hold_posting(agent_id=a, amount=n), agent_ids, amounts),
    st.builds(lambda a, n: hold_release_posting(agent_id=a, amount=n), agent_ids, amounts),
    st.builds(lambda a, n: commission_posting(agent_id=a, amount=n), agent_ids, amounts),
)


@settings(max_examples=200, deadline=None)
@given(allocation=allocations(), from_hold=st.booleans())
def test_every_payment_posting_sums_to_zero_and_mirrors_the_allocation(
    allocation: Allocation, from_hold: bool
) -> None:
    posting = payment_posting(agent_id=1, customer_id=2, allocation=allocation, from_hold=from_hold)
    assert sum(entry.amount for entry in posting.entries) == 0
    assert all(entry.amount != 0 for entry in posting.entries)
    changes = balance_changes(posting)
    cash_account = AccountKind.AGENT_FLOAT_HELD if from_hold else AccountKind.AGENT_FLOAT
    assert changes[AccountRef(cash_account, 1)] == -allocation.cash
    prepaid_change = allocation.prepaid_after - allocation.prepaid_before
    rounding_change = allocation.rounding_after - allocation.rounding_before
    assert changes.get(AccountRef(AccountKind.CUSTOMER_PREPAID, 2), 0) == prepaid_change
    assert changes.get(AccountRef(AccountKind.CUSTOMER_ROUNDING, 2), 0) == rounding_change
    for line in allocation.lines:
        penalty = AccountRef(AccountKind.RECEIVABLE_PENALTY, line.receivable_id)
        principal = AccountRef(AccountKind.RECEIVABLE_PRINCIPAL, line.receivable_id)
        assert changes.get(penalty, 0) == line.penalty_paid
        assert changes.get(principal, 0) == line.principal_paid
    assert sum(changes.values()) == 0


@settings(max_examples=200, deadline=None)
@given(history=st.lists(postings, max_size=8), posting=postings, kind=st.sampled_from(UNDO_KINDS))
def test_undo_of_any_posting_restores_every_balance(
    history: list[Posting], posting: Posting, kind: EventKind
) -> None:
    # Enough float on every agent that the history and the posting itself are accepted.
    opening = {
        AccountRef(account_kind, agent_id): 10_000_000
        for agent_id in (1, 2, 3)
        for account_kind in (AccountKind.AGENT_FLOAT, AccountKind.AGENT_FLOAT_HELD)
    }
    balances = Balances(opening)
    for earlier in history:
        balances.apply(earlier)
    before = balances.snapshot()
    balances.apply(posting)
    undo = undo_posting(posting, kind=kind)
    assert sum(entry.amount for entry in undo.entries) == 0
    assert balance_changes(undo) == {a: -c for a, c in balance_changes(posting).items()}
    balances.apply(undo)
    assert balances.snapshot() == before


@settings(max_examples=200, deadline=None)
@given(sequence=st.lists(postings, max_size=12))
def test_balances_equal_minus_the_sum_of_entries_and_floats_never_go_negative(
    sequence: list[Posting],
) -> None:
    balances = Balances()
    applied: list[Posting] = []
    for posting in sequence:
        short = any(
            account.kind in FLOATS and balances.balance(account) + change < 0
            for account, change in balance_changes(posting).items()
        )
        if short:
            before = balances.snapshot()
            with pytest.raises(LedgerError) as caught:
                balances.apply(posting)
            assert caught.value.code == "float_insufficient"
            assert balances.snapshot() == before
            continue
        balances.apply(posting)
        applied.append(posting)
    expected: dict[AccountRef, int] = {}
    for posting in applied:
        for entry in posting.entries:
            expected[entry.account] = expected.get(entry.account, 0) - entry.amount
    assert balances.snapshot() == {a: b for a, b in expected.items() if b}
    for account, balance in balances.snapshot().items():
        if account.kind in FLOATS:
            assert balance >= 0
