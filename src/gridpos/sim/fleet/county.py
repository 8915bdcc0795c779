"""The county the fleet collects in: generated into the reference MIS, imported and synced into
the server's database, peopled by the demo setup (collection points, funded agents, terminals,
operators), and divided into seats — one terminal, its collector and its customers each.

The server-side steps are the application's own use cases, run in this process against the
server's database before the server starts (or beside a running one: they are idempotent).
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.parameter_store import set_parameter
from gridpos.adapters.db.tables import agents, customers, organisations
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient
from gridpos.application.demo_setup import DemoSetup, SignIn, set_up_demo
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.organisation_import import import_organisation
from gridpos.application.ports import Clock
from gridpos.application.terminals.enrolment import issue_enrolment_code
from gridpos.bootstrap import build_services
from gridpos.domain.dates import add_months, period_of
from gridpos.domain.errors import DomainError
from gridpos.domain.penalty import default_penalty_rules
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.accounts import CHINA_TIME as REFMIS_TIME
from gridpos.refmis.engine import make_engine
from gridpos.refmis.generator import CountySpec, load_county
from gridpos.settings import Settings
from gridpos.sim.fleet.errors import fleet_error
from gridpos.sim.fleet.plan import Credentials, Seat

# the fleet's operators are hashed cheaply: their passwords are generated, and a county of
# collectors signing in at once should not spend the machine on argon2
FLEET_HASHER: Final = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PARAMETERS_FROM: Final = date(2000, 1, 1)
ENROLMENT_VALIDITY: Final = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class County:
    """The seats the fleet may use, each terminal's agent, and every agent's float now."""

    seats: tuple[Seat, ...]
    agent_of: dict[str, str]  # terminal number → agent code
    floats: dict[str, tuple[int, int]]  # agent code → (available, held)
    sign_ins: tuple[SignIn, ...]


def generate_county(database_url: str, *, customers: int, months: int, seed: int) -> None:
    """Generate the county into an empty reference-MIS database, as ``gridpos refmis generate``
    does (the bills end last month, arrears as of today in the county).

    Raises:
        FleetError: ``fleet_setup_failed`` — the generator refused.
    """
    today = datetime.now(UTC).astimezone(REFMIS_TIME).date()
    engine = make_engine(database_url)
    try:
        spec = CountySpec(
            customers=customers,
            months=months,
            seed=seed,
            last_period=add_months(period_of(today), -1),
            as_of=today,
        )
        load_county(engine, spec, schedule=default_tariff_schedule(), rules=default_penalty_rules())
    except DomainError as exc:
        raise fleet_error(
            "fleet_setup_failed", "county", "无法生成县公司数据", f"the county: {exc}"
        ) from exc
    finally:
        engine.dispose()


def prepare_database(
    database_url: str,
    *,
    mis: MisClient,
    clock: Clock,
    allow_partial: bool | None,
) -> DemoSetup:
    """Migrate, import the organisation and sync the customers from the MIS, set up the demo's
    people and places, and (when asked) record whether partial payment is allowed.

    Raises:
        FleetError: ``fleet_setup_failed`` — the MIS could not be read or the setup refused.
    """
    migrate.upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        import_organisation(engine, mis, clock=clock)
        sync_from_mis(engine, mis, clock=clock)
        setup = set_up_demo(engine, clock=clock, hasher=FLEET_HASHER)
        if allow_partial is not None:
            _set_partial(engine, allow_partial)
    except Exception as exc:
        raise fleet_error(
            "fleet_setup_failed",
            "county",
            "无法准备县公司数据",
            f"the county could not be prepared: {exc}",
        ) from exc
    finally:
        engine.dispose()
    return setup


def _set_partial(engine: Engine, allowed: bool) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        try:
            set_parameter(
                uow.connection,
                key="collection.partial_allowed",
                valid_from=PARAMETERS_FROM,
                value=allowed,
            )
        except IntegrityError:
            return  # set before (a county prepared earlier): left as it is
        uow.commit()


def read_county(
    engine: Engine,
    setup: DemoSetup,
    *,
    customers_per_terminal: int,
    seed: int,
) -> County:
    """Every collection point's seat: its terminal, its agent's sign-in, the station head who
    approves voids, and customers of its station not shared with another seat."""
    with SqlUnitOfWork(engine, write=False) as uow:
        connection = uow.connection
        parent_of = {
            str(row.code): int(row.parent_id)
            for row in connection.execute(
                select(organisations.c.code, organisations.c.parent_id).where(
                    organisations.c.level == "collection_point"
                )
            )
        }
        station_code = {
            int(row.id): str(row.code)
            for row in connection.execute(
                select(organisations.c.id, organisations.c.code).where(
                    organisations.c.level == "station"
                )
            )
        }
        by_station: dict[str, list[str]] = defaultdict(list)
        for row in connection.execute(
            select(customers.c.account_no, customers.c.station_org_id).order_by(
                customers.c.account_no
            )
        ):
            by_station[station_code.get(int(row.station_org_id), "")].append(str(row.account_no))
        floats = {
            str(row.code): (int(row.float_available), int(row.float_held))
            for row in connection.execute(
                select(agents.c.code, agents.c.float_available, agents.c.float_held)
            )
        }
    heads = {s.org_code: s for s in setup.sign_ins if s.role == "station_head"}
    collectors = sorted(
        (s for s in setup.sign_ins if s.role == "agent" and s.terminal_no),
        key=lambda s: str(s.terminal_no),
    )
    stations = {
        s.terminal_no: station_code.get(parent_of.get(s.org_code, -1), "") for s in collectors
    }
    seats_at: dict[str, list[str]] = defaultdict(list)
    for s in collectors:
        seats_at[stations[s.terminal_no]].append(str(s.terminal_no))
    seats: list[Seat] = []
    agent_of: dict[str, str] = {}
    for s in collectors:
        terminal_no = str(s.terminal_no)
        station = stations[terminal_no]
        head = heads.get(station)
        if head is None:
            continue
        pool = list(by_station.get(station, []))
        random.Random(f"{seed}:customers:{station}").shuffle(pool)  # noqa: S311 - a simulation
        share = seats_at[station]
        mine = pool[share.index(terminal_no) :: len(share)][:customers_per_terminal]
        seats.append(
            Seat(
                terminal_no=terminal_no,
                collector=Credentials(s.account, s.password, s.org_code),
                supervisor=Credentials(head.account, head.password, head.org_code),
                customers=tuple(mine),
            )
        )
        agent_of[terminal_no] = str(s.agent_code)
    return County(seats=tuple(seats), agent_of=agent_of, floats=floats, sign_ins=setup.sign_ins)


def issue_codes(database_url: str, terminal_nos: Sequence[str]) -> dict[str, str]:
    """A one-time enrolment code for each terminal (as the console would give the installer).

    Raises:
        FleetError: ``fleet_setup_failed`` — the server refused to issue one.
    """
    services = build_services(Settings(data_dir=Path(), database_url=database_url))
    codes: dict[str, str] = {}
    try:
        for terminal_no in terminal_nos:
            code = f"{secrets.randbelow(10**12):012d}"
            issue_enrolment_code(
                services,
                terminal_no=terminal_no,
                code=code,
                actor="system:fleet",
                valid_for=ENROLMENT_VALIDITY,
            )
            codes[terminal_no] = code
    except Exception as exc:
        raise fleet_error(
            "fleet_setup_failed",
            "enrolment",
            "无法发放终端开通码",
            f"enrolment codes could not be issued: {exc}",
        ) from exc
    finally:
        services.engine.dispose()
    return codes
