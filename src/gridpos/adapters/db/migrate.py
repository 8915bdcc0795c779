"""Creating and upgrading the database: Alembic, configured in code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gridpos.adapters.db.engine import (
    WRITE_OPTION,
    connect,
    create_engine_for,
    redacted,
    unreachable,
)
from gridpos.domain.errors import DomainError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaNotCurrentError(DomainError):
    """The database is not at the newest revision of the migrations (or has no schema at all)."""

    code = "database_schema_not_current"

    def __init__(self, *, current: str | None, head: str) -> None:
        found = current or "none"
        super().__init__(
            field="database_url",
            message_zh=f"数据库结构版本为 {found}，需要 {head}：请先运行 gridpos db upgrade",
            message_en=(
                f"the database schema is at revision {found}, not {head}:"
                " run `gridpos db upgrade` first"
            ),
            details={"current": current, "head": head},
        )
        self.current = current
        self.head = head


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision of the migrations. Raises ``RuntimeError`` if there is none."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migrations have no head revision")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at ``url`` to ``revision``; a SQLite file is created.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the URL is wrong
    or the database cannot be reached.
    """
    engine = create_engine_for(url, create=True)
    try:
        _run(engine, "upgrade", revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` down to ``revision`` (``base`` drops every table).

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` as :func:`upgrade` does.
    """
    engine = create_engine_for(url)
    try:
        _run(engine, "downgrade", revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None for a database never migrated.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError`.
    """
    with connect(engine) as connection:
        try:
            return MigrationContext.configure(connection).get_current_revision()
        except DBAPIError as exc:
            raise unreachable(engine, exc) from exc


def require_current_schema(connection: Connection) -> None:
    """Check that the database behind ``connection`` is migrated to the newest revision.

    Raises :class:`SchemaNotCurrentError` when it is not (or was never migrated).
    """
    current = MigrationContext.configure(connection).get_current_revision()
    head = head_revision()
    if current != head:
        raise SchemaNotCurrentError(current=current, head=head)


def _run(engine: Engine, what: str, revision: str) -> None:
    config = alembic_config(redacted(engine.url))
    with connect(engine) as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        config.attributes["connection"] = connection
        if what == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
        connection.commit()
