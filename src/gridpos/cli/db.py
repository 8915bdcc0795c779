"""`gridpos db upgrade | downgrade | current`: create, migrate and inspect the server's database.

The database is ``--database-url``, else ``GRIDPOS_DATABASE_URL``, else a SQLite file under the
data directory (``GRIDPOS_DATA_DIR``). A wrong or unreachable database is one line on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for, redacted
from gridpos.domain.errors import DomainError
from gridpos.settings import Settings

EXIT_DATABASE = 2

app = typer.Typer(help="The server's database.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database URL (default: GRIDPOS_DATABASE_URL, else a SQLite file in the data dir).",
        show_default=False,
    ),
]


def database_url(option: str | None) -> str:
    """The URL to use: the option, else the settings from the environment."""
    return option or Settings.from_env().database_url


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database refusal into one line on stderr and exit status 2."""
    try:
        yield
    except DomainError as exc:
        typer.echo(f"gridpos: {_one_line(exc.message_en)} [{exc.code}]", err=True)
        raise typer.Exit(EXIT_DATABASE) from exc
    except DBAPIError as exc:
        source = exc.orig if exc.orig is not None else exc
        typer.echo(f"gridpos: database error: {_one_line(str(source))}", err=True)
        raise typer.Exit(EXIT_DATABASE) from exc


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: DatabaseUrl = None,
) -> None:
    """Create the database (and a SQLite file's directory) or upgrade it to the newest schema."""
    target = database_url(url)
    with database_errors():
        migrate.upgrade(target, revision)
        now = _current(target)
    typer.echo(f"{redacted(target)} is at revision {now}")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; `base` drops every table.")],
    url: DatabaseUrl = None,
) -> None:
    """Take the database down to an older revision."""
    target = database_url(url)
    with database_errors():
        migrate.downgrade(target, revision)
        now = _current(target)
    typer.echo(f"{redacted(target)} is at revision {now}")


@app.command()
def current(url: DatabaseUrl = None) -> None:
    """Print the revision the database is at, and the newest one."""
    target = database_url(url)
    with database_errors():
        now = _current(target)
    typer.echo(f"{redacted(target)} is at revision {now} (newest: {migrate.head_revision()})")


def _current(url: str) -> str:
    engine = create_engine_for(url)
    try:
        return migrate.current_revision(engine) or "none"
    finally:
        engine.dispose()


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:1]) if lines else text
