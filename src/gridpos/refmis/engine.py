"""The reference MIS's own database engine: SQLite by default, PostgreSQL through psycopg 3.

SQLite gets, on every connection: WAL, foreign keys on, a busy timeout and synchronous=NORMAL;
the driver's own transaction handling is switched off and we emit ``BEGIN`` ourselves, so a writer
starts with ``BEGIN IMMEDIATE`` and takes the write lock up front instead of failing half-way with
"database is locked". PostgreSQL runs at READ COMMITTED; writers serialise on the change counter
row (see ``refmis.changes``), which also makes change sequence numbers commit in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from gridpos.refmis.errors import MisError

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRESQL_CONNECT_TIMEOUT_S = 5
_WRITE_OPTION = "refmis_write"


def normalise_url(url: str) -> URL:
    """The URL as SQLAlchemy should see it: plain ``postgresql://`` means psycopg 3.

    Raises :class:`MisError` (``database_url_invalid``) for an unparseable URL or another database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise _bad_url(url, "the URL cannot be parsed") from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise _bad_url(url, "only sqlite and postgresql are supported")
    return parsed


def _bad_url(url: str, problem: str) -> MisError:
    return MisError(
        code="database_url_invalid",
        field="database_url",
        message_zh=f"数据库地址无效：{problem}",
        message_en=f"invalid database URL: {problem}",
        details={"url": url.rsplit("@", maxsplit=1)[-1]},
    )


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for PostgreSQL and in-memory SQLite."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for the MIS database at ``url``; a SQLite file's directory is created.

    Raises :class:`MisError` (``database_url_invalid``) for a URL it cannot use.
    """
    parsed = normalise_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S}
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = pool_size
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        _set_up_sqlite(engine)
    return engine


def _set_up_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a writing transaction, committed on success and rolled back on any error.

    On SQLite the transaction begins with ``BEGIN IMMEDIATE``.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a read-only transaction over one consistent snapshot, rolled back at the end.

    PostgreSQL reads at REPEATABLE READ so that a page of changes read by several statements never
    mixes two states (SQLite's deferred transaction is one snapshot from its first read).
    """
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin() as transaction:
            yield connection
            transaction.rollback()
