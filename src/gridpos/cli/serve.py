"""`gridpos serve`: the payment server (terminal API, /healthz, /metrics) under uvicorn.

SQLite in the data directory by default, PostgreSQL by ``GRIDPOS_DATABASE_URL`` or
``--database-url``. The schema is brought up to date before the first request (``--no-migrate``
to skip). With ``--workers N`` uvicorn runs N processes; counters for /metrics are then shared
through a directory under the data directory.
"""

from __future__ import annotations

import os
import shutil
from typing import Annotated

import typer
import uvicorn

from gridpos.adapters.db import migrate
from gridpos.bootstrap import app_from_env, start_background_worker
from gridpos.cli.db import DatabaseUrl, database_errors, database_url
from gridpos.interfaces.http.metrics import MULTIPROCESS_ENV
from gridpos.settings import Settings

# A GPRS terminal keeps its connection between customers and reads a large answer (an arrears
# page) for seconds: with uvicorn's default of 5 s the server would close it just as the
# terminal's next request is on its way.
KEEP_ALIVE_S = 75


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8600,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    url: DatabaseUrl = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the schema before serving.")
    ] = True,
    worker: Annotated[
        bool,
        typer.Option("--with-worker/--no-worker", help="Run the MIS worker inside the server."),
    ] = True,
    log_level: Annotated[str, typer.Option(help="Log level of the server's JSON logs.")] = "info",
) -> None:
    """Serve the terminal API until interrupted."""
    target = database_url(url)
    os.environ["GRIDPOS_DATABASE_URL"] = target
    os.environ["GRIDPOS_LOG_LEVEL"] = log_level
    settings = Settings.from_env()
    if migrate_first:
        with database_errors():
            migrate.upgrade(target)
    if workers > 1:
        directory = settings.data_dir / "metrics"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
        os.environ[MULTIPROCESS_ENV] = str(directory)
    stop = start_background_worker(settings) if worker else None
    try:
        if workers > 1:
            uvicorn.run(
                "gridpos.bootstrap:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level,
                access_log=False,
                timeout_keep_alive=KEEP_ALIVE_S,
            )
        else:
            uvicorn.run(
                app_from_env(),
                host=host,
                port=port,
                log_level=log_level,
                access_log=False,
                timeout_keep_alive=KEEP_ALIVE_S,
            )
    finally:
        if stop is not None:
            stop()
