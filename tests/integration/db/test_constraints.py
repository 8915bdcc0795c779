"""The database itself guards money and identity: every CHECK, UNIQUE and trigger, on both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.audit_log import AuditLog
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.tables import (
    agents,
    audit_log,
    batch_differences,
    batches,
    customers,
    float_topups,
    holds,
    ledger_entries,
    ledger_transactions,
    operators,
    outbox,
    parameters,
    payment_allocations,
    payment_undos,
    payments,
    receivables,
    reversal_tombstones,
    terminals,
)

from .world import DAY, NOW, World

Write = Callable[[Connection, World], Any]


def _payment(w: World, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "terminal_id": w.terminal_id,
        "txn_id": "T0001-000001",
        "request_hash": "a" * 64,
        "trace_no": 1,
        "agent_id": w.agent_id,
        "operator_id": w.collector_id,
        "customer_id": w.customer_id,
        "org_id": w.point_id,
        "business_date": DAY,
        "cash_time": NOW,
        "recorded_at": NOW,
        "cash": 8000,
        "principal_total": 8000,
        "state": "confirmed",
    }
    values.update(changes)
    return values


def _topup(w: World, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "agent_id": w.agent_id,
        "amount": 100_000,
        "state": "requested",
        "requested_by": w.finance_id,
        "requested_at": NOW,
    }
    values.update(changes)
    return values


def _second_terminal(conn: Connection, w: World) -> int:
    return int(
        conn.execute(
            insert(terminals)
            .values(terminal_no="T0002", org_id=w.point_id, state="active")
            .returning(terminals.c.id)
        ).scalar_one()
    )


def _transaction(conn: Connection) -> int:
    return int(
        conn.execute(
            insert(ledger_transactions)
            .values(kind="float_topup", business_date=DAY, recorded_at=NOW)
            .returning(ledger_transactions.c.id)
        ).scalar_one()
    )


# (name, the write that must be refused, the constraint named on PostgreSQL, SQLite's words)
REFUSED: list[tuple[str, Write, str, str]] = [
    (
        "float below zero",
        lambda c, w: c.execute(update(agents).values(float_available=-1)),
        "ck_agents_float_available_not_negative",
        "ck_agents_float_available_not_negative",
    ),
    (
        "held float below zero",
        lambda c, w: c.execute(update(agents).values(float_held=-1)),
        "ck_agents_float_held_not_negative",
        "ck_agents_float_held_not_negative",
    ),
    (
        "commission below zero",
        lambda c, w: c.execute(update(agents).values(commission_accrued=-5)),
        "ck_agents_commission_accrued_not_negative",
        "ck_agents_commission_accrued_not_negative",
    ),
    (
        "prepaid below zero",
        lambda c, w: c.execute(update(customers).values(prepaid=-1)),
        "ck_customers_prepaid_not_negative",
        "ck_customers_prepaid_not_negative",
    ),
    (
        "rounding credit below zero",
        lambda c, w: c.execute(update(customers).values(rounding_credit=-1)),
        "ck_customers_rounding_credit_not_negative",
        "ck_customers_rounding_credit_not_negative",
    ),
    (
        "principal paid beyond the principal",
        lambda c, w: c.execute(
            update(receivables).where(receivables.c.id == w.march_id).values(principal_paid=8001)
        ),
        "ck_receivables_principal_paid_within",
        "ck_receivables_principal_paid_within",
    ),
    (
        "a customer category the tariff does not know",
        lambda c, w: c.execute(update(customers).values(category="industrial")),
        "ck_customers_category_known",
        "ck_customers_category_known",
    ),
    (
        "a second payment with the same (terminal, txn_id)",
        lambda c, w: (
            c.execute(insert(payments).values(_payment(w))),
            c.execute(insert(payments).values(_payment(w, trace_no=2))),
        ),
        "uq_payments_terminal_id_txn_id",
        "UNIQUE constraint failed: payments.terminal_id, payments.txn_id",
    ),
    (
        "a payment of no cash",
        lambda c, w: c.execute(insert(payments).values(_payment(w, cash=0, principal_total=0))),
        "ck_payments_cash_positive",
        "ck_payments_cash_positive",
    ),
    (
        "a payment that creates a fen",
        lambda c, w: c.execute(insert(payments).values(_payment(w, principal_total=8001))),
        "ck_payments_money_conserved",
        "ck_payments_money_conserved",
    ),
    (
        "a payment using prepaid the customer did not have",
        lambda c, w: c.execute(
            insert(payments).values(_payment(w, prepaid_used=100, principal_total=8100))
        ),
        "ck_payments_credits_used_within",
        "ck_payments_credits_used_within",
    ),
    (
        "a payment state nobody knows",
        lambda c, w: c.execute(insert(payments).values(_payment(w, state="maybe"))),
        "ck_payments_state_known",
        "ck_payments_state_known",
    ),
    (
        "a payment for a customer who does not exist",
        lambda c, w: c.execute(insert(payments).values(_payment(w, customer_id=999_999))),
        "fk_payments_customer_id_customers",
        "FOREIGN KEY constraint failed",
    ),
    (
        "a float top-up decided by its requester",
        lambda c, w: c.execute(
            insert(float_topups).values(
                _topup(w, state="approved", decided_by=w.finance_id, decided_at=NOW)
            )
        ),
        "ck_float_topups_decided_by_not_requester",
        "ck_float_topups_decided_by_not_requester",
    ),
    (
        "a float top-up approved by nobody",
        lambda c, w: c.execute(insert(float_topups).values(_topup(w, state="approved"))),
        "ck_float_topups_decided_iff_not_requested",
        "ck_float_topups_decided_iff_not_requested",
    ),
    (
        "a float top-up of nothing",
        lambda c, w: c.execute(insert(float_topups).values(_topup(w, amount=0))),
        "ck_float_topups_amount_positive",
        "ck_float_topups_amount_positive",
    ),
    (
        "a hold used and released beyond its amount",
        lambda c, w: c.execute(
            insert(holds).values(
                agent_id=w.agent_id,
                terminal_id=w.terminal_id,
                business_date=DAY,
                amount=5000,
                used=3000,
                released=2001,
                state="closed",
                created_at=NOW,
            )
        ),
        "ck_holds_within_amount",
        "ck_holds_within_amount",
    ),
    (
        "a ledger entry of zero",
        lambda c, w: c.execute(
            insert(ledger_entries).values(
                transaction_id=_transaction(c),
                account_kind="agent_float",
                owner_id=w.agent_id,
                amount=0,
            )
        ),
        "ck_ledger_entries_amount_not_zero",
        "ck_ledger_entries_amount_not_zero",
    ),
    (
        "a company account with an owner",
        lambda c, w: c.execute(
            insert(ledger_entries).values(
                transaction_id=_transaction(c),
                account_kind="topup_clearing",
                owner_id=w.agent_id,
                amount=100,
            )
        ),
        "ck_ledger_entries_owner_iff_party_account",
        "ck_ledger_entries_owner_iff_party_account",
    ),
    (
        "an agent's account without its agent",
        lambda c, w: c.execute(
            insert(ledger_entries).values(
                transaction_id=_transaction(c), account_kind="agent_float", amount=100
            )
        ),
        "ck_ledger_entries_owner_iff_party_account",
        "ck_ledger_entries_owner_iff_party_account",
    ),
    (
        "an agent operator without an agent",
        lambda c, w: c.execute(
            insert(operators).values(
                org_id=w.point_id, account="B002", name="B", password_hash="x", role="agent"
            )
        ),
        "ck_operators_agent_role_has_agent",
        "ck_operators_agent_role_has_agent",
    ),
    (
        "the same operator account twice in one organisation",
        lambda c, w: c.execute(
            insert(operators).values(
                org_id=w.county_id, account="admin", name="again", password_hash="x", role="admin"
            )
        ),
        "uq_operators_org_id_account",
        "UNIQUE constraint failed: operators.org_id, operators.account",
    ),
    (
        "a payment undone twice",
        lambda c, w: [
            c.execute(
                insert(payment_undos).values(
                    payment_id=pid, kind=kind, business_date=DAY, recorded_at=NOW
                )
            )
            for pid in [
                c.execute(insert(payments).values(_payment(w)).returning(payments.c.id)).scalar()
            ]
            for kind in ("reversal", "void")
        ],
        "uq_payment_undos_payment_id",
        "UNIQUE constraint failed: payment_undos.payment_id",
    ),
    (
        "a void approved by the collector who asked for it",
        lambda c, w: c.execute(
            insert(payment_undos).values(
                payment_id=c.execute(
                    insert(payments).values(_payment(w)).returning(payments.c.id)
                ).scalar(),
                kind="void",
                requested_by=w.collector_id,
                approved_by=w.collector_id,
                business_date=DAY,
                recorded_at=NOW,
            )
        ),
        "ck_payment_undos_approved_by_not_requester",
        "ck_payment_undos_approved_by_not_requester",
    ),
    (
        "a second tombstone for the same (terminal, txn_id)",
        lambda c, w: [
            c.execute(
                insert(reversal_tombstones).values(
                    terminal_id=w.terminal_id, txn_id="T0001-9", business_date=DAY, recorded_at=NOW
                )
            )
            for _ in range(2)
        ],
        "uq_reversal_tombstones_terminal_id_txn_id",
        "UNIQUE constraint failed: reversal_tombstones.terminal_id, reversal_tombstones.txn_id",
    ),
    (
        "a second terminal with the same number",
        lambda c, w: c.execute(
            insert(terminals).values(terminal_no="T0001", org_id=w.point_id, state="issued")
        ),
        "uq_terminals_terminal_no",
        "UNIQUE constraint failed: terminals.terminal_no",
    ),
    (
        "a terminal state nobody knows",
        lambda c, w: c.execute(update(terminals).values(state="lost")),
        "ck_terminals_state_known",
        "ck_terminals_state_known",
    ),
    (
        "a billing month '2024-3'",
        lambda c, w: c.execute(
            update(receivables).where(receivables.c.id == w.march_id).values(period="2024-3")
        ),
        "ck_receivables_period_yyyymm",
        "ck_receivables_period_yyyymm",
    ),
    (
        "a billing month '202413'",
        lambda c, w: c.execute(
            update(receivables).where(receivables.c.id == w.march_id).values(period="202413")
        ),
        "ck_receivables_period_yyyymm",
        "ck_receivables_period_yyyymm",
    ),
    (
        "a billing month '202400'",
        lambda c, w: c.execute(
            update(receivables).where(receivables.c.id == w.march_id).values(period="202400")
        ),
        "ck_receivables_period_yyyymm",
        "ck_receivables_period_yyyymm",
    ),
    (
        "a billing month '20a403'",
        lambda c, w: c.execute(
            update(receivables).where(receivables.c.id == w.march_id).values(period="20a403")
        ),
        "ck_receivables_period_yyyymm",
        "ck_receivables_period_yyyymm",
    ),
    (
        "a second receivable for the same month and run",
        lambda c, w: c.execute(
            insert(receivables).values(
                mis_receivable_id="MIS-again",
                customer_id=w.customer_id,
                period="202403",
                run_no=1,
                principal=1,
                due_date=DAY,
            )
        ),
        "uq_receivables_customer_id_period_run_no",
        "UNIQUE constraint failed: receivables.customer_id, receivables.period, receivables.run_no",
    ),
    (
        "a negative allocation",
        lambda c, w: c.execute(
            insert(payment_allocations).values(
                payment_id=c.execute(
                    insert(payments).values(_payment(w)).returning(payments.c.id)
                ).scalar(),
                receivable_id=w.march_id,
                principal_paid=-1,
            )
        ),
        "ck_payment_allocations_principal_paid_not_negative",
        "ck_payment_allocations_principal_paid_not_negative",
    ),
    (
        "a ledger transaction of an unknown kind",
        lambda c, w: c.execute(
            insert(ledger_transactions).values(kind="gift", business_date=DAY, recorded_at=NOW)
        ),
        "ck_ledger_transactions_kind_known",
        "ck_ledger_transactions_kind_known",
    ),
    (
        "a batch difference resolved at no time",
        lambda c, w: c.execute(
            insert(batch_differences).values(
                batch_id=c.execute(
                    insert(batches)
                    .values(terminal_id=w.terminal_id, business_date=DAY, batch_no=1, opened_at=NOW)
                    .returning(batches.c.id)
                ).scalar(),
                kind="terminal_only",
                txn_id="T0001-000009",
                state="resolved",
            )
        ),
        "ck_batch_differences_resolved_iff_resolved_at",
        "ck_batch_differences_resolved_iff_resolved_at",
    ),
    (
        "a parameter given twice for the same day",
        lambda c, w: [
            c.execute(
                insert(parameters).values(
                    key="penalty.residential_daily_ppm", valid_from=DAY, value="1000"
                )
            )
            for _ in range(2)
        ],
        "pk_parameters",
        "UNIQUE constraint failed: parameters.key, parameters.valid_from",
    ),
    (
        "an outbox message sent at no time",
        lambda c, w: c.execute(
            insert(outbox).values(
                topic="mis.post",
                aggregate_id="1",
                payload="{}",
                state="sent",
                next_attempt_at=NOW,
                created_at=NOW,
            )
        ),
        "ck_outbox_sent_iff_sent_at",
        "ck_outbox_sent_iff_sent_at",
    ),
    (
        "a balanced batch never closed",
        lambda c, w: c.execute(
            insert(batches).values(
                terminal_id=w.terminal_id,
                business_date=DAY,
                batch_no=1,
                state="balanced",
                opened_at=NOW,
            )
        ),
        "ck_batches_closed_iff_not_open",
        "ck_batches_closed_iff_not_open",
    ),
]


@pytest.mark.parametrize(
    ("write", "postgresql_name", "sqlite_words"),
    [pytest.param(write, pg, lite, id=name) for name, write, pg, lite in REFUSED],
)
def test_the_database_refuses(
    engine: Engine, world: World, write: Write, postgresql_name: str, sqlite_words: str
) -> None:
    with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
        write(conn, world)
    expected = postgresql_name if engine.dialect.name == "postgresql" else sqlite_words
    assert expected in str(refused.value.orig)
    with engine.connect() as conn:  # and nothing was written
        assert conn.execute(select(payments.c.id)).first() is None
        assert conn.execute(select(agents.c.float_available)).scalar_one() == 0


def test_the_same_txn_id_on_another_terminal_is_another_payment(
    engine: Engine, world: World
) -> None:
    with engine.begin() as conn:
        other = _second_terminal(conn, world)
        conn.execute(insert(payments).values(_payment(world)))
        conn.execute(insert(payments).values(_payment(world, terminal_id=other)))
    with engine.connect() as conn:
        assert len(conn.execute(select(payments.c.id)).all()) == 2


def test_a_top_up_decided_by_someone_else_is_accepted(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(float_topups).values(
                _topup(world, state="approved", decided_by=world.finance2_id, decided_at=NOW)
            )
        )
    with engine.connect() as conn:
        assert conn.execute(select(float_topups.c.decided_by)).scalar_one() == world.finance2_id


def test_a_receivable_paid_in_full_is_accepted(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(receivables)
            .where(receivables.c.id == world.march_id)
            .values(principal_paid=8000, settle_state="settled")
        )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: c.execute(update(audit_log).values(actor="mallory")), id="update"),
        pytest.param(lambda c: c.execute(delete(audit_log)), id="delete"),
    ],
)
def test_the_audit_log_refuses_update_and_delete(
    engine: Engine, change: Callable[[Connection], Any]
) -> None:
    with engine.begin() as conn:
        AuditLog(conn).append(occurred_at=NOW, actor="admin", action="operator.create")
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        change(conn)
    with engine.connect() as conn:
        assert conn.execute(select(audit_log.c.actor)).scalars().all() == ["admin"]


def test_the_audit_log_refuses_truncate_on_postgresql(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("postgresql")  # SQLite has no TRUNCATE; DELETE is refused above
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            AuditLog(conn).append(occurred_at=NOW, actor="admin", action="operator.create")
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
        with engine.connect() as conn:
            assert conn.execute(select(audit_log.c.id)).scalars().all() == [1]
    finally:
        engine.dispose()


def test_business_dates_are_dates(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        conn.execute(insert(payments).values(_payment(world)))
    with engine.connect() as conn:
        assert conn.execute(select(payments.c.business_date)).scalar_one() == date(2024, 5, 1)
