"""`gridpos audit verify`: clean on a consistent database, and every kind of break named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.tables import ledger_entries, ledger_transactions
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import AuditReport, verify_database
from gridpos.domain.ledger import EventKind, commission_posting

from .world import DAY, NOW, Scenario, World, drop_audit_triggers

CHECKS = [
    "transaction_balanced",
    "kept_balance",
    "receivable_allocations",
    "payment_totals",
    "payment_float",
    "terminal_day_totals",
    "collection_day_totals",
    "audit_append_only",
    "audit_chain",
]


@pytest.fixture
def busy_day(engine: Engine, world: World, scenario: Scenario) -> dict[str, int]:
    """Float 1,000.00; 50.00 paid on March (1.00 penalty, 49.00 principal); 30.00 more paid and
    reversed; 0.24 commission; three audit entries. Afterwards: float 950.00, March 49.00 + 1.00
    paid, April unpaid."""
    topup = scenario.topup(100_000)
    first, _ = scenario.collect(5_000, penalties={world.march_id: 100})
    second, _ = scenario.collect(3_000)
    scenario.undo(second, EventKind.REVERSAL, state="reversed")
    with SqlUnitOfWork(engine, write=True) as uow:
        uow.ledger.record(
            commission_posting(agent_id=world.agent_id, amount=24),
            business_date=DAY,
            recorded_at=NOW,
        )
        for action in ("float_topup.approve", "payment.reverse", "commission.accrue"):
            uow.audit.append(occurred_at=NOW, actor="finance", action=action)
        uow.commit()
    return {"topup": topup, "first": first, "second": second}


def _report(engine: Engine) -> AuditReport:
    return verify_database(SqlUnitOfWork(engine, write=False))


def _breaks(engine: Engine) -> set[tuple[Any, ...]]:
    return {
        (b.check, b.table, b.row_id, b.what, b.expected, b.found) for b in _report(engine).breaks
    }


def test_a_consistent_database_passes_every_check(engine: Engine, busy_day: dict[str, int]) -> None:
    report = _report(engine)
    assert [check.name for check in report.checks] == CHECKS
    assert report.ok
    assert report.breaks == ()
    assert report.as_dict()["ok"] is True


def test_an_empty_database_passes_every_check(engine: Engine) -> None:
    assert _report(engine).ok


def test_a_float_that_drifted_from_its_entries(
    engine: Engine, world: World, busy_day: dict[str, int], tamper: Any
) -> None:
    tamper("UPDATE agents SET float_available = float_available + 1")
    assert _breaks(engine) == {
        ("kept_balance", "agents", world.agent_id, "float_available", 95_000, 95_001)
    }


def test_a_transaction_whose_entries_do_not_sum_to_zero(
    engine: Engine, busy_day: dict[str, int], tamper: Any
) -> None:
    tamper(
        "UPDATE ledger_entries SET amount = amount + 1"
        " WHERE transaction_id = :t AND account_kind = 'topup_clearing'",
        t=busy_day["topup"],
    )
    assert _breaks(engine) == {
        ("transaction_balanced", "ledger_transactions", busy_day["topup"], "sum of entries", 0, 1)
    }


def test_a_transaction_without_entries(engine: Engine, busy_day: dict[str, int]) -> None:
    with engine.begin() as conn:
        empty = conn.execute(
            insert(ledger_transactions)
            .values(kind="hold", business_date=DAY, recorded_at=NOW)
            .returning(ledger_transactions.c.id)
        ).scalar_one()
    assert _breaks(engine) == {
        ("transaction_balanced", "ledger_transactions", empty, "entries", "≥ 1", 0)
    }


def test_entries_for_a_customer_who_does_not_exist(
    engine: Engine, busy_day: dict[str, int]
) -> None:
    with engine.begin() as conn:
        transaction = conn.execute(
            insert(ledger_transactions)
            .values(kind="float_topup", business_date=DAY, recorded_at=NOW)
            .returning(ledger_transactions.c.id)
        ).scalar_one()
        conn.execute(
            insert(ledger_entries),
            [
                {
                    "transaction_id": transaction,
                    "account_kind": "topup_clearing",
                    "owner_id": None,
                    "amount": 100,
                },
                {
                    "transaction_id": transaction,
                    "account_kind": "customer_prepaid",
                    "owner_id": 4242,
                    "amount": -100,
                },
            ],
        )
    assert _breaks(engine) == {
        (
            "kept_balance",
            "customers",
            4242,
            "owner of customer_prepaid entries (they sum to -100)",
            "an existing row",
            "missing",
        )
    }


def test_allocations_that_do_not_match_the_receivable(
    engine: Engine, world: World, busy_day: dict[str, int], tamper: Any
) -> None:
    tamper(
        "UPDATE payment_allocations SET principal_paid = principal_paid - 100"
        " WHERE payment_id = :p",
        p=busy_day["first"],
    )
    assert _breaks(engine) == {
        ("receivable_allocations", "receivables", world.march_id, "principal_paid", 4_800, 4_900),
        ("payment_totals", "payments", busy_day["first"], "principal_total", 4_800, 4_900),
    }


def test_a_payment_marked_rejected_whose_money_still_moved(
    engine: Engine, world: World, busy_day: dict[str, int], tamper: Any
) -> None:
    tamper("UPDATE payments SET state = 'rejected' WHERE id = :p", p=busy_day["first"])
    assert _breaks(engine) == {
        (
            "payment_float",
            "payments",
            busy_day["first"],
            "float debited by the ledger (rejected)",
            0,
            5_000,
        ),
        ("receivable_allocations", "receivables", world.march_id, "principal_paid", 0, 4_900),
        ("receivable_allocations", "receivables", world.march_id, "penalty_paid", 0, 100),
    }


def test_a_broken_audit_chain(engine: Engine, busy_day: dict[str, int], tamper: Any) -> None:
    tamper("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    (only,) = _report(engine).breaks
    assert (only.check, only.table, only.row_id, only.what) == (
        "audit_chain",
        "audit_log",
        2,
        "hash (content altered)",
    )


def test_dropped_audit_triggers_are_named(engine: Engine, busy_day: dict[str, int]) -> None:
    drop_audit_triggers(engine)
    expected = {
        "sqlite": ["audit_log_no_delete", "audit_log_no_update"],
        "postgresql": ["audit_log_append_only", "audit_log_no_truncate"],
    }[engine.dialect.name]
    assert _breaks(engine) == {
        ("audit_append_only", "audit_log", None, f"trigger {name}", "enabled", "missing")
        for name in expected
    }


def test_a_disabled_audit_trigger_is_named(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("postgresql")  # SQLite cannot disable a trigger
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        assert _breaks(engine) == {
            (
                "audit_append_only",
                "audit_log",
                None,
                "trigger audit_log_append_only",
                "enabled",
                "disabled",
            )
        }
    finally:
        engine.dispose()


def test_breaks_beyond_the_limit_are_counted_as_truncated(
    engine: Engine, world: World, busy_day: dict[str, int], tamper: Any
) -> None:
    tamper("UPDATE audit_log SET actor = 'mallory'")
    report = verify_database(SqlUnitOfWork(engine, write=False), limit=1)
    chain = report.checks[-1]
    assert [b.row_id for b in chain.breaks] == [1]
    assert chain.truncated
    assert report.as_dict()["checks"][-1] == {
        "name": "audit_chain",
        "description": "the audit log is an unbroken hash chain",
        "ok": False,
        "breaks": 1,
        "truncated": True,
    }


def test_verify_writes_nothing(engine: Engine, busy_day: dict[str, int]) -> None:
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one()
    _report(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one() == before
