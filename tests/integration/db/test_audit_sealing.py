"""Audit entries written unsealed (payments) and chained later by the sealer.

On PostgreSQL an unsealed entry waits with its chain columns empty; on SQLite, where writers are
serialised anyway, it is sealed as it is written. Either way the chain verifies once sealed, the
triggers let through exactly the one sealing UPDATE, and an entry left unsealed too long is named.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from gridpos.adapters.db.audit_log import GENESIS_HASH, AuditEntry, entry_hash, seal_audit_log
from gridpos.adapters.db.tables import audit_log
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

from .world import NOW


def _unsealed(engine: Engine, count: int, *, start: int = 0) -> list[AuditEntry]:
    with SqlUnitOfWork(engine, write=True) as uow:
        entries = [
            uow.audit.append_unsealed(
                occurred_at=NOW + timedelta(seconds=n),
                actor="operator:A001",
                action="payment.collect",
                subject=f"payment:34080017-{n}-0000000{n % 10}",
                details={"cash": 100 * (n + 1), "business_date": "2024-05-01"},
            )
            for n in range(start, start + count)
        ]
        uow.commit()
    return entries


def _sealed(engine: Engine, action: str = "float_topup.approve") -> AuditEntry:
    with SqlUnitOfWork(engine, write=True) as uow:
        entry = uow.audit.append(occurred_at=NOW, actor="finance", action=action)
        uow.commit()
    return entry


def _chain(engine: Engine) -> list[tuple[int, int | None, str]]:
    """(id, chain position, subject) of every entry, in id order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.id, audit_log.c.chain_position, audit_log.c.subject).order_by(
                audit_log.c.id
            )
        )
        return [(int(r.id), r.chain_position, r.subject) for r in rows]


def _verify(engine: Engine, **kw: Any) -> Any:
    with SqlUnitOfWork(engine, write=False) as uow:
        return uow.audit.verify(**kw)


def test_an_unsealed_entry_waits_for_the_sealer_on_postgresql_and_not_on_sqlite(
    engine: Engine, database_kind: str
) -> None:
    first = _sealed(engine)
    (entry,) = _unsealed(engine, 1)
    if database_kind == "sqlite":
        assert (entry.position, entry.prev_hash) == (2, first.hash)
        assert seal_audit_log(engine) == 0
        return
    assert (entry.position, entry.prev_hash, entry.hash) == (None, None, None)
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.audit.head() == (1, first.hash)
        assert uow.audit.unsealed_count() == 1
    assert seal_audit_log(engine) == 1
    with SqlUnitOfWork(engine, write=False) as uow:
        (_, sealed) = list(uow.audit.entries())
        assert uow.audit.unsealed_count() == 0
        assert uow.audit.head() == (2, sealed.hash)
    assert (sealed.id, sealed.position, sealed.prev_hash) == (entry.id, 2, first.hash)
    assert sealed.hash == entry_hash(
        prev_hash=first.hash or "",
        entry_id=2,
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        details=entry.details,
    )
    assert _verify(engine).ok


def test_entries_are_chained_in_the_order_they_are_sealed(
    engine: Engine, database_kind: str
) -> None:
    if database_kind == "sqlite":
        pytest.skip("SQLite seals every entry as it is written")
    _unsealed(engine, 3)  # ids 1-3, waiting
    _sealed(engine)  # id 4, chained at once: position 1
    _unsealed(engine, 2, start=3)  # ids 5-6
    assert _chain(engine)[3][:2] == (4, 1)
    assert seal_audit_log(engine, batch=2) == 5  # three batches: 2 + 2 + 1
    assert [(i, p) for i, p, _ in _chain(engine)] == [
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 1),
        (5, 5),
        (6, 6),
    ]
    result = _verify(engine)
    assert result.ok, result.breaks


def test_the_triggers_allow_only_the_sealing_update(engine: Engine, database_kind: str) -> None:
    if database_kind == "sqlite":
        pytest.skip("SQLite seals every entry as it is written: there is nothing unsealed")
    first = _sealed(engine)
    (entry,) = _unsealed(engine, 1)
    refused = [
        # the content of an unsealed entry
        "UPDATE audit_log SET actor = 'mallory' WHERE id = 2",
        # sealing while changing the content
        "UPDATE audit_log SET chain_position = 2, prev_hash = :prev, hash = :h,"
        " details = '{}' WHERE id = 2",
        # half a seal
        "UPDATE audit_log SET chain_position = 2 WHERE id = 2",
        # deleting an unsealed entry
        "DELETE FROM audit_log WHERE id = 2",
        # re-sealing a sealed entry
        "UPDATE audit_log SET prev_hash = :prev, hash = :h WHERE id = 1",
    ]
    params = {"prev": first.hash, "h": "f" * 64}
    for statement in refused:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement), params)
    with engine.begin() as conn:  # the sealing update itself (a wrong hash: verify will say)
        conn.execute(
            text(
                "UPDATE audit_log SET chain_position = 2, prev_hash = :prev, hash = :h WHERE id = 2"
            ),
            params,
        )
    with pytest.raises(DBAPIError), engine.begin() as conn:  # and never twice
        conn.execute(text("UPDATE audit_log SET hash = :h WHERE id = 2"), {"h": "e" * 64})
    assert [(b.row_id, b.what) for b in _verify(engine).breaks] == [(2, "hash (content altered)")]
    assert entry.id == 2


def test_an_entry_unsealed_past_the_grace_is_named(engine: Engine, database_kind: str) -> None:
    if database_kind == "sqlite":
        pytest.skip("SQLite seals every entry as it is written")
    _sealed(engine)
    _unsealed(engine, 3)  # occurred at NOW, NOW + 1 s, NOW + 2 s
    grace = timedelta(minutes=10)
    assert _verify(engine, now=NOW + grace).ok  # none older than the grace yet
    result = _verify(engine, now=NOW + grace + timedelta(seconds=1, microseconds=500_000))
    assert [(b.row_id, b.expected, b.found) for b in result.breaks] == [
        (2, "sealed", "unsealed since 2024-05-01T08:30:00.000000Z"),
        (3, "sealed", "unsealed since 2024-05-01T08:30:01.000000Z"),
    ]
    assert result.breaks[0].what == "chain position (not sealed within 0:10:00)"
    # the database's own clock is years past these entries
    assert len(_verify(engine).breaks) == 3
    seal_audit_log(engine)
    assert _verify(engine).ok


def test_an_unreadable_entry_is_left_unsealed_for_verification_to_name(
    engine: Engine, database_kind: str
) -> None:
    if database_kind == "sqlite":
        pytest.skip("SQLite seals every entry as it is written")
    _unsealed(engine, 1)
    with engine.begin() as conn:  # written around the application: INSERT is allowed
        conn.execute(
            text(
                "INSERT INTO audit_log (occurred_at, actor, action, subject, details)"
                " VALUES (:at, 'x', 'x', '', 'not json')"
            ),
            {"at": NOW},
        )
    _unsealed(engine, 1, start=1)
    assert seal_audit_log(engine) == 2
    assert [p for _, p, _ in _chain(engine)] == [1, None, 2]
    result = _verify(engine)  # the database's clock: long past the grace
    assert [(b.row_id, b.found) for b in result.breaks] == [
        (2, "unsealed since 2024-05-01T08:30:00.000000Z")
    ]


def test_writers_and_sealers_at_once_make_one_chain(engine: Engine) -> None:
    stop = threading.Event()

    def pay(worker: int) -> None:
        for n in range(15):
            with SqlUnitOfWork(engine, write=True) as uow:
                uow.audit.append_unsealed(
                    occurred_at=NOW,
                    actor=f"operator:{worker}",
                    action="payment.collect",
                    subject=str(n),
                )
                if n % 5 == 4:
                    uow.audit.append(occurred_at=NOW, actor="admin", action="terminal.sign_in")
                uow.commit()

    def seal() -> int:
        sealed = 0
        for _ in range(200):
            sealed += seal_audit_log(engine, batch=7)
            if stop.wait(0.005):
                break
        return sealed

    with ThreadPoolExecutor(max_workers=6) as pool:
        sealers = [pool.submit(seal) for _ in range(2)]
        list(pool.map(pay, range(4), timeout=120))
        stop.set()
        for sealer in sealers:
            sealer.result(timeout=60)
    seal_audit_log(engine)
    with SqlUnitOfWork(engine, write=False) as uow:
        entries = list(uow.audit.entries())
        assert uow.audit.unsealed_count() == 0
        assert uow.audit.verify().ok
    assert len(entries) == 4 * 15 + 4 * 3
    assert [e.position for e in entries] == list(range(1, 73))
    assert entries[0].prev_hash == GENESIS_HASH
