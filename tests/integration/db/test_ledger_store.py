"""The ledger store: postings written with their entries, kept balances moved in the same
transaction, and the database's refusal of a float below zero named and leaving nothing behind."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.kept_balances import KEPT_BALANCES
from gridpos.adapters.db.tables import (
    agents,
    customers,
    ledger_entries,
    ledger_transactions,
    payments,
    receivables,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.allocation import OpenReceivable, allocate
from gridpos.domain.ledger import (
    Entry,
    EventKind,
    LedgerError,
    Posting,
    commission_posting,
    hold_posting,
    hold_release_posting,
    payment_posting,
    topup_posting,
)

from .world import DAY, NOW, Scenario, World


def _agent(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(agents)).one()


def _customer(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(customers)).one()


def _receivables(engine: Engine) -> dict[str, tuple[int, int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(receivables).order_by(receivables.c.period))
        return {r.period: (r.principal_paid, r.penalty_paid, r.settle_state) for r in rows}


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_every_account_with_an_owner_has_a_kept_balance() -> None:
    assert set(KEPT_BALANCES) == {kind for kind in AccountKind if kind.has_owner}


def test_a_top_up_credits_the_float(engine: Engine, scenario: Scenario) -> None:
    scenario.topup(100_000)  # 1,000.00 yuan
    assert _agent(engine).float_available == 100_000


def test_a_payment_moves_every_kept_balance_by_its_entries(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    """Float 1,000.00; the customer owes March 80.00 (+1.00 penalty) and April 90.00 and hands
    over 200.00: both months settle and 200.00 − 171.00 = 29.00 becomes prepaid."""
    scenario.topup(100_000)
    payment_id, _ = scenario.collect(20_000, penalties={world.march_id: 100})

    assert _agent(engine).float_available == 80_000  # 1,000.00 − 200.00
    assert _customer(engine).prepaid == 2_900
    assert _receivables(engine) == {
        "202403": (8_000, 100, "settled"),
        "202404": (9_000, 0, "settled"),
    }
    with engine.connect() as conn:
        transaction = conn.execute(
            select(ledger_transactions).where(ledger_transactions.c.payment_id == payment_id)
        ).one()
        entries = conn.execute(
            select(
                ledger_entries.c.account_kind, ledger_entries.c.owner_id, ledger_entries.c.amount
            )
            .where(ledger_entries.c.transaction_id == transaction.id)
            .order_by(ledger_entries.c.id)
        ).all()
    assert transaction.kind == "payment"
    assert transaction.business_date == DAY
    assert transaction.recorded_at == NOW
    assert [tuple(e) for e in entries] == [
        ("agent_float", world.agent_id, 20_000),
        ("receivable_penalty", world.march_id, -100),
        ("receivable_principal", world.march_id, -8_000),
        ("receivable_principal", world.april_id, -9_000),
        ("customer_prepaid", world.customer_id, -2_900),
    ]


def test_a_partial_payment_leaves_the_receivable_partly_settled(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    scenario.topup(100_000)
    scenario.collect(5_000, penalties={world.march_id: 100})
    assert _receivables(engine) == {
        "202403": (4_900, 100, "partial"),  # penalty first, then principal
        "202404": (0, 0, "unpaid"),
    }
    assert _agent(engine).float_available == 95_000


def test_an_undo_puts_every_balance_back(engine: Engine, world: World, scenario: Scenario) -> None:
    scenario.topup(100_000)
    payment_id, _ = scenario.collect(20_000, penalties={world.march_id: 100})
    scenario.undo(payment_id, EventKind.VOID, state="voided")

    assert _agent(engine).float_available == 100_000
    assert _customer(engine).prepaid == 0
    assert _receivables(engine) == {"202403": (0, 0, "unpaid"), "202404": (0, 0, "unpaid")}
    assert _count(engine, ledger_transactions) == 3  # top-up, payment, void: nothing deleted


def test_the_rounding_credit_is_kept_apart_from_prepaid(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    """Due 170.37 (penalty 0.37 on March); the customer pays 171.00 under 取整: 0.63 is 调尾."""
    scenario.topup(100_000)
    scenario.collect(17_100, penalties={world.march_id: 37}, rounding_up=63)
    customer = _customer(engine)
    assert (customer.prepaid, customer.rounding_credit) == (0, 63)


def test_offline_payments_come_out_of_the_hold(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    scenario.topup(100_000)
    with SqlUnitOfWork(engine, write=True) as uow:
        uow.ledger.record(
            hold_posting(agent_id=world.agent_id, amount=30_000), business_date=DAY, recorded_at=NOW
        )
        allocation = allocate(
            receivables=[OpenReceivable(world.march_id, "202403", 1, 8_000, 0)],
            cash=8_000,
            prepaid=0,
            rounding_credit=0,
            allow_partial=False,
        )
        uow.ledger.record(
            payment_posting(
                agent_id=world.agent_id,
                customer_id=world.customer_id,
                allocation=allocation,
                from_hold=True,
            ),
            business_date=DAY,
            recorded_at=NOW,
        )
        uow.commit()
    agent = _agent(engine)
    assert (agent.float_available, agent.float_held) == (70_000, 22_000)

    with SqlUnitOfWork(engine, write=True) as uow:
        uow.ledger.record(
            hold_release_posting(agent_id=world.agent_id, amount=22_000),
            business_date=DAY,
            recorded_at=NOW,
        )
        uow.ledger.record(
            commission_posting(agent_id=world.agent_id, amount=24),
            business_date=DAY,
            recorded_at=NOW,
        )
        uow.commit()
    agent = _agent(engine)
    assert (agent.float_available, agent.float_held, agent.commission_accrued) == (92_000, 0, 24)


def test_a_float_that_cannot_cover_the_cash_is_refused_by_name_and_nothing_is_written(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    scenario.topup(10_000)  # 100.00 yuan
    with pytest.raises(LedgerError) as refused:
        scenario.collect(20_000)  # 200.00 yuan

    error = refused.value
    assert error.code == "float_insufficient"
    assert error.field == "amount"
    assert error.message_zh == "本机可用余额不足：现有 100.00 元，需要 200.00 元"
    assert error.message_en == (
        "the available float is insufficient: 100.00 yuan, 200.00 yuan needed"
    )
    assert error.details == {
        "account": "agent_float",
        "owner_id": world.agent_id,
        "balance": 10_000,
        "change": -20_000,
    }
    assert _agent(engine).float_available == 10_000
    assert _count(engine, payments) == 0
    assert _count(engine, ledger_transactions) == 1  # the top-up only
    assert _receivables(engine)["202403"] == (0, 0, "unpaid")


def test_after_a_refusal_the_unit_of_work_goes_on(engine: Engine, world: World) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        with pytest.raises(LedgerError, match="insufficient"):
            uow.ledger.record(
                hold_posting(agent_id=world.agent_id, amount=1), business_date=DAY, recorded_at=NOW
            )
        uow.ledger.record(
            topup_posting(agent_id=world.agent_id, amount=500), business_date=DAY, recorded_at=NOW
        )
        uow.commit()
    assert _agent(engine).float_available == 500
    assert _count(engine, ledger_transactions) == 1
    assert _count(engine, ledger_entries) == 2


def test_an_entry_naming_a_missing_owner_is_refused(engine: Engine, world: World) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        with pytest.raises(LedgerError) as refused:
            uow.ledger.record(
                topup_posting(agent_id=4242, amount=500), business_date=DAY, recorded_at=NOW
            )
        assert refused.value.code == "account_owner_missing"
        uow.commit()
    assert _count(engine, ledger_transactions) == 0


def test_a_recorded_posting_reads_back_equal(engine: Engine, world: World) -> None:
    posting = Posting(
        kind=EventKind.FLOAT_TOPUP,
        entries=(
            Entry(AccountRef(AccountKind.TOPUP_CLEARING), 700),
            Entry(AccountRef(AccountKind.AGENT_FLOAT, world.agent_id), -700),
        ),
    )
    with SqlUnitOfWork(engine, write=True) as uow:
        transaction_id = uow.ledger.record(
            posting, business_date=DAY, recorded_at=NOW, memo="cash handed over at the station"
        )
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.ledger.posting(transaction_id) == posting
        with pytest.raises(LedgerError, match="no ledger transaction"):
            uow.ledger.posting(transaction_id + 1)


def test_concurrent_writers_never_take_the_float_below_zero(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    """Twenty holds of 10.00 yuan race for a float of 100.00 yuan: exactly ten get through."""
    scenario.topup(10_000)

    def take_hold() -> bool:
        try:
            with SqlUnitOfWork(engine, write=True) as uow:
                uow.ledger.record(
                    hold_posting(agent_id=world.agent_id, amount=1_000),
                    business_date=DAY,
                    recorded_at=NOW,
                )
                uow.commit()
        except LedgerError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: take_hold(), range(20), timeout=60))

    assert outcomes.count(True) == 10
    agent = _agent(engine)
    assert (agent.float_available, agent.float_held) == (0, 10_000)
    assert _count(engine, ledger_transactions) == 11
