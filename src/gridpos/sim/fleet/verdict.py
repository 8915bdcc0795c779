"""The end of the day judged: the three ledgers read back (journals, the server's payments and
floats, the MIS's reports), the figures the collectors' events give (batches closed, sign-ins,
crashes, problems), and the report built from them and the link's records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.mis import MisClient, MisError
from gridpos.sim.fleet.chaos import DoneFault
from gridpos.sim.fleet.county import County
from gridpos.sim.fleet.delivery import DrainReport
from gridpos.sim.fleet.events import Event
from gridpos.sim.fleet.finish import check_floats
from gridpos.sim.fleet.ledgers import read_journal, read_mis, read_server
from gridpos.sim.fleet.options import FleetOptions
from gridpos.sim.fleet.plan import TerminalPlan
from gridpos.sim.fleet.report import AuditResult, FleetReport, FloatCheck
from gridpos.sim.fleet.truth import JournalPayment, MisPostings, ServerPayment, judge, query_results
from gridpos.sim.fleet.wire import wire_figures

MIS_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Ledgers:
    """The journals, the server's payments and tombstones, the MIS's postings (None when the
    MIS could not be read) and the floats' check."""

    journals: dict[str, list[JournalPayment]]
    server: list[ServerPayment]
    tombstones: set[tuple[str, str]]
    mis: dict[str, MisPostings] | None
    floats: FloatCheck

    @property
    def online_payments(self) -> int:
        return sum(1 for records in self.journals.values() for r in records if not r.offline)


def read_ledgers(
    *,
    database_url: str,
    mis_url: str,
    mis_api_key: str,
    dirs: Mapping[str, Path],
    since: datetime,
    county: County,
) -> Ledgers:
    """Read every ledger of these terminals' payments taken from ``since`` on."""
    numbers = list(dirs)
    engine = create_engine_for(database_url)
    try:
        server, tombstones, dates = read_server(engine, numbers, since=since)
        floats = check_floats(engine, county, server, numbers)
    finally:
        engine.dispose()
    journals = {number: read_journal(path, number, since=since) for number, path in dirs.items()}
    mis: dict[str, MisPostings] | None
    try:
        with MisClient(base_url=mis_url, api_key=mis_api_key, timeout_s=MIS_TIMEOUT_S) as client:
            mis = read_mis(client, dates, numbers)
    except MisError:
        mis = None
    return Ledgers(journals, server, tombstones, mis, floats)


@dataclass(frozen=True, slots=True)
class EventFigures:
    """What the collectors' events say about the day beyond the payments."""

    signed_in: int
    damaged_journals: int  # terminals whose journal failed its check when (re)started
    crashes: int
    restarts: int
    batches: dict[str, int]
    problems: dict[str, int]


def _phases(events: Sequence[Event], name: str) -> list[Event]:
    return [e for e in events if e.get("ev") == "phase" and e.get("name") == name]


def event_figures(events: Sequence[Event]) -> EventFigures:
    """Terminals signed in, crashes and restarts, batches closed (balanced, with a cash
    difference) and collectors signed out, and problems by what could not be done."""
    closes = _phases(events, "closed")
    return EventFigures(
        signed_in=len({str(e.get("term")) for e in _phases(events, "signed_in")}),
        damaged_journals=len(
            {str(e.get("term")) for e in _phases(events, "started") if not e.get("intact", True)}
        ),
        crashes=sum(1 for e in events if e.get("ev") == "crash"),
        restarts=sum(1 for e in events if e.get("ev") == "restart"),
        batches={
            "closed": sum(1 for e in closes if e.get("closed")),
            "balanced": sum(1 for e in closes if e.get("balanced")),
            "cash_differences": sum(
                1 for e in closes if e.get("cash_counted") != e.get("expected_cash")
            ),
            "signed_out": len(_phases(events, "signed_out")),
        },
        problems=dict(Counter(str(e.get("what")) for e in events if e.get("ev") == "problem")),
    )


def build_report(
    *,
    options: FleetOptions,
    plans: Sequence[TerminalPlan],
    events: Sequence[Event],
    ledgers: Ledgers,
    link_stats: Mapping[str, Any] | None,
    drained: DrainReport,
    audited: AuditResult,
    waiting_left: int,
    faults: list[DoneFault],
    data_dir: Path,
    seconds: float,
    timings: dict[str, float],
    visits: int,
) -> FleetReport:
    """The day judged (:func:`~gridpos.sim.fleet.truth.judge`) and measured on the wire
    (:func:`~gridpos.sim.fleet.wire.wire_figures`), with everything else the run knows."""
    truth = judge(
        events=events,
        journals=ledgers.journals,
        server=ledgers.server,
        tombstones=ledgers.tombstones,
        mis=ledgers.mis,
    )
    wire = None
    if link_stats is not None:
        wire = wire_figures(
            link_stats,
            online_payments=ledgers.online_payments,
            one_way_s=options.profile.one_way_s,
            bytes_per_s=options.profile.bytes_per_s,
        )
    figures = event_figures(events)
    return FleetReport(
        profile=options.profile.name,
        seed=options.seed,
        terminals=len(plans),
        data_dir=str(data_dir),
        seconds=seconds,
        truth=truth,
        wire=wire,
        audit=audited,
        floats=ledgers.floats,
        outbox_pending=drained.pending,
        outbox_dead=drained.dead,
        waiting_left=waiting_left,
        faults=faults,
        terminal_crashes=figures.crashes,
        terminal_restarts=figures.restarts,
        batches=figures.batches,
        problems=figures.problems,
        queries=query_results(events),
        timings=timings,
        visits=visits,
        signed_in=figures.signed_in,
        damaged_journals=figures.damaged_journals,
        planned_visits=sum(len(plan.visits) for plan in plans),
    )
