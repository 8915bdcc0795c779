"""The worker reconciles yesterday every morning by default: once the county's clock passes
06:00, one run per day whatever the number of workers, tried again while the MIS cannot be read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from gridpos.adapters.db.tables import reconciliation_runs
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.application.reconciliation import DailySchedule, run_daily_if_due
from gridpos.application.reconciliation.schedule import due_business_date, schedule_key
from gridpos.interfaces.workers import MisWorker, WorkerConfig

from .world import DAY, C, World


def test_yesterday_is_due_from_six_in_the_morning_county_time() -> None:
    # 21:59 UTC is 05:59 the next day in the county: not yet
    assert due_business_date(datetime(2026, 4, 10, 21, 59, tzinfo=UTC), tz=CHINA_TIME) is None
    assert due_business_date(datetime(2026, 4, 10, 22, 0, tzinfo=UTC), tz=CHINA_TIME) == date(
        2026, 4, 10
    )
    assert due_business_date(datetime(2026, 4, 11, 15, 59, tzinfo=UTC), tz=CHINA_TIME) == date(
        2026, 4, 10
    )
    assert schedule_key(date(2026, 4, 10)) == "daily:2026-04-10"


def _runs(world: World) -> list[tuple[str, str | None, str, bool]]:
    r = reconciliation_runs
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(r.c.origin, r.c.schedule_key, r.c.state, r.c.mis_load_id).order_by(r.c.id)
        ).all()
    return [(row.origin, row.schedule_key, row.state, row.mis_load_id is not None) for row in rows]


def test_the_worker_runs_yesterday_once_each_morning(world: World) -> None:
    terminal = world.terminal()
    view = terminal.query_account(C)
    terminal.pay(view, view.total_due)
    world.deliver()
    worker = MisWorker(
        engine=world.engine,
        client=world.client,
        clock=world.clock,
        config=WorkerConfig(import_organisation=False, sync_interval_s=3600),
    )
    worker.step()  # 09:00 on the day itself: yesterday (nothing happened) is reconciled
    assert _runs(world) == [("schedule", "daily:2026-04-09", "done", True)]
    world.advance(hours=20, minutes=30)  # 05:30 the next morning: today's run is not due yet
    worker.step()
    assert worker.state.reconciled == 1
    world.advance(hours=1)  # 06:30
    assert worker.daily is not None
    worker.daily.last_try = None  # ten minutes of the worker's own (monotonic) clock later
    worker.step()
    assert worker.state.reconciled == 2
    assert _runs(world)[-1] == ("schedule", f"daily:{DAY.isoformat()}", "done", True)
    with world.engine.connect() as connection:
        run = connection.execute(
            select(reconciliation_runs).where(
                reconciliation_runs.c.schedule_key == f"daily:{DAY.isoformat()}"
            )
        ).one()
    assert (run.company_count, run.company_amount, run.mis_count) == (1, view.total_due, 1)
    # a second worker, or the same one later: the day is taken
    other = MisWorker(
        engine=world.engine,
        client=world.client,
        clock=world.clock,
        config=WorkerConfig(import_organisation=False, sync_interval_s=3600),
    )
    other.step()
    assert other.state.reconciled == 0
    assert len(_runs(world)) == 2
    terminal.close()


def test_a_day_the_mis_could_not_be_read_is_reconciled_again(world: World) -> None:
    world.advance(hours=21, minutes=30)  # 06:30 the next morning in the county
    daily = DailySchedule(world.recon, retry_every_s=600)
    world.mis.set_faults("down")
    assert daily.tick(monotonic=0.0) is not None
    assert _runs(world) == [("schedule", None, "done", False)]  # the day given back
    assert daily.tick(monotonic=300.0) is None  # not before ten minutes
    world.mis.set_faults("normal")
    assert daily.tick(monotonic=601.0) is not None
    assert _runs(world)[-1] == ("schedule", f"daily:{DAY.isoformat()}", "done", True)
    assert daily.tick(monotonic=1202.0) is None
    assert run_daily_if_due(world.recon) is None
    assert world.today() == DAY + timedelta(days=1)
