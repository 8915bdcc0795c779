"""The daily reconciliation the worker runs by default: every morning, once the county's clock has
passed :data:`DEFAULT_RUN_AT`, yesterday over everything — repaired where safe.

One run per day across every worker: the run claims ``daily:YYYY-MM-DD`` (a unique key), so a
second worker (or a restarted one) finds it taken and does nothing. A run that could not read the
MIS gives its key back, so the day is reconciled again — no sooner than ``retry_every_s`` later
— until the MIS is compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from sqlalchemy import update

from gridpos.adapters.db.reconciliation.runs import RunStore, ScheduleTakenError
from gridpos.adapters.db.tables import reconciliation_runs
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.run import RunRequest, reconcile

DEFAULT_RUN_AT: Final = time(6, 0)
DEFAULT_RETRY_EVERY_S: Final = 600.0
ACTOR: Final = "system:daily-reconciliation"


def due_business_date(now: datetime, *, tz: tzinfo, run_at: time = DEFAULT_RUN_AT) -> date | None:
    """The business date whose daily run is due at ``now``: yesterday (in the county) once the
    county's clock has passed ``run_at``; None before it."""
    local = now.astimezone(tz)
    if local.time() < run_at:
        return None
    return local.date() - timedelta(days=1)


def schedule_key(business_date: date) -> str:
    """The key one day's scheduled run claims."""
    return f"daily:{business_date.isoformat()}"


def run_daily_if_due(
    services: ReconciliationServices,
    *,
    run_at: time = DEFAULT_RUN_AT,
    scope_code: str | None = None,
) -> int | None:
    """Run yesterday's reconciliation when it is due and no other run has claimed it; the run's
    id, or None when nothing was run."""
    day = due_business_date(services.clock.now(), tz=services.county_tz, run_at=run_at)
    if day is None:
        return None
    key = schedule_key(day)
    with services.reading() as uow:
        if RunStore(uow.connection).scheduled(key) is not None:
            return None
    try:
        run_id = reconcile(
            services,
            RunRequest(
                date_from=day,
                date_to=day,
                scope_code=scope_code,
                origin="schedule",
                actor=ACTOR,
                schedule_key=key,
            ),
        )
    except ScheduleTakenError:
        return None
    if services.mis is not None:
        with services.writing() as uow:
            # the MIS could not be read: give the day back, to be reconciled again later
            uow.connection.execute(
                update(reconciliation_runs)
                .where(
                    reconciliation_runs.c.id == run_id,
                    reconciliation_runs.c.mis_load_id.is_(None),
                )
                .values(schedule_key=None)
            )
            uow.commit()
    return run_id


@dataclass
class DailySchedule:
    """What a worker keeps between its rounds: when it last tried (monotonic seconds)."""

    services: ReconciliationServices
    run_at: time = DEFAULT_RUN_AT
    retry_every_s: float = DEFAULT_RETRY_EVERY_S
    last_try: float | None = field(default=None)

    def tick(self, *, monotonic: float) -> int | None:
        """Try the daily run at most every ``retry_every_s``; the run's id when one ran."""
        if self.last_try is not None and monotonic - self.last_try < self.retry_every_s:
            return None
        self.last_try = monotonic
        return run_daily_if_due(self.services, run_at=self.run_at)
