"""The benchmark's dataset, built in order, and the facts the page requests are made from.

:func:`build_dataset` fills the two empty databases: the county through the MIS
(:mod:`.console_county`), the collection points (:mod:`.console_points`), the payment history
(:mod:`.county_data`, :mod:`.console_audit`, :mod:`.console_history`), the MIS's postings of it
(:mod:`.console_mis`), then ``ANALYZE``. :func:`read_facts` reads back, from either a new or a
kept dataset, who signs in and which codes, numbers, names and dates the pages are asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Final

import psycopg
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import (
    agents,
    batches,
    customers,
    operators,
    organisations,
    payments,
    terminals,
)
from gridpos.application.demo_setup import demo_password
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.sim.bench.console_audit import compute_codes, seal_history
from gridpos.sim.bench.console_county import (
    DEMO_SEED,
    ConsoleDatabases,
    MachineClock,
    MisProcess,
    generate_mis_county,
    libpq_dsn,
    load_server_county,
    set_up_people,
)
from gridpos.sim.bench.console_history import write_history
from gridpos.sim.bench.console_mis import copy_postings
from gridpos.sim.bench.console_points import activate_terminals, add_points
from gridpos.sim.bench.county_data import HistoryPlan, drop_staging, stage

DAY_OPENS: Final = clock_time(8, 0)
SYNC_DEADLINE_S: Final = 3_600.0


@dataclass(frozen=True, slots=True)
class DatasetSize:
    """How big a county to build."""

    customers: int = 150_000
    months: int = 12
    payments: int = 1_000_000
    days: int = 50
    terminals: int = 200
    seed: int = 7


@dataclass(frozen=True, slots=True)
class Login:
    """One sign-in of the console (as the demo setup made it)."""

    role: str
    org_code: str
    account: str
    password: str


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """What the requests are made from."""

    customers: int
    payments: int
    today: date
    first_day: date
    admin: Login
    station_head: Login
    agent: Login
    station_code: str
    point_code: str  # a busy collection point of that station
    agent_code: str
    terminal_no: str
    agent_id: int  # that point's agent
    account_no: str  # a customer of that point with payments
    customer_id: int
    payment_id: int  # that customer's latest payment
    batch_id: int  # an unbalanced batch of that station
    surname: str  # the commonest first character of a name
    name_start: str  # the commonest first two characters of a name
    township: str  # the commonest start of an address, to the township
    village: str  # that customer's village (a part of an address)
    township_name: str  # the start of the station's name
    own_agent_id: int  # the agent who signs in
    own_payment_id: int  # their latest payment
    own_account_no: str  # its customer
    live_terminal_no: str
    live_login: Login


def county_today(now: datetime) -> date:
    """The business date in the county at ``now``."""
    return now.astimezone(CHINA_TIME).date()


def _today_start(now: datetime) -> datetime:
    local = now.astimezone(CHINA_TIME)
    opens = datetime.combine(local.date(), DAY_OPENS, tzinfo=CHINA_TIME)
    if local - opens < timedelta(hours=1):  # before the shops open: today so far
        opens = datetime.combine(local.date(), clock_time(0, 0), tzinfo=CHINA_TIME)
    return opens


def _finance_ids(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                select(operators.c.account, operators.c.id).where(
                    operators.c.account.in_(("finance", "finance2"))
                )
            ).all()
        )
    return int(ids["finance"]), int(ids["finance2"])


def build_dataset(
    databases: ConsoleDatabases,
    mis: MisProcess,
    size: DatasetSize,
    *,
    progress: Callable[[str], None],
) -> dict[str, float]:
    """Fill the run's empty databases (``mis`` serving the MIS one); seconds per step."""
    clock = MachineClock()
    timings: dict[str, float] = {}
    started = time.monotonic()
    now = clock.now()
    today = county_today(now)
    generate_mis_county(
        databases.mis_url, customers=size.customers, months=size.months, seed=size.seed, today=today
    )
    timings["generate_s"] = time.monotonic() - started
    progress(f"MIS county generated: {size.customers} customers, {size.months} months")
    with mis:
        mark = time.monotonic()
        load_server_county(databases.server_url, mis, clock=clock, deadline_s=SYNC_DEADLINE_S)
        timings["sync_s"] = time.monotonic() - mark
        progress("organisation imported and customers synced from the MIS")
    mark = time.monotonic()
    sign_ins = set_up_people(databases.server_url, clock=clock)
    live = next(s for s in sign_ins if s.role == "agent" and s.terminal_no)
    assert live.terminal_no is not None  # noqa: S101 - chosen for having one
    engine = create_engine_for(databases.server_url)
    try:
        add_points(engine, terminals_wanted=size.terminals, live_terminal_no=live.terminal_no)
        now = clock.now()
        activate_terminals(
            engine,
            live_terminal_no=live.terminal_no,
            today=today,
            signed_in_at=_today_start(now) - timedelta(minutes=10),
            now=now,
        )
        maker, checker = _finance_ids(engine)
    finally:
        engine.dispose()
    timings["people_s"] = time.monotonic() - mark
    progress(f"collection points ready: {size.terminals} terminals")
    mark = time.monotonic()
    dsn = libpq_dsn(databases.server_url)
    plan = HistoryPlan(
        payments=size.payments,
        days=size.days,
        today=today,
        today_start=_today_start(now),
        now=now,
        live_terminal_no=live.terminal_no,
    )
    bases = stage(dsn, plan, progress=progress)
    compute_codes(dsn, progress=progress)
    bases.update(_more_bases(dsn))
    write_history(dsn, plan, bases, maker_id=maker, checker_id=checker, progress=progress)
    seal_history(dsn, bases=bases, progress=progress)
    drop_staging(dsn)
    timings["history_s"] = time.monotonic() - mark
    mark = time.monotonic()
    copy_postings(dsn, libpq_dsn(databases.mis_url), progress=progress)
    timings["mis_postings_s"] = time.monotonic() - mark
    mark = time.monotonic()
    for url in (databases.server_url, databases.mis_url):
        with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    timings["analyze_s"] = time.monotonic() - mark
    progress("analysed")
    return timings


def _more_bases(dsn: str) -> dict[str, int]:
    bases: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        for key, table in (("batch_base", "batches"), ("topup_base", "float_topups")):
            row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()  # noqa: S608
            bases[key] = int(row[0]) if row else 0
    return bases


def _login(role: str, org_code: str, account: str) -> Login:
    return Login(role, org_code, account, demo_password(DEMO_SEED, account))


def read_facts(server_url: str) -> DatasetFacts:
    """Who signs in and what to search for, read from a built dataset.

    Raises ``LookupError`` when the dataset lacks a county, a station with collections or the
    live terminal.
    """
    engine = create_engine_for(server_url)
    try:
        with engine.connect() as conn:
            return _facts(conn)
    finally:
        engine.dispose()


def _facts(conn: Any) -> DatasetFacts:
    county = conn.execute(
        select(organisations.c.code).where(organisations.c.level == "county")
    ).scalar_one()
    counts = conn.execute(
        select(
            func.min(payments.c.business_date),
            func.max(payments.c.business_date),
            func.count(),
        )
    ).one()
    if not counts[2]:
        raise LookupError("the dataset has no payments")
    busiest = conn.execute(
        select(
            payments.c.terminal_id,
            func.count().label("n"),
        )
        .group_by(payments.c.terminal_id)
        .order_by(func.count().desc(), payments.c.terminal_id)
        .limit(1)
    ).one()
    point = conn.execute(
        select(
            terminals.c.terminal_no,
            organisations.c.code,
            organisations.c.parent_id,
            agents.c.code.label("agent_code"),
            agents.c.id.label("agent_id"),
        )
        .join(organisations, organisations.c.id == terminals.c.org_id)
        .join(agents, agents.c.id == terminals.c.agent_id)
        .where(terminals.c.id == busiest.terminal_id)
    ).one()
    station_code = conn.execute(
        select(organisations.c.code).where(organisations.c.id == point.parent_id)
    ).scalar_one()
    latest = conn.execute(
        select(payments.c.id, customers.c.id.label("customer_id"), customers.c.account_no,
               customers.c.address)
        .join(customers, customers.c.id == payments.c.customer_id)
        .where(payments.c.terminal_id == busiest.terminal_id)
        .order_by(payments.c.id.desc())
        .limit(1)
    ).one()  # fmt: skip
    batch_id = conn.execute(
        select(batches.c.id)
        .join(terminals, terminals.c.id == batches.c.terminal_id)
        .join(organisations, organisations.c.id == terminals.c.org_id)
        .where(organisations.c.parent_id == point.parent_id)
        .order_by((batches.c.state == "unbalanced").desc(), batches.c.id.desc())
        .limit(1)
    ).scalar_one()
    surname, name_start = (
        conn.execute(
            select(func.substr(customers.c.name, 1, width).label("s"))
            .group_by("s")
            .order_by(func.count().desc(), "s")
            .limit(1)
        ).scalar_one()
        for width in (1, 2)
    )
    township = conn.execute(
        select(func.substring(customers.c.address, "^.*?[镇乡]").label("t"))
        .group_by("t")
        .order_by(func.count().desc(), "t")
        .limit(1)
    ).scalar_one()
    station_name = conn.execute(
        select(organisations.c.name).where(organisations.c.id == point.parent_id)
    ).scalar_one()
    agent_login, live_login, live_terminal = _agent_logins(conn, point.parent_id)
    own = conn.execute(
        select(payments.c.id, payments.c.agent_id, customers.c.account_no)
        .join(customers, customers.c.id == payments.c.customer_id)
        .join(operators, operators.c.agent_id == payments.c.agent_id)
        .where(operators.c.account == agent_login.account)
        .order_by(payments.c.id.desc())
        .limit(1)
    ).one()
    return DatasetFacts(
        customers=int(conn.execute(select(func.count()).select_from(customers)).scalar_one()),
        payments=int(counts[2]),
        today=counts[1],
        first_day=counts[0],
        admin=_login("admin", county, "admin"),
        station_head=_login("station_head", station_code, f"zz{station_code}"),
        agent=agent_login,
        station_code=station_code,
        point_code=point.code,
        agent_code=point.agent_code,
        terminal_no=point.terminal_no,
        agent_id=int(point.agent_id),
        account_no=latest.account_no,
        customer_id=int(latest.customer_id),
        payment_id=int(latest.id),
        batch_id=int(batch_id or 0),
        surname=surname,
        name_start=name_start,
        township=township or "",
        village=village_of(latest.address),
        township_name=str(station_name)[:2],
        own_agent_id=int(own.agent_id),
        own_payment_id=int(own.id),
        own_account_no=own.account_no,
        live_terminal_no=live_terminal,
        live_login=live_login,
    )


def village_of(address: str) -> str:
    """The village of an address (``…镇城西村1组`` → ``城西村``), or its last part."""
    head, mark, _ = address.partition("村")
    place = head[max(head.rfind("镇"), head.rfind("乡")) + 1 :]
    return f"{place}{mark}" if mark else address[-4:]


def _agent_logins(conn: Any, station_id: int) -> tuple[Login, Login, str]:
    """The demo's agents (accounts ``A…`` with a one-digit point number): the first one's
    terminal (the first in code order) is the live check's; an agent of ``station_id`` with
    collections signs in to pages."""
    collected = (
        select(payments.c.id).where(payments.c.terminal_id == terminals.c.id).limit(1).exists()
    )
    demo = conn.execute(
        select(
            operators.c.account,
            organisations.c.code,
            organisations.c.parent_id,
            terminals.c.terminal_no,
            collected.label("collected"),
        )
        .join(organisations, organisations.c.id == operators.c.org_id)
        .join(terminals, terminals.c.agent_id == operators.c.agent_id)
        .where(operators.c.role == "agent", func.length(operators.c.account) == 10)
        .order_by(organisations.c.code)
    ).all()
    if not demo:
        raise LookupError("the dataset has no demo agents")
    live = demo[0]  # the history leaves it out (see build_dataset)
    busy = [row for row in demo[1:] if row.collected]
    if not busy:
        raise LookupError("the dataset has no demo agent with collections")
    chosen = next((row for row in busy if row.parent_id == station_id), busy[0])
    return (
        _login("agent", chosen.code, chosen.account),
        _login("agent", live.code, live.account),
        str(live.terminal_no),
    )
