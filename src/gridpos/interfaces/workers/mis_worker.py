"""The MIS worker's loop: sync the replica every so often, deliver the outbox continuously.

Each round (:meth:`MisWorker.step`):

1. the first time, import the county and its stations from the MIS (idempotent; retried on the
   next round if the MIS is not there yet);
2. when the sync is due (every ``sync_interval_s``), apply at most ``sync_pages_per_round`` pages
   of the MIS's changes, so a big first sync never starves the outbox;
3. deliver one batch of the outbox (at most ``delivery_batch`` rows);
4. chain the audit entries payments wrote unsealed (see :mod:`gridpos.adapters.db.audit_log`);
5. by default, once each morning (06:00 in the county), reconcile yesterday three ways and repair
   what is safe (:mod:`gridpos.application.reconciliation.schedule`: one run per day across
   every worker; tried again every ten minutes while the MIS cannot be read).

The loop then waits: not at all when the batch was full (more is due), ``idle_s`` when the outbox
had nothing more, and an exponentially growing, jittered pause (``outage_base_s`` …
``outage_cap_s``) while the MIS is out of reach — a down MIS costs one request per pause, and the
outbox simply grows until it is back. A stop request (SIGTERM for ``gridpos worker``, the stop
callable of the embedded worker) ends the loop after the row in flight: the rest of the batch is
released as it was. Nothing here decides anything about money; the use cases do.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock_time
from typing import Final

import structlog
from sqlalchemy import Engine

from gridpos.adapters.db.audit_log import seal_audit_log
from gridpos.adapters.db.engine import DatabaseUnreachableError
from gridpos.adapters.mis import MisClient, MisError
from gridpos.application.mis_replica import ReplicaError
from gridpos.application.mis_sync import SyncProgress, sync_from_mis
from gridpos.application.organisation_import import import_organisation
from gridpos.application.outbox_delivery import DeliveryReport, RetryPolicy, deliver_due
from gridpos.application.ports import Clock
from gridpos.application.reconciliation import DailySchedule, ReconciliationServices
from gridpos.application.reconciliation.schedule import DEFAULT_RUN_AT

_log = structlog.get_logger(__name__)
_DATABASE_PAUSE_S: Final = 5.0


class UtcClock:
    """The machine's clock, in UTC (the worker is a program; the use cases are given a clock)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How often and how much the worker does; every loop and batch is bounded."""

    sync_interval_s: float = 10.0
    sync_page_size: int = 1_000
    sync_pages_per_round: int = 20
    delivery_batch: int = 50
    idle_s: float = 1.0
    outage_base_s: float = 1.0
    outage_cap_s: float = 60.0
    import_organisation: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reconcile_daily: bool = True
    reconcile_at: clock_time = DEFAULT_RUN_AT  # county time

    def __post_init__(self) -> None:
        if min(self.sync_page_size, self.sync_pages_per_round, self.delivery_batch) < 1:
            raise ValueError("page size, pages per round and batch size must be at least 1")
        if min(self.sync_interval_s, self.idle_s, self.outage_base_s) <= 0:
            raise ValueError("intervals must be above zero")


@dataclass(slots=True)
class WorkerState:
    """What the worker last did, for logs and tests."""

    rounds: int = 0
    organisation_imported: bool = False
    last_sync: SyncProgress | None = None
    last_sync_at: float | None = None  # monotonic seconds
    last_delivery: DeliveryReport | None = None
    outage_rounds: int = 0
    sent: int = 0
    dead: int = 0
    sealed: int = 0  # audit entries chained
    reconciled: int = 0  # daily reconciliation runs


class MisWorker:
    """One worker: call :meth:`run` on a thread of its own, :meth:`request_stop` from another."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: MisClient,
        clock: Clock | None = None,
        config: WorkerConfig | None = None,
        jitter: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.clock = clock or UtcClock()
        self.config = config or WorkerConfig()
        self._random = jitter or random.Random()  # noqa: S311 - spreads retries, not a secret
        self._stop = threading.Event()
        self.state = WorkerState()
        self.daily = (
            DailySchedule(
                ReconciliationServices.build(engine=engine, clock=self.clock, mis=client),
                run_at=self.config.reconcile_at,
            )
            if self.config.reconcile_daily
            else None
        )

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        """Ask the loop to end after the row in flight (safe from a signal handler)."""
        self._stop.set()

    def run(self) -> None:
        """Rounds until asked to stop; a failing round is logged and followed by a pause."""
        _log.info("mis_worker_started", mis=self.client.base_url)
        while not self._stop.is_set():
            try:
                pause = self.step()
            except DatabaseUnreachableError as exc:
                _log.warning("mis_worker_database_unreachable", problem=exc.problem)
                pause = _DATABASE_PAUSE_S
            except Exception:  # one bad round must not end the worker
                _log.exception("mis_worker_round_failed")
                pause = self.config.outage_cap_s
            if pause > 0:
                self._stop.wait(pause)
        _log.info("mis_worker_stopped", rounds=self.state.rounds, sent=self.state.sent)

    def step(self) -> float:
        """One round (see the module docstring); the seconds to wait before the next."""
        self.state.rounds += 1
        unavailable = False
        if self.config.import_organisation and not self.state.organisation_imported:
            unavailable |= not self._import_organisation()
        if not unavailable and self._sync_due():
            unavailable |= not self._sync()
        report = deliver_due(
            self.engine,
            self.client,
            clock=self.clock,
            jitter=self._random.random,
            batch_size=self.config.delivery_batch,
            policy=self.config.retry,
            should_stop=self._stop.is_set,
        )
        self.state.last_delivery = report
        self.state.sealed += seal_audit_log(self.engine)
        self._reconcile_daily()
        self.state.sent += report.sent
        self.state.dead += report.dead
        if report.claimed:
            _log.info(
                "outbox_delivered",
                claimed=report.claimed,
                sent=report.sent,
                retried=report.retried,
                dead=report.dead,
                released=report.released,
            )
        if report.mis_unavailable or unavailable:
            self.state.outage_rounds += 1
            return self._outage_pause()
        self.state.outage_rounds = 0
        return 0.0 if report.claimed >= self.config.delivery_batch else self.config.idle_s

    def _reconcile_daily(self) -> None:
        if self.daily is None or self._stop.is_set():
            return
        try:
            run_id = self.daily.tick(monotonic=time.monotonic())
        except Exception:  # the day is tried again later; delivery must go on
            _log.exception("daily_reconciliation_failed")
            return
        if run_id is not None:
            self.state.reconciled += 1
            _log.info("daily_reconciliation_ran", run_id=run_id)

    def _sync_due(self) -> bool:
        last = self.state.last_sync_at
        return last is None or time.monotonic() - last >= self.config.sync_interval_s

    def _import_organisation(self) -> bool:
        try:
            result = import_organisation(self.engine, self.client, clock=self.clock)
        except MisError as exc:
            _log.warning("organisation_import_failed", code=exc.code)
            return False
        self.state.organisation_imported = True
        if result.changed:
            _log.info(
                "organisation_imported", created=len(result.created), renamed=len(result.renamed)
            )
        return True

    def _sync(self) -> bool:
        self.state.last_sync_at = time.monotonic()
        try:
            progress = sync_from_mis(
                self.engine,
                self.client,
                clock=self.clock,
                page_size=self.config.sync_page_size,
                max_pages=self.config.sync_pages_per_round,
            )
        except MisError as exc:
            _log.warning("mis_sync_failed", code=exc.code)
            return False
        except ReplicaError as exc:
            _log.warning("mis_sync_refused", code=exc.code, details=exc.details)
            self.state.organisation_imported = False  # import again, then sync again
            self.state.last_sync_at = None
            return True
        self.state.last_sync = progress
        if progress.rows:
            _log.info(
                "mis_synced",
                customers=progress.customers,
                receivables=progress.receivables,
                skipped=progress.skipped,
                watermark=progress.watermark,
                caught_up=progress.caught_up,
            )
        if not progress.caught_up:
            self.state.last_sync_at = None  # more to come: go on next round
        return True

    def _outage_pause(self) -> float:
        exponent = min(self.state.outage_rounds - 1, 16)
        window: float = min(self.config.outage_cap_s, self.config.outage_base_s * 2.0**exponent)
        spread: float = self._random.random()
        return window / 2 + window / 2 * spread
