"""The fleet run, from an empty directory to the report.

1. The services: the reference MIS with a generated county, the server's database prepared
   from it (organisation, customers, the demo's people and places), ``gridpos serve`` and
   ``gridpos link`` — each only when not pointed at a running one.
2. The terminals, enrolled at the server with one-time codes, and each collector's day planned
   from the seed (:mod:`.plan`).
3. The day: collectors in threads, the crashing ones in processes of their own; the outbox
   posted to the MIS as it fills by ``gridpos worker`` beside the server; server kills and
   coverage losses as the day reaches them (:mod:`.chaos`), over the link's own cuts and stalls.
4. When every collector has served its customers (or the day's deadline passed) the faults stop
   and the link heals; every terminal resolves what waits, closes its batch and signs out; what
   any terminal still has waiting is resolved by the fleet itself.
5. The outbox drained to the MIS, ``gridpos audit verify``, and the three ledgers compared with
   what happened at the counter (:mod:`.truth`), the link's records turned into wire figures
   (:mod:`.wire`).

Every wait is bounded: the day by ``duration_s``, the end of day by ``sync_timeout_s``, the
drain by ``drain_timeout_s``, every service start and every child process.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.mis import MisClient
from gridpos.bootstrap import SystemClock
from gridpos.sim.fleet.chaos import Chaos, plan_faults
from gridpos.sim.fleet.collector import Collector
from gridpos.sim.fleet.county import (
    County,
    generate_county,
    issue_codes,
    prepare_database,
    read_county,
)
from gridpos.sim.fleet.crew import (
    ChildCollector,
    ThreadCollector,
    enrol_terminals,
    needs_enrolment,
    terminal_dir,
)
from gridpos.sim.fleet.delivery import drain_outbox
from gridpos.sim.fleet.errors import fleet_error, option_invalid
from gridpos.sim.fleet.events import ProgressSink
from gridpos.sim.fleet.finish import audit, final_sync
from gridpos.sim.fleet.options import FleetOptions
from gridpos.sim.fleet.plan import DayShape, TerminalPlan, plan_day
from gridpos.sim.fleet.report import FleetReport
from gridpos.sim.fleet.services import (
    LinkControl,
    ServiceProcess,
    link_service,
    refmis_service,
    server_service,
    worker_service,
)
from gridpos.sim.fleet.spec import CollectorSettings
from gridpos.sim.fleet.verdict import build_report, read_ledgers

FLEET_MIS_KEY = "fleet-mis-key"
EVENTS_FILE = "fleet-events.jsonl"
LINK_STATS_FILE = "link-stats.json"
LINK_IDLE_TIMEOUT_S = 120.0
POLL_S = 0.2

Say = Callable[[str], None]


def run_fleet(options: FleetOptions, *, say: Say | None = None) -> FleetReport:
    """Run the fleet (see the module's docstring) and return its report.

    Raises:
        FleetError: an option out of range, too many terminals for the county, a service that
            would not start, a county that could not be prepared.
    """
    run = FleetRun(options.check(), say=say or (lambda _: None))
    try:
        return run.execute()
    finally:
        run.shutdown()


class FleetRun:
    """One run's services, terminals and events (see :func:`run_fleet`)."""

    def __init__(self, options: FleetOptions, *, say: Say) -> None:
        self.options = options
        self.say = say
        self.data_dir = self._data_dir()
        self.env = {**os.environ, "GRIDPOS_DATA_DIR": str(self.data_dir)}
        self.database_url = options.database_url or f"sqlite:///{self.data_dir / 'gridpos.sqlite'}"
        self.services: list[ServiceProcess] = []
        self.server: ServiceProcess | None = None
        self.refmis: ServiceProcess | None = None
        self.refmis_database_url = f"sqlite:///{self.data_dir / 'refmis.sqlite'}"
        self.link: LinkControl | None = None
        self.chaos: Chaos | None = None
        self.crew: list[ThreadCollector | ChildCollector] = []
        self.sink = ProgressSink(self.data_dir / EVENTS_FILE)
        self.mis_url = options.mis_url or ""
        self.mis_key = options.mis_api_key or FLEET_MIS_KEY
        self.server_url = options.server_url or ""
        self.link_url = options.link_url or ""
        self.timings: dict[str, float] = {}
        self._lap_at = 0.0
        # payments taken from here on are this run's (a second earlier: stamps are whole seconds)
        self.since = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)

    def _data_dir(self) -> Path:
        given = self.options.data_dir
        if given is None:
            return Path(tempfile.mkdtemp(prefix="gridpos-fleet-")).resolve()
        path = given.expanduser().resolve()
        fresh = self.options.own_mis or self.options.own_server
        if fresh and path.exists() and any(path.iterdir()):
            raise option_invalid(
                "--data-dir",
                "自行启动服务时须为空目录",
                "must be empty when the fleet starts its own services",
                given=str(path),
            )
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ---- services -----------------------------------------------------------------------------

    def _launch(self, service: ServiceProcess) -> ServiceProcess:
        self.services.append(service)
        self.say(f"starting {service.name}")
        service.launch()
        return service

    def _launch_early(self) -> None:
        """Everything that needs no county first, so it starts while the county is made: the
        server (it migrates its empty database itself) and the link in front of it."""
        options = self.options
        if options.own_mis:
            self.refmis, self.mis_url = refmis_service(
                data_dir=self.data_dir,
                database_url=self.refmis_database_url,
                api_key=self.mis_key,
                env=self.env,
            )
        if options.own_server:
            mis = {"GRIDPOS_MIS_URL": self.mis_url, "GRIDPOS_MIS_API_KEY": self.mis_key}
            self.server, self.server_url = server_service(
                data_dir=self.data_dir, database_url=self.database_url, env={**self.env, **mis}
            )
            self._launch(self.server)
        if options.own_link:
            service, self.link_url, control = link_service(
                data_dir=self.data_dir,
                upstream=self.server_url.removeprefix("http://"),
                profile=options.profile.as_dict(),
                seed=options.seed,
                env=self.env,
                idle_timeout_s=LINK_IDLE_TIMEOUT_S,
            )
            self._launch(service)
            self.link = LinkControl(control)
        elif options.link_control_url:
            self.link = LinkControl(options.link_control_url)

    def _prepare(self) -> County:
        """The county: generated and served by the reference MIS (when the fleet's own), then
        the server's database prepared from it (once the server has migrated it)."""
        options = self.options
        self._launch_early()
        if self.refmis is not None:
            self.say(f"generating a county of {options.county_customers} customers")
            generate_county(
                self.refmis_database_url,
                customers=options.county_customers,
                months=options.county_months,
                seed=options.seed,
            )
            self._launch(self.refmis).wait_ready()
        if self.server is not None:
            self.server.wait_ready()
        self.say("preparing the server's database")
        with MisClient(base_url=self.mis_url, api_key=self.mis_key, timeout_s=60) as client:
            setup = prepare_database(
                self.database_url,
                mis=client,
                clock=SystemClock(),
                allow_partial=options.allow_partial if options.own_server else None,
            )
        engine = create_engine_for(self.database_url)
        try:
            county = read_county(
                engine,
                setup,
                customers_per_terminal=options.customers_per_terminal,
                seed=options.seed,
            )
        finally:
            engine.dispose()
        if len(county.seats) < options.skip_seats + options.terminals:
            raise fleet_error(
                "fleet_too_many_terminals",
                "--terminals",
                f"县内只有 {len(county.seats)} 个代收点",
                f"the county has {len(county.seats)} collection points",
                given=options.skip_seats + options.terminals,
            )
        return county

    def _start_worker(self) -> None:
        """The MIS worker beside the fleet's server, every service answering, the link's
        script set."""
        options = self.options
        if self.server is not None:
            worker = worker_service(
                data_dir=self.data_dir,
                database_url=self.database_url,
                mis_url=self.mis_url,
                api_key=self.mis_key,
                env=self.env,
            )
            self._launch(worker)
        for service in self.services:
            service.wait_ready()
        if self.link is not None and options.script:
            self.link.change({"script": {"rules": options.script}})

    # ---- the day ------------------------------------------------------------------------------

    def _plans(self, county: County) -> list[TerminalPlan]:
        options = self.options
        seats = county.seats[options.skip_seats : options.skip_seats + options.terminals]
        wanted = [s.terminal_no for s in seats if needs_enrolment(self.data_dir, s.terminal_no)]
        if wanted:
            self.say(f"enrolling {len(wanted)} terminals")
            codes = issue_codes(self.database_url, wanted)
            enrol_terminals(
                codes, data_dir=self.data_dir, server_url=self.server_url, timeouts=options.timeouts
            )
        shape = DayShape(
            payments=options.payments_per_terminal,
            think_min_s=options.think_min_s,
            think_max_s=options.think_max_s,
        )
        return plan_day(
            seed=options.seed, seats=seats, shape=shape, crashing=options.crashing_terminals
        )

    def _start_day(self, plans: list[TerminalPlan]) -> float:
        options = self.options
        now = time.time()
        deadline = now + options.duration_s
        for plan in plans:
            settings = CollectorSettings(
                server_url=self.link_url,
                data_dir=terminal_dir(self.data_dir, plan.terminal_no),
                deadline=deadline,
                sync_deadline=deadline + options.sync_timeout_s,
                timeouts=options.timeouts,
            )
            if plan.crashes:
                log = self.data_dir / "logs" / f"terminal-{plan.terminal_no}.log"
                member: ThreadCollector | ChildCollector = ChildCollector(
                    plan, settings=settings, sink=self.sink, log_path=log
                )
            else:
                member = ThreadCollector(Collector(plan, settings, sink=self.sink))
            self.crew.append(member)
        total = max(1, sum(len(plan.visits) for plan in plans))
        self.chaos = Chaos(
            planned=plan_faults(
                seed=options.seed,
                server_kills=options.kills,
                partitions=options.coverage_losses if self.link is not None else 0,
                partition_s=options.partition_s,
            ),
            progress=lambda: self.sink.visits / total,
            server=self.server,
            link=self.link,
            gap_s=options.fault_gap_s,
        )
        self.say(f"the day starts: {len(plans)} terminals, {total} customers planned")
        for member in self.crew:
            member.start()
        self.chaos.start()
        return deadline

    def _wait_for_customers(self, terminals: int, deadline: float) -> None:
        while len(self.sink.finished) < terminals and time.time() < deadline:
            time.sleep(POLL_S)
        if self.chaos is not None:
            self.chaos.stop()
        if self.server is not None and not self.server.alive():
            self.server.start()
        if self.link is not None:
            profile = dataclasses.replace(
                self.options.profile,
                stall_probability=0.0,
                drop_request_probability=0.0,
                cut_before_answer_probability=0.0,
                cut_mid_answer_probability=0.0,
                black_hole_probability=0.0,
            )
            self.say("the link heals: every terminal syncs")
            self.link.change({"profile": profile.as_dict(), "script": None, "partition": False})

    def _wait_for_crew(self, until: float) -> set[str]:
        """Wait for every collector (bounded); the terminals of those still running (a thread
        cannot be killed: its terminal is left alone and reported)."""
        running: set[str] = set()
        for member in self.crew:
            if not member.join(until - time.time()):
                member.kill()
                if not member.join(1.0):
                    running.add(member.terminal_no)
                    self.sink({"ev": "problem", "term": member.terminal_no,
                               "what": "collector_still_running"})  # fmt: skip
        return running

    # ---- the run ------------------------------------------------------------------------------

    def _lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = round(now - self._lap_at, 1)
        self._lap_at = now

    def execute(self) -> FleetReport:
        started = self._lap_at = time.monotonic()
        options = self.options
        county = self._prepare()
        self._start_worker()
        plans = self._plans(county)
        self._lap("setup_s")
        deadline = self._start_day(plans)
        self._wait_for_customers(len(plans), deadline)
        self._lap("day_s")
        running = self._wait_for_crew(deadline + options.sync_timeout_s + 30)
        terminal_nos = [plan.terminal_no for plan in plans]
        dirs = {number: terminal_dir(self.data_dir, number) for number in terminal_nos}
        waiting_left = final_sync(
            {number: path for number, path in dirs.items() if number not in running},
            server_url=self.link_url,
            timeouts=options.timeouts,
            seconds=60.0,
        )
        self._lap("end_of_day_s")
        self.say("draining the outbox to the MIS")
        drained = drain_outbox(
            database_url=self.database_url,
            mis_url=self.mis_url,
            api_key=self.mis_key,
            seed=options.seed,
            timeout_s=options.drain_timeout_s,
        )
        self.say("checking: audit verify, journals, server, MIS")
        audited = audit(self.database_url, env=self.env)
        self._lap("checks_s")
        ledgers = read_ledgers(
            database_url=self.database_url,
            mis_url=self.mis_url,
            mis_api_key=self.mis_key,
            dirs=dirs,
            since=self.since,
            county=county,
        )
        stats = self.link.stats() if self.link is not None else None
        if stats is not None:
            (self.data_dir / LINK_STATS_FILE).write_text(json.dumps(stats), encoding="utf-8")
        return build_report(
            options=options,
            plans=plans,
            events=self.sink.events(),
            ledgers=ledgers,
            link_stats=stats,
            drained=drained,
            audited=audited,
            waiting_left=waiting_left,
            faults=list(self.chaos.done) if self.chaos else [],
            data_dir=self.data_dir,
            seconds=round(time.monotonic() - started, 1),
            timings=dict(self.timings),
            visits=self.sink.visits,
        )

    def shutdown(self) -> None:
        """Stop everything this run started (bounded), whatever state it is in."""
        if self.chaos is not None:
            self.chaos.stop()
        for member in self.crew:
            member.kill()
        for service in reversed(self.services):
            service.stop()
        self.sink.close()
