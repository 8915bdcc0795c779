"""The audit log: a hash chain that is the same on both databases and shows every tampering."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.audit_log import GENESIS_HASH, AuditEntry, entry_hash
from gridpos.adapters.db.tables import audit_log
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

from .world import NOW

CHINA = timezone(timedelta(hours=8))


def _append(engine: Engine, count: int) -> list[AuditEntry]:
    with SqlUnitOfWork(engine, write=True) as uow:
        entries = [
            uow.audit.append(
                occurred_at=NOW + timedelta(minutes=n),
                actor="finance",
                action="float_topup.approve",
                subject=f"float_topup:{n}",
                details={"amount": 10_000 * (n + 1), "agent": "A001"},
            )
            for n in range(count)
        ]
        uow.commit()
    return entries


def _verify(engine: Engine, *, limit: int = 1_000) -> Any:
    with SqlUnitOfWork(engine, write=False) as uow:
        return uow.audit.verify(limit=limit)


def _found(engine: Engine) -> list[tuple[int | None, str]]:
    return [(b.row_id, b.what) for b in _verify(engine).breaks]


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_entry(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        entry = uow.audit.append(
            occurred_at=datetime(2024, 5, 1, 8, 30, tzinfo=CHINA),
            actor="admin",
            action="float_topup.approve",
            subject="agent:7",
            details={"金额": "100.00", "amount": 10_000, "day": date(2024, 5, 1)},
        )
        uow.commit()
    canonical = (
        '{"action":"float_topup.approve","actor":"admin",'
        '"details":{"amount":10000,"day":"2024-05-01","金额":"100.00"},'
        '"id":1,"occurred_at":"2024-05-01T00:30:00.000000Z","subject":"agent:7"}'
    )
    assert entry.prev_hash == GENESIS_HASH == "0" * 64
    assert entry.hash == hashlib.sha256((GENESIS_HASH + canonical).encode("utf-8")).hexdigest()
    with SqlUnitOfWork(engine, write=False) as uow:
        (stored,) = list(uow.audit.entries())
    assert stored.hash == entry.hash
    assert stored.occurred_at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert stored.occurred_at.tzinfo is UTC
    assert stored.details == {"金额": "100.00", "amount": 10_000, "day": "2024-05-01"}


def test_each_entry_chains_to_the_one_before(engine: Engine) -> None:
    first, second, third = _append(engine, 3)
    assert (first.id, second.id, third.id) == (1, 2, 3)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.audit.head() == (3, third.hash)
    result = _verify(engine)
    assert result.ok
    assert result.breaks == ()


def test_an_empty_log_is_an_unbroken_chain(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.audit.head() == (0, GENESIS_HASH)
        assert uow.audit.verify().ok


def test_an_altered_entry_is_named(engine: Engine, tamper: Any) -> None:
    entries = _append(engine, 4)
    tamper("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    result = _verify(engine)
    assert [(b.row_id, b.what, b.found) for b in result.breaks] == [
        (2, "hash (content altered)", entries[1].hash)
    ]
    assert result.breaks[0].describe().startswith("audit_chain: audit_log 2 hash (content altered)")


def test_an_altered_and_rehashed_entry_breaks_the_next_link(engine: Engine, tamper: Any) -> None:
    entries = _append(engine, 4)
    forged = entry_hash(
        prev_hash=entries[1].prev_hash,
        entry_id=2,
        occurred_at=entries[1].occurred_at,
        actor=entries[1].actor,
        action=entries[1].action,
        subject=entries[1].subject,
        details={"amount": 1, "agent": "A001"},
    )
    tamper(
        "UPDATE audit_log SET details = :details, hash = :hash WHERE id = 2",
        details='{"agent":"A001","amount":1}',
        hash=forged,
    )
    assert _found(engine) == [(3, "prev_hash (link to the entry before)")]


def test_a_missing_entry_is_named(engine: Engine, tamper: Any) -> None:
    _append(engine, 4)
    tamper("DELETE FROM audit_log WHERE id = 2")
    assert _found(engine) == [
        (3, "chain position (entries missing before this one)"),
        (3, "prev_hash (link to the entry before)"),
    ]


def test_unreadable_details_are_named(engine: Engine, tamper: Any) -> None:
    _append(engine, 2)
    tamper("UPDATE audit_log SET details = 'not json' WHERE id = 1")
    assert _found(engine) == [(1, "details (not a JSON object)")]


def test_at_most_limit_breaks_are_named(engine: Engine, tamper: Any) -> None:
    _append(engine, 6)
    tamper("UPDATE audit_log SET actor = 'mallory'")
    result = _verify(engine, limit=2)
    assert [b.row_id for b in result.breaks] == [1, 2]
    assert result.truncated


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"details": {"amount": 12.5}}, TypeError),  # money is int fen
        ({"details": {"who": object()}}, TypeError),
        ({"occurred_at": datetime(2024, 5, 1, 8, 30)}, ValueError),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_an_entry_that_cannot_be_hashed_is_refused_and_nothing_written(
    engine: Engine, changes: dict[str, Any], error: type[Exception]
) -> None:
    values: dict[str, Any] = {"occurred_at": NOW, "actor": "admin", "action": "x", "details": {}}
    values.update(changes)
    with SqlUnitOfWork(engine, write=True) as uow:
        with pytest.raises(error):
            uow.audit.append(**values)
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 0


def test_concurrent_writers_extend_one_chain(engine: Engine) -> None:
    def append_ten(worker: int) -> None:
        for n in range(10):
            with SqlUnitOfWork(engine, write=True) as uow:
                uow.audit.append(
                    occurred_at=NOW, actor=f"worker-{worker}", action="test.append", subject=str(n)
                )
                uow.commit()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(append_ten, range(4), timeout=120))

    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.audit.head()[0] == 40
        assert [e.position for e in uow.audit.entries()] == list(range(1, 41))
        assert uow.audit.verify().ok
