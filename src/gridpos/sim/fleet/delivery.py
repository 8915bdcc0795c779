"""Draining the outbox to the MIS at the end of the day, so the MIS can be checked: the MIS worker
(``gridpos worker`` beside the fleet's server, or whatever worker a running county has) delivers
during the day; here the fleet delivers what is still due with the application's own use case
(:func:`~gridpos.application.outbox_delivery.deliver_due`) until nothing is pending. Claims are
leased, so the worker and the fleet never deliver the same row twice.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.mis import MisClient
from gridpos.application.outbox_delivery import deliver_due, outbox_status
from gridpos.bootstrap import SystemClock
from gridpos.domain.errors import DomainError

MIS_TIMEOUT_S = 5.0
BATCH_SIZE = 50
PAUSE_S = 1.0


@dataclass(frozen=True, slots=True)
class DrainReport:
    """The outbox after draining: rows still pending, dead, and how many the fleet sent."""

    pending: int
    dead: int
    sent: int
    seconds: float

    @property
    def drained(self) -> bool:
        return self.pending == 0


def drain_outbox(
    *, database_url: str, mis_url: str, api_key: str, seed: int, timeout_s: float
) -> DrainReport:
    """Deliver until nothing is pending (retries wait out their backoff), for at most
    ``timeout_s`` seconds. MIS and database failures are retried, never raised."""
    engine = create_engine_for(database_url)
    client = MisClient(base_url=mis_url, api_key=api_key, timeout_s=MIS_TIMEOUT_S)
    clock = SystemClock()
    jitter = random.Random(f"{seed}:mis-delivery")  # noqa: S311 - backoff jitter
    started = time.monotonic()
    sent = 0
    try:
        while True:
            try:
                report = deliver_due(
                    engine, client, clock=clock, jitter=jitter.random, batch_size=BATCH_SIZE
                )
                sent += report.sent
                status = outbox_status(engine, now=clock.now())
            except (DomainError, OSError):
                status = None
            elapsed = time.monotonic() - started
            if status is not None and (status.pending == 0 or elapsed >= timeout_s):
                return DrainReport(status.pending, status.dead, sent, round(elapsed, 3))
            if elapsed >= timeout_s:
                return DrainReport(-1, -1, sent, round(elapsed, 3))
            if status is None or status.due == 0:
                time.sleep(min(PAUSE_S, max(0.0, timeout_s - elapsed)))
    finally:
        client.close()
        engine.dispose()
