"""The unit of work rolls back unless committed, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError

from gridpos.adapters.db.tables import sync_watermarks
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

NOW = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


def _watermarks(engine: Engine) -> dict[str, str]:
    with SqlUnitOfWork(engine, write=False) as uow:
        rows = uow.connection.execute(select(sync_watermarks.c.source, sync_watermarks.c.watermark))
        return {row.source: row.watermark for row in rows}


def _add(uow: SqlUnitOfWork, source: str) -> None:
    uow.connection.execute(
        insert(sync_watermarks).values(source=source, watermark=f"{source}-1", updated_at=NOW)
    )


def test_leaving_without_commit_rolls_back(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        _add(uow, "forgotten")
    assert _watermarks(engine) == {}


def test_commit_makes_the_work_durable(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        _add(uow, "customers")
        uow.commit()
    assert _watermarks(engine) == {"customers": "customers-1"}


def test_an_exception_rolls_back_and_propagates(engine: Engine) -> None:
    def half_done() -> None:
        with SqlUnitOfWork(engine, write=True) as uow:
            _add(uow, "half-done")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        half_done()
    assert _watermarks(engine) == {}


def test_work_after_a_commit_is_rolled_back_unless_committed_again(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        _add(uow, "first")
        uow.commit()
        _add(uow, "second")
    assert _watermarks(engine) == {"first": "first-1"}


def test_an_explicit_rollback_throws_away_the_work_so_far(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        _add(uow, "dropped")
        uow.rollback()
        _add(uow, "kept")
        uow.commit()
    assert _watermarks(engine) == {"kept": "kept-1"}


def test_the_connection_exists_only_inside_the_block(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine, write=False)
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.connection
    with uow:
        count = uow.connection.execute(select(func.count()).select_from(sync_watermarks))
        assert count.scalar_one() == 0
        assert uow.connection.in_transaction()
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.connection


def test_a_reading_unit_of_work_cannot_write(engine: Engine) -> None:
    refusal = "read-only" if engine.dialect.name == "postgresql" else "readonly"
    with pytest.raises(DBAPIError, match=refusal), SqlUnitOfWork(engine, write=False) as uow:
        _add(uow, "sneaky")
    # the pooled connection is handed back writable
    with SqlUnitOfWork(engine, write=True) as uow:
        _add(uow, "allowed")
        uow.commit()
    with engine.begin() as conn:
        conn.execute(insert(sync_watermarks).values(source="plain", watermark="p", updated_at=NOW))
    assert _watermarks(engine) == {"allowed": "allowed-1", "plain": "p"}
