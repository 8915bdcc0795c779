"""Posting the day's payments to the MIS while the fleet runs, and draining what is left at the
end — the MIS worker's job, done here with the application's own use case
(:func:`~gridpos.application.outbox_delivery.deliver_due`). A worker embedded in the server, or a
``gridpos worker`` beside it, may share the outbox: claims are leased, so each row goes once.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.mis import MisClient
from gridpos.application.outbox_delivery import deliver_due, outbox_status
from gridpos.bootstrap import SystemClock
from gridpos.domain.errors import DomainError

MIS_TIMEOUT_S = 5.0
INTERVAL_S = 2.0
BATCH_SIZE = 50


@dataclass(frozen=True, slots=True)
class DrainReport:
    """The outbox after draining: rows still pending, dead, and how many were sent."""

    pending: int
    dead: int
    sent: int
    seconds: float

    @property
    def drained(self) -> bool:
        return self.pending == 0


class MisDelivery:
    """Delivers due outbox rows every :data:`INTERVAL_S` seconds in a background thread."""

    def __init__(self, *, database_url: str, mis_url: str, api_key: str, seed: int) -> None:
        self._engine = create_engine_for(database_url)
        self._client = MisClient(base_url=mis_url, api_key=api_key, timeout_s=MIS_TIMEOUT_S)
        self._clock = SystemClock()
        self._jitter = random.Random(f"{seed}:mis-delivery")  # noqa: S311 - backoff jitter
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failures = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="fleet-mis-delivery", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self.deliver_once()

    def deliver_once(self) -> int:
        """One batch; how many rows it sent (failures are counted, never raised)."""
        with self._lock:
            try:
                report = deliver_due(
                    self._engine,
                    self._client,
                    clock=self._clock,
                    jitter=self._jitter.random,
                    batch_size=BATCH_SIZE,
                    should_stop=self._stop.is_set,
                )
            except (DomainError, OSError):
                self.failures += 1
                return 0
            self.sent += report.sent
            return report.sent

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=MIS_TIMEOUT_S * 3)
            self._thread = None

    def drain(self, *, timeout_s: float) -> DrainReport:
        """Deliver until nothing is pending (retries wait out their backoff), bounded."""
        self.stop()
        self._stop.clear()
        started = time.monotonic()
        while True:
            self.deliver_once()
            status = outbox_status(self._engine, now=self._clock.now())
            elapsed = time.monotonic() - started
            if status.pending == 0 or elapsed >= timeout_s:
                return DrainReport(status.pending, status.dead, self.sent, round(elapsed, 3))
            if status.due == 0:
                time.sleep(min(1.0, max(0.0, timeout_s - elapsed)))

    def close(self) -> None:
        self.stop()
        self._client.close()
        self._engine.dispose()
