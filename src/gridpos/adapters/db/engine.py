"""The database engine: SQLite (the embedded default) or PostgreSQL through psycopg 3.

SQLite gets, on every connection: WAL, foreign keys on, a busy timeout and synchronous=NORMAL;
and we emit BEGIN ourselves (the driver's own transaction handling is switched off), so that a
writing unit of work starts with ``BEGIN IMMEDIATE`` and takes the write lock up front instead of
failing half-way with "database is locked", and a reading one runs with ``query_only`` on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from gridpos.domain.errors import DomainError

SQLITE_BUSY_TIMEOUT_MS = 5_000
POSTGRESQL_CONNECT_TIMEOUT_S = 5

# execution options a unit of work sets on its connection; read by the SQLite BEGIN hook
WRITE_OPTION = "gridpos_write"
READ_ONLY_OPTION = "gridpos_read_only"


class DatabaseUnreachableError(DomainError):
    """The database cannot be reached, or its URL is wrong. One line says which and why."""

    code = "database_unreachable"

    def __init__(self, *, url: str, problem: str) -> None:
        super().__init__(
            field="database_url",
            message_zh=f"无法连接数据库 {url}：{problem}",
            message_en=f"cannot reach the database {url}: {problem}",
            details={"url": url, "problem": problem},
        )
        self.url = url
        self.problem = problem


def redacted(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs (never raises)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def normalise_url(url: str) -> URL:
    """The URL as SQLAlchemy should see it: plain ``postgresql://`` means psycopg 3.

    Raises :class:`DatabaseUnreachableError` when the URL cannot be parsed or names another
    database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnreachableError(
            url=redacted(url), problem="the URL cannot be parsed"
        ) from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseUnreachableError(
            url=redacted(parsed),
            problem=f"unsupported database {parsed.get_backend_name()!r} (sqlite or postgresql)",
        )
    return parsed


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL, or None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_engine_for(url: str, *, create: bool = False, echo: bool = False) -> Engine:
    """An engine for ``url`` set up for gridpos (see the module docstring). Does not connect.

    A SQLite file must already exist unless ``create`` is true, in which case its directory is
    made; this keeps a mistyped path from silently becoming a new, empty database.

    Raises :class:`DatabaseUnreachableError` for a URL that is unparseable, names an unsupported
    database or driver, or points at a SQLite file that does not exist (``create`` false) or
    whose directory cannot be made (``create`` true).
    """
    parsed = normalise_url(url)
    path = sqlite_file(parsed)
    if path is not None:
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                problem = f"cannot create the directory {path.parent}: {exc.strerror}"
                raise DatabaseUnreachableError(url=redacted(parsed), problem=problem) from exc
        elif not path.exists():
            raise DatabaseUnreachableError(
                url=redacted(parsed),
                problem="no such database file (run `gridpos db upgrade` to create it)",
            )
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = POSTGRESQL_CONNECT_TIMEOUT_S
    try:
        engine = create_engine(parsed, echo=echo, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnreachableError(url=redacted(parsed), problem=_first_line(exc)) from exc
    if engine.dialect.name == "sqlite":
        _set_up_sqlite(engine)
    return engine


def connect(engine: Engine) -> Connection:
    """A connection from ``engine``.

    Raises :class:`DatabaseUnreachableError` when the database refuses or cannot be reached.
    """
    try:
        return engine.connect()
    except DBAPIError as exc:
        raise unreachable(engine, exc) from exc


def unreachable(engine: Engine, exc: BaseException) -> DatabaseUnreachableError:
    """The one-line :class:`DatabaseUnreachableError` for a driver error on ``engine``."""
    return DatabaseUnreachableError(url=redacted(engine.url), problem=_first_line(exc))


def _first_line(exc: BaseException) -> str:
    source = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(source).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(source).__name__


def _set_up_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # switch off the driver's own BEGIN; _on_begin emits ours
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        # set on every BEGIN, so a pooled connection never keeps a previous user's setting
        read_only = 1 if options.get(READ_ONLY_OPTION) else 0
        connection.exec_driver_sql(f"PRAGMA query_only = {read_only}")
        if options.get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
