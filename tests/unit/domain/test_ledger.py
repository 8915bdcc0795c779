"""Worked examples of ledger postings and of the in-memory balances (fen)."""

from __future__ import annotations

import pytest

from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.allocation import OpenReceivable, allocate
from gridpos.domain.ledger import (
    Balances,
    Entry,
    EventKind,
    LedgerError,
    Posting,
    balance_changes,
    commission_for,
    commission_posting,
    hold_posting,
    hold_release_posting,
    payment_posting,
    topup_posting,
    undo_posting,
)

AGENT = 7
CUSTOMER = 42
FLOAT = AccountRef(AccountKind.AGENT_FLOAT, AGENT)
HELD = AccountRef(AccountKind.AGENT_FLOAT_HELD, AGENT)
PREPAID = AccountRef(AccountKind.CUSTOMER_PREPAID, CUSTOMER)
ROUNDING = AccountRef(AccountKind.CUSTOMER_ROUNDING, CUSTOMER)
CLEARING = AccountRef(AccountKind.TOPUP_CLEARING)
EXPENSE = AccountRef(AccountKind.COMMISSION_EXPENSE)
COMMISSION = AccountRef(AccountKind.AGENT_COMMISSION, AGENT)


def penalty(receivable_id: int) -> AccountRef:
    return AccountRef(AccountKind.RECEIVABLE_PENALTY, receivable_id)


def principal(receivable_id: int) -> AccountRef:
    return AccountRef(AccountKind.RECEIVABLE_PRINCIPAL, receivable_id)


def entries_of(posting: Posting) -> list[tuple[AccountRef, int]]:
    return [(entry.account, entry.amount) for entry in posting.entries]


# January: 100.00 principal + 1.50 penalty; February: 50.00 principal. Customer holds 3.00 prepaid
# and 0.40 rounding credit, so 148.10 is due; the collector rounds up to 149.00 and the customer
# hands over 200.00: 0.90 goes to rounding credit, the other 51.00 beyond the due to prepaid.
RECEIVABLES = [
    OpenReceivable(receivable_id=1, period="202401", run_no=1, principal_unpaid=10000, penalty=150),
    OpenReceivable(receivable_id=2, period="202402", run_no=1, principal_unpaid=5000, penalty=0),
]
ALLOCATION = allocate(
    receivables=RECEIVABLES,
    cash=20000,
    prepaid=300,
    rounding_credit=40,
    allow_partial=False,
    rounding_up=90,
)


def test_the_worked_allocation() -> None:
    assert ALLOCATION.total_due == 14810
    assert (ALLOCATION.rounding_used, ALLOCATION.prepaid_used) == (40, 300)
    assert (ALLOCATION.rounding_added, ALLOCATION.prepaid_added) == (90, 5100)
    assert (ALLOCATION.rounding_after, ALLOCATION.prepaid_after) == (90, 5100)


def test_payment_posting() -> None:
    posting = payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION)
    assert posting.kind is EventKind.PAYMENT
    assert entries_of(posting) == [
        (FLOAT, 20000),
        (PREPAID, 300),
        (ROUNDING, 40),
        (penalty(1), -150),
        (principal(1), -10000),
        # February has no penalty: no zero entry
        (principal(2), -5000),
        (PREPAID, -5100),
        (ROUNDING, -90),
    ]
    assert posting.debit_total == 20340
    assert balance_changes(posting) == {
        FLOAT: -20000,
        PREPAID: 4800,
        ROUNDING: 50,
        penalty(1): 150,
        principal(1): 10000,
        principal(2): 5000,
    }


def test_offline_payment_is_paid_from_the_hold() -> None:
    posting = payment_posting(
        agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION, from_hold=True
    )
    assert posting.kind is EventKind.OFFLINE_PAYMENT
    assert entries_of(posting)[0] == (HELD, 20000)
    assert FLOAT not in balance_changes(posting)


def test_prepayment_without_arrears() -> None:
    allocation = allocate(
        receivables=[], cash=5000, prepaid=0, rounding_credit=0, allow_partial=False
    )
    posting = payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=allocation)
    assert entries_of(posting) == [(FLOAT, 5000), (PREPAID, -5000)]


@pytest.mark.parametrize("kind", [EventKind.REVERSAL, EventKind.VOID, EventKind.CANCELLATION])
def test_undo_is_the_exact_negation(kind: EventKind) -> None:
    original = payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION)
    undo = undo_posting(original, kind=kind)
    assert undo.kind is kind
    assert entries_of(undo) == [(account, -amount) for account, amount in entries_of(original)]


@pytest.mark.parametrize(
    "kind",
    [k for k in EventKind if k not in {EventKind.REVERSAL, EventKind.VOID, EventKind.CANCELLATION}],
)
def test_undo_kind_must_be_an_undo(kind: EventKind) -> None:
    original = topup_posting(agent_id=AGENT, amount=100)
    with pytest.raises(LedgerError) as caught:
        undo_posting(original, kind=kind)
    assert caught.value.code == "undo_kind_invalid"
    assert caught.value.field == "kind"


def test_an_undo_is_never_undone() -> None:
    original = payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION)
    reversal = undo_posting(original, kind=EventKind.REVERSAL)
    with pytest.raises(LedgerError) as caught:
        undo_posting(reversal, kind=EventKind.VOID)
    assert caught.value.code == "undo_kind_invalid"
    assert caught.value.field == "original"


def test_float_postings() -> None:
    assert entries_of(topup_posting(agent_id=AGENT, amount=500000)) == [
        (CLEARING, 500000),
        (FLOAT, -500000),
    ]
    assert entries_of(hold_posting(agent_id=AGENT, amount=200000)) == [
        (FLOAT, 200000),
        (HELD, -200000),
    ]
    assert entries_of(hold_release_posting(agent_id=AGENT, amount=150000)) == [
        (HELD, 150000),
        (FLOAT, -150000),
    ]
    assert entries_of(commission_posting(agent_id=AGENT, amount=24)) == [
        (EXPENSE, 24),
        (COMMISSION, -24),
    ]
    assert topup_posting(agent_id=AGENT, amount=1).kind is EventKind.FLOAT_TOPUP
    assert hold_posting(agent_id=AGENT, amount=1).kind is EventKind.HOLD
    assert hold_release_posting(agent_id=AGENT, amount=1).kind is EventKind.HOLD_RELEASE
    assert commission_posting(agent_id=AGENT, amount=1).kind is EventKind.COMMISSION


@pytest.mark.parametrize(
    "make", [topup_posting, hold_posting, hold_release_posting, commission_posting]
)
@pytest.mark.parametrize("amount", [0, -1])
def test_amounts_must_be_positive(make: object, amount: int) -> None:
    with pytest.raises(LedgerError) as caught:
        make(agent_id=AGENT, amount=amount)  # type: ignore[operator]
    assert caught.value.code == "amount_invalid"
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    ("cash", "fixed_fen", "rate_ppm", "commission"),
    [
        (12345, 5, 1500, 24),  # 18.5175 fen rounds up to 19, plus 5
        (10000, 0, 1000, 10),  # 1‰ of 100.00 yuan
        (10000, 20, 0, 20),  # fixed only
        (500, 0, 1000, 1),  # 0.5 fen rounds half up
        (499, 0, 1000, 0),  # 0.499 fen rounds down
        (1500, 0, 1000, 2),  # 1.5 fen rounds half up
        (0, 3, 2500, 3),
    ],
)
def test_commission_for(cash: int, fixed_fen: int, rate_ppm: int, commission: int) -> None:
    assert commission_for(cash=cash, fixed_fen=fixed_fen, rate_ppm=rate_ppm) == commission


@pytest.mark.parametrize(
    ("cash", "fixed_fen", "rate_ppm", "field"),
    [(-1, 0, 0, "cash"), (100, -1, 0, "fixed_fen"), (100, 0, -5, "rate_ppm")],
)
def test_commission_for_refuses_negatives(
    cash: int, fixed_fen: int, rate_ppm: int, field: str
) -> None:
    with pytest.raises(LedgerError) as caught:
        commission_for(cash=cash, fixed_fen=fixed_fen, rate_ppm=rate_ppm)
    assert caught.value.code == "amount_invalid"
    assert caught.value.field == field


def test_posting_refuses_empty() -> None:
    with pytest.raises(LedgerError) as caught:
        Posting(kind=EventKind.PAYMENT, entries=())
    assert caught.value.code == "posting_empty"


def test_entry_refuses_zero() -> None:
    with pytest.raises(LedgerError) as caught:
        Entry(account=FLOAT, amount=0)
    assert caught.value.code == "entry_zero"


def test_entry_refuses_non_integer() -> None:
    with pytest.raises(LedgerError) as caught:
        Entry(account=FLOAT, amount=1.5)  # type: ignore[arg-type]
    assert caught.value.code == "entry_zero"


def test_posting_refuses_unbalanced() -> None:
    with pytest.raises(LedgerError) as caught:
        Posting(
            kind=EventKind.FLOAT_TOPUP,
            entries=(Entry(account=CLEARING, amount=100), Entry(account=FLOAT, amount=-99)),
        )
    assert caught.value.code == "posting_unbalanced"
    assert caught.value.details["total"] == 1


def test_balance_changes_leave_out_accounts_that_cancel() -> None:
    posting = Posting(
        kind=EventKind.PAYMENT,
        entries=(
            Entry(account=FLOAT, amount=300),
            Entry(account=PREPAID, amount=200),
            Entry(account=PREPAID, amount=-200),
            Entry(account=principal(1), amount=-300),
        ),
    )
    assert balance_changes(posting) == {FLOAT: -300, principal(1): 300}


def test_balances_follow_a_collection_day() -> None:
    balances = Balances()
    balances.apply(topup_posting(agent_id=AGENT, amount=50000))
    balances.apply(hold_posting(agent_id=AGENT, amount=20000))
    assert (balances.balance(FLOAT), balances.balance(HELD)) == (30000, 20000)

    online = allocate(
        receivables=RECEIVABLES[:1], cash=10150, prepaid=0, rounding_credit=0, allow_partial=False
    )
    balances.apply(payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=online))
    offline = allocate(
        receivables=RECEIVABLES[1:], cash=6000, prepaid=0, rounding_credit=0, allow_partial=False
    )
    balances.apply(
        payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=offline, from_hold=True)
    )
    balances.apply(hold_release_posting(agent_id=AGENT, amount=14000))
    # 50000 - 20000 - 10150 + 14000; held 20000 - 6000 - 14000
    assert balances.snapshot() == {
        FLOAT: 33850,
        CLEARING: -50000,
        penalty(1): 150,
        principal(1): 10000,
        principal(2): 5000,
        PREPAID: 1000,
    }
    assert balances.balance(HELD) == 0


def test_balances_refuse_a_payment_the_float_cannot_cover_and_change_nothing() -> None:
    balances = Balances({FLOAT: 10000})
    before = balances.snapshot()
    posting = payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION)
    with pytest.raises(LedgerError) as caught:
        balances.apply(posting)
    error = caught.value
    assert error.code == "float_insufficient"
    assert error.field == "amount"
    assert error.details == {"account": "agent_float:7", "available": 10000, "needed": 20000}
    assert "100.00" in error.message_zh
    assert "200.00" in error.message_en
    assert balances.snapshot() == before


def test_balances_refuse_an_offline_payment_beyond_the_hold() -> None:
    balances = Balances({FLOAT: 1_000_000, HELD: 19999})
    posting = payment_posting(
        agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION, from_hold=True
    )
    with pytest.raises(LedgerError) as caught:
        balances.apply(posting)
    assert caught.value.code == "float_insufficient"
    assert "脱机" in caught.value.message_zh
    assert balances.balance(HELD) == 19999


def test_balances_exact_float_is_enough() -> None:
    balances = Balances({FLOAT: 20000})
    balances.apply(payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION))
    assert balances.balance(FLOAT) == 0


def test_balances_refuse_a_negative_opening_float() -> None:
    with pytest.raises(LedgerError) as caught:
        Balances({FLOAT: -1})
    assert caught.value.code == "float_insufficient"


def test_undo_restores_the_balances() -> None:
    balances = Balances({FLOAT: 30000, PREPAID: 300, ROUNDING: 40})
    before = balances.snapshot()
    posting = payment_posting(agent_id=AGENT, customer_id=CUSTOMER, allocation=ALLOCATION)
    balances.apply(posting)
    assert balances.balance(FLOAT) == 10000
    assert balances.balance(PREPAID) == 5100
    assert balances.balance(ROUNDING) == 90
    balances.apply(undo_posting(posting, kind=EventKind.VOID))
    assert balances.snapshot() == before
