"""The engine: SQLite's per-connection settings and our BEGIN IMMEDIATE, PostgreSQL by psycopg 3,
UTC timestamps that round-trip aware, and one clear error for a database that is not there."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import StatementError

from gridpos.adapters.db.engine import (
    DatabaseUnreachableError,
    create_engine_for,
    normalise_url,
    redacted,
)
from gridpos.adapters.db.tables import sync_watermarks
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

CHINA = timezone(timedelta(hours=8))


def test_sqlite_connections_get_wal_foreign_keys_busy_timeout_and_normal_sync(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'pragmas.sqlite'}", create=True)
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,  # NORMAL
    }


def test_a_writing_unit_of_work_on_sqlite_holds_the_write_lock_from_its_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locks.sqlite"
    engine = create_engine_for(f"sqlite:///{path}", create=True)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with SqlUnitOfWork(engine, write=False) as uow:
            uow.connection.execute(text("SELECT 1")).scalar()
            other.execute("BEGIN IMMEDIATE")  # a reader leaves the write lock free
            other.execute("ROLLBACK")
        # nothing executed yet, and still the lock is taken: BEGIN IMMEDIATE
        with (
            SqlUnitOfWork(engine, write=True),
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released once the unit of work is over
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_plain_postgresql_urls_mean_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_passwords_never_appear_in_messages() -> None:
    assert redacted("postgresql://gp:s3cret@db.example/gridpos") == (
        "postgresql://gp:***@db.example/gridpos"
    )
    assert redacted("::not a url::") == "<unparseable database URL>"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("::not a url::", "cannot be parsed"),
        ("mysql://u:pw@localhost/gridpos", "unsupported database 'mysql'"),
        ("sqlite:////nonexistent-dir/gridpos.sqlite", "no such database file"),
    ],
)
def test_a_wrong_url_is_refused_by_name(url: str, problem: str) -> None:
    with pytest.raises(DatabaseUnreachableError) as refused:
        create_engine_for(url)
    assert refused.value.code == "database_unreachable"
    assert refused.value.field == "database_url"
    assert problem in refused.value.message_en
    assert "pw" not in refused.value.message_en
    assert "\n" not in refused.value.message_en


def test_an_unreachable_postgresql_is_one_line_without_the_password() -> None:
    engine = create_engine_for("postgresql://gp:s3cret@127.0.0.1:1/gridpos")
    try:
        with pytest.raises(DatabaseUnreachableError) as refused, SqlUnitOfWork(engine, write=True):
            pass
    finally:
        engine.dispose()
    message = refused.value.message_en
    assert message.startswith("cannot reach the database postgresql+psycopg://gp:***@127.0.0.1:1/")
    assert "refused" in message.lower()
    assert "s3cret" not in message
    assert "\n" not in message


def test_timestamps_are_stored_in_utc_and_come_back_aware(engine: Engine) -> None:
    in_beijing = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=CHINA)
    with engine.begin() as conn:
        conn.execute(
            insert(sync_watermarks).values(source="mis", watermark="w1", updated_at=in_beijing)
        )
    with engine.connect() as conn:
        back = conn.execute(select(sync_watermarks.c.updated_at)).scalar_one()
        if engine.dialect.name == "sqlite":
            raw = conn.exec_driver_sql("SELECT updated_at FROM sync_watermarks").scalar()
            assert raw == "2024-05-01 00:30:15.123456"
    assert back == in_beijing
    assert back.tzinfo is UTC
    assert back.hour == 0


def test_a_naive_timestamp_is_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(StatementError, match="timezone-aware"):
        conn.execute(
            insert(sync_watermarks).values(
                source="mis",
                watermark="w1",
                updated_at=datetime(2024, 5, 1, 8, 30),  # noqa: DTZ001 - the point of the test
            )
        )
