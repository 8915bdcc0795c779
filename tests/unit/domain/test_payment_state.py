"""Payment states: the transition table, and the balances they drive through the ledger."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.allocation import OpenReceivable, allocate
from gridpos.domain.ledger import (
    Balances,
    EventKind,
    LedgerError,
    Posting,
    balance_changes,
    payment_posting,
    topup_posting,
    undo_posting,
)
from gridpos.domain.payment_state import IllegalTransitionError, PaymentState

P = PaymentState
ALLOWED = {
    (P.PENDING, P.CONFIRMED),
    (P.PENDING, P.UNKNOWN),
    (P.PENDING, P.REJECTED),
    (P.UNKNOWN, P.CONFIRMED),
    (P.UNKNOWN, P.REJECTED),
    (P.UNKNOWN, P.REVERSED),
    (P.CONFIRMED, P.REVERSED),
    (P.CONFIRMED, P.VOIDED),
    (P.CONFIRMED, P.CANCELLED),
}
UNDO_KIND = {
    P.REVERSED: EventKind.REVERSAL,
    P.VOIDED: EventKind.VOID,
    P.CANCELLED: EventKind.CANCELLATION,
}


@pytest.mark.parametrize("current", list(P))
@pytest.mark.parametrize("target", list(P))
def test_transition_table(current: PaymentState, target: PaymentState) -> None:
    allowed = (current, target) in ALLOWED
    assert current.can_become(target) is allowed
    if allowed:
        assert current.become(target) is target
        return
    with pytest.raises(IllegalTransitionError) as caught:
        current.become(target)
    error = caught.value
    assert error.code == "illegal_state_transition"
    assert error.field == "state"
    assert error.details == {"from": current.value, "to": target.value}
    assert (error.current, error.target) == (current, target)
    assert current.label_zh in error.message_zh
    assert target.label_zh in error.message_zh
    assert current.value in error.message_en


def test_final_states() -> None:
    assert {state for state in P if state.is_final} == {
        P.REJECTED,
        P.REVERSED,
        P.VOIDED,
        P.CANCELLED,
    }


def test_only_confirmed_counts_in_balances() -> None:
    assert [state for state in P if state.counts_in_balances] == [P.CONFIRMED]


def test_labels() -> None:
    assert P.UNKNOWN.label_zh == "可疑"
    assert P.REVERSED.label_zh == "已冲正"
    assert P.VOIDED.label_zh == "已撤销"
    assert P.CANCELLED.label_zh == "已冲销"
    assert len({state.label_zh for state in P}) == len(P)


# --- the states driving a ledger ------------------------------------------------------------------

AGENTS = (1, 2)


def float_of(agent_id: int) -> AccountRef:
    return AccountRef(AccountKind.AGENT_FLOAT, agent_id)


@dataclass
class Payment:
    agent_id: int
    cash: int
    posting: Posting
    state: PaymentState = P.PENDING


@st.composite
def payments(draw: st.DrawFn, index: int) -> Payment:
    agent_id = draw(st.sampled_from(AGENTS))
    principal = draw(st.integers(1, 50_000))
    penalty = draw(st.integers(0, 1_000))
    cash = draw(st.integers(principal + penalty, principal + penalty + 20_000))
    allocation = allocate(
        receivables=[
            OpenReceivable(
                receivable_id=index + 1,
                period="202405",
                run_no=1,
                principal_unpaid=principal,
                penalty=penalty,
            )
        ],
        cash=cash,
        prepaid=0,
        rounding_credit=0,
        allow_partial=False,
    )
    posting = payment_posting(agent_id=agent_id, customer_id=index + 1, allocation=allocation)
    return Payment(agent_id=agent_id, cash=cash, posting=posting)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Payment], dict[int, int], list[tuple[int, P]]]:
    count = draw(st.integers(1, 6))
    drawn = [draw(payments(index)) for index in range(count)]
    opening_floats = {agent_id: draw(st.integers(0, 120_000)) for agent_id in AGENTS}
    moves = draw(
        st.lists(st.tuples(st.integers(0, count - 1), st.sampled_from(list(P))), max_size=30)
    )
    return drawn, opening_floats, moves


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios())
def test_state_transitions_keep_balances_equal_to_the_confirmed_payments(
    scenario: tuple[list[Payment], dict[int, int], list[tuple[int, P]]],
) -> None:
    drawn, opening_floats, moves = scenario
    balances = Balances()
    opening: dict[AccountRef, int] = {}
    for agent_id, amount in opening_floats.items():
        if amount:
            topup = topup_posting(agent_id=agent_id, amount=amount)
            balances.apply(topup)
            for account, change in balance_changes(topup).items():
                opening[account] = opening.get(account, 0) + change

    for index, target in moves:
        payment = drawn[index]
        current = payment.state
        if not current.can_become(target):
            with pytest.raises(IllegalTransitionError):
                current.become(target)
            assert payment.state is current
            continue
        if target is P.CONFIRMED:
            if balances.balance(float_of(payment.agent_id)) < payment.cash:
                # The float cannot cover it: the company refuses the payment instead.
                before = balances.snapshot()
                with pytest.raises(LedgerError) as caught:
                    balances.apply(payment.posting)
                assert caught.value.code == "float_insufficient"
                assert balances.snapshot() == before
                payment.state = current.become(P.REJECTED)
                continue
            balances.apply(payment.posting)
        elif current is P.CONFIRMED:
            balances.apply(undo_posting(payment.posting, kind=UNDO_KIND[target]))
        payment.state = current.become(target)

        expected = dict(opening)
        for confirmed in (p for p in drawn if p.state.counts_in_balances):
            for account, change in balance_changes(confirmed.posting).items():
                expected[account] = expected.get(account, 0) + change
        assert balances.snapshot() == {a: b for a, b in expected.items() if b}
        for agent_id in AGENTS:
            floats_used = sum(
                p.cash for p in drawn if p.state.counts_in_balances and p.agent_id == agent_id
            )
            available = balances.balance(float_of(agent_id))
            assert available == opening_floats[agent_id] - floats_used
            assert available >= 0


def test_a_confirmed_then_voided_payment_leaves_no_trace_in_the_balances() -> None:
    balances = Balances()
    balances.apply(topup_posting(agent_id=1, amount=10_000))
    before = balances.snapshot()
    allocation = allocate(
        receivables=[
            OpenReceivable(
                receivable_id=5, period="202405", run_no=1, principal_unpaid=4321, penalty=0
            )
        ],
        cash=5000,
        prepaid=0,
        rounding_credit=0,
        allow_partial=False,
    )
    posting = payment_posting(agent_id=1, customer_id=9, allocation=allocation)
    state = P.PENDING.become(P.UNKNOWN).become(P.CONFIRMED)
    balances.apply(posting)
    assert balances.balance(float_of(1)) == 5000
    assert balances.balance(AccountRef(AccountKind.CUSTOMER_PREPAID, 9)) == 679
    state = state.become(P.VOIDED)
    balances.apply(undo_posting(posting, kind=EventKind.VOID))
    assert balances.snapshot() == before
    assert state.is_final
    with pytest.raises(IllegalTransitionError):
        state.become(P.CONFIRMED)
