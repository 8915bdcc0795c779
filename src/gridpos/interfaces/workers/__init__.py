"""Background workers of the server: the MIS worker (replica sync and outbox delivery).

``gridpos worker`` runs :class:`MisWorker` in the foreground; the embedded default runs it on a
thread inside ``gridpos serve`` through :func:`start_embedded_worker`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

import structlog

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.mis import MisClient
from gridpos.interfaces.workers.mis_worker import MisWorker, UtcClock, WorkerConfig, WorkerState
from gridpos.settings import Settings

__all__ = [
    "MisWorker",
    "UtcClock",
    "WorkerConfig",
    "WorkerState",
    "mis_client_from",
    "start_embedded_worker",
]

MIS_TIMEOUT_S: Final = 10.0
STOP_TIMEOUT_S: Final = 30.0
_log = structlog.get_logger(__name__)


def mis_client_from(settings: Settings, *, timeout_s: float = MIS_TIMEOUT_S) -> MisClient | None:
    """The MIS client the settings describe, or None when no MIS is configured."""
    if not settings.mis_url:
        return None
    return MisClient(
        base_url=settings.mis_url, api_key=settings.mis_api_key or "", timeout_s=timeout_s
    )


def start_embedded_worker(
    settings: Settings, *, config: WorkerConfig | None = None
) -> Callable[[], None]:
    """Start the MIS worker on a daemon thread (the embedded default of ``gridpos serve``) and
    return the callable that stops it: it asks the loop to end, waits for it (at most 30 s) and
    closes the worker's engine and MIS client.

    With no MIS configured (``GRIDPOS_MIS_URL`` unset) nothing starts and the callable does
    nothing. Raises :class:`~gridpos.adapters.db.DatabaseUnreachableError` for a database URL
    that cannot be used.
    """
    client = mis_client_from(settings)
    if client is None:
        _log.info("mis_worker_not_started", reason="GRIDPOS_MIS_URL is not set")
        return lambda: None
    engine = create_engine_for(settings.database_url)
    worker = MisWorker(engine=engine, client=client, clock=UtcClock(), config=config)
    thread = threading.Thread(target=worker.run, name="gridpos-mis-worker", daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        worker.request_stop()
        thread.join(timeout=STOP_TIMEOUT_S)
        client.close()
        engine.dispose()

    return stop
