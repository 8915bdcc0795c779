"""Options shared by the commands that talk to the MIS: its URL and API key, and the settings."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import require_current_schema
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.cli.db import EXIT_DATABASE, database_url
from gridpos.settings import Settings

MisUrl = Annotated[
    str | None,
    typer.Option(
        "--mis-url", help="The MIS interface (default: GRIDPOS_MIS_URL).", show_default=False
    ),
]
MisApiKey = Annotated[
    str | None,
    typer.Option(
        "--mis-api-key",
        help="The MIS's API key (default: GRIDPOS_MIS_API_KEY).",
        show_default=False,
    ),
]


def settings_with(url: str | None, mis_url: str | None, mis_api_key: str | None) -> Settings:
    """The settings from the environment, with what the options say instead."""
    base = Settings.from_env()
    return Settings(
        data_dir=base.data_dir,
        database_url=database_url(url),
        mis_url=mis_url or base.mis_url,
        mis_api_key=mis_api_key or base.mis_api_key,
    )


def require_mis(settings: Settings) -> None:
    """Exit with status 2 and one line when no MIS is configured."""
    if not settings.mis_url:
        typer.echo("gridpos: no MIS configured: set GRIDPOS_MIS_URL or pass --mis-url", err=True)
        raise typer.Exit(EXIT_DATABASE)


def current_engine(settings: Settings) -> Engine:
    """An engine on a database migrated to the newest revision.

    Raises the database's named errors (unreachable, schema not current) for ``database_errors``.
    """
    engine = create_engine_for(settings.database_url)
    try:
        with SqlUnitOfWork(engine, write=False) as uow:
            require_current_schema(uow.connection)
    except BaseException:
        engine.dispose()
        raise
    return engine
