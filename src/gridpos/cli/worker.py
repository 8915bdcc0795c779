"""`gridpos worker`: the MIS worker in the foreground — replica sync and outbox delivery.

It runs until SIGTERM or SIGINT, then finishes the row in flight and exits 0. ``--once`` runs a
single round (organisation import, one sync of at most ``--sync-pages`` pages, one delivery batch)
and prints what it did as JSON. Exit status 2: no MIS configured, or the database unreachable or
not migrated.
"""

from __future__ import annotations

import json
import signal
from types import FrameType
from typing import Annotated

import typer

from gridpos.adapters.mis import MisClient
from gridpos.cli.db import DatabaseUrl, database_errors
from gridpos.cli.mis_options import MisApiKey, MisUrl, current_engine, require_mis, settings_with
from gridpos.interfaces.http.logs import configure_logging
from gridpos.interfaces.workers import MisWorker, WorkerConfig


def worker(
    url: DatabaseUrl = None,
    mis_url: MisUrl = None,
    mis_api_key: MisApiKey = None,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
    sync_interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between syncs of the replica.")
    ] = 10.0,
    sync_pages: Annotated[int, typer.Option(min=1, help="Sync pages per round at most.")] = 20,
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="Outbox rows per batch.")] = 50,
    mis_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per MIS call.")] = 10.0,
    log_level: Annotated[str, typer.Option(help="Log level of the JSON logs.")] = "info",
) -> None:
    """Keep the replica synced from the MIS and deliver the outbox to it, until stopped."""
    configure_logging(log_level)
    settings = settings_with(url, mis_url, mis_api_key)
    require_mis(settings)
    assert settings.mis_url is not None  # noqa: S101 - checked by require_mis
    config = WorkerConfig(
        sync_interval_s=sync_interval, sync_pages_per_round=sync_pages, delivery_batch=batch_size
    )
    with database_errors():
        engine = current_engine(settings)
    client = MisClient(
        base_url=settings.mis_url, api_key=settings.mis_api_key or "", timeout_s=mis_timeout
    )
    loop = MisWorker(engine=engine, client=client, config=config)
    try:
        if once:
            with database_errors():
                loop.step()
            typer.echo(json.dumps(_summary(loop), ensure_ascii=False, sort_keys=True))
            return

        def stop(_signal: int, _frame: FrameType | None) -> None:
            loop.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        loop.run()
    finally:
        client.close()
        engine.dispose()


def _summary(loop: MisWorker) -> dict[str, object]:
    state = loop.state
    sync = state.last_sync
    delivery = state.last_delivery
    return {
        "organisation_imported": state.organisation_imported,
        "sync": None
        if sync is None
        else {
            "pages": sync.pages,
            "customers": sync.customers,
            "receivables": sync.receivables,
            "skipped": sync.skipped,
            "watermark": sync.watermark,
            "caught_up": sync.caught_up,
        },
        "delivery": None
        if delivery is None
        else {
            "claimed": delivery.claimed,
            "sent": delivery.sent,
            "retried": delivery.retried,
            "dead": delivery.dead,
            "released": delivery.released,
            "mis_unavailable": delivery.mis_unavailable,
        },
    }
