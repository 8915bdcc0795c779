"""Use case for the demo and the tests: people and places to collect with, under every station.

After the county and its stations are imported from the MIS (:mod:`.organisation_import`), this
creates, under each station, one or two collection points (代收点; the odd-numbered stations in
code order get two), each with an agent whose float is funded by a top-up requested by one finance
operator and approved by another, the agent's operator account (role ``agent``), and a terminal
record (``issued``, to be enrolled with ``gridpos terminals enrol-code``); a station head (所长)
and a staff member (营业员) for each station; and at the county an admin, two finance operators
(maker and checker) and an auditor.

Deterministic: the same county gives the same codes, names, terminal numbers and passwords
(derived from ``seed``). Idempotent: what exists is left as it is (a password changed since is
not reset), an agent already funded is not funded again, so running it twice creates nothing the
second time. Passwords are hashed (argon2) before the write transaction opens, so the database
is not held while they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, insert, select

from gridpos.adapters.db.tables import agents, float_topups, operators, organisations, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.floats import approve_topup, request_topup
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.application.ports import Clock
from gridpos.domain.audit import AuditAction
from gridpos.domain.errors import DomainError

DEFAULT_SEED: Final = "gridpos-demo"
DEFAULT_FLOAT_FEN: Final = 2_000_000  # 20,000.00 yuan per agent
ACTOR: Final = "system:demo-setup"
_SHOPS: Final = ("便民超市", "农家小店")
_AGENT_NAMES: Final = (
    "王小红", "储建国", "汪春华", "刘德胜", "程秀兰", "王金山", "余桂芳", "胡明亮",
    "吴玉梅", "方志强", "朱丽华", "黄长青", "李翠英", "张家宝", "陈美玲", "汪大海",
)  # fmt: skip


class DemoSetupError(DomainError):
    """The demo cannot be set up: ``county_missing`` (import the organisation from the MIS
    first)."""

    code = "demo_setup_error"


@dataclass(frozen=True, slots=True)
class SignIn:
    """One account to sign in with, as the demo prints it."""

    role: str
    org_code: str
    org_name: str
    account: str
    password: str
    terminal_no: str | None = None
    agent_code: str | None = None


@dataclass(frozen=True, slots=True)
class DemoSetup:
    """Every sign-in of the demo and what this run created."""

    sign_ins: tuple[SignIn, ...]
    created_points: int
    created_operators: int
    created_terminals: int
    funded_agents: int

    @property
    def created(self) -> bool:
        return bool(
            self.created_points
            or self.created_operators
            or self.created_terminals
            or self.funded_agents
        )


@dataclass(frozen=True, slots=True)
class _Point:
    station_id: int
    code: str
    name: str
    agent_code: str
    agent_name: str
    terminal_no: str


def demo_password(seed: str, account: str) -> str:
    """The demo's password of ``account``: ten characters derived from ``seed``."""
    digest = hashlib.sha256(f"{seed}:{account}".encode()).hexdigest()
    return f"gp{digest[:8]}"


def set_up_demo(
    engine: Engine,
    *,
    clock: Clock,
    hasher: PasswordHasher,
    seed: str = DEFAULT_SEED,
    float_fen: int = DEFAULT_FLOAT_FEN,
) -> DemoSetup:
    """Create what is missing of the demo's collection points, agents, terminals and operators,
    fund the agents not yet funded, and return every sign-in.

    Raises :class:`DemoSetupError` ``county_missing`` when no county with stations exists, and
    the float use cases' :class:`~gridpos.application.floats.FloatError` for a bad ``float_fen``.
    """
    with SqlUnitOfWork(engine, write=False) as uow:
        county, stations = _county_and_stations(uow.connection)
        existing = {
            (row.code, row.account)
            for row in uow.connection.execute(
                select(organisations.c.code, operators.c.account).join(
                    organisations, organisations.c.id == operators.c.org_id
                )
            )
        }
    points = _plan_points(stations)
    people = _plan_people(county, stations, points, seed=seed)
    missing = [p for p in people if (p.org_code, p.account) not in existing]
    hashes = {p.account: hasher.hash(p.password) for p in missing}  # not holding the database
    now = clock.now()
    with SqlUnitOfWork(engine, write=True) as uow:
        connection = uow.connection
        created_points, created_terminals = _ensure_points(uow, points)
        org_ids = _org_ids(connection, sorted({p.org_code for p in missing}))
        agent_ids = _agent_ids(connection, [p.agent_code for p in points])
        names = {p.agent_code: p.agent_name for p in points}
        for sign_in in missing:
            agent_code = sign_in.agent_code or ""
            connection.execute(
                insert(operators).values(
                    org_id=org_ids[sign_in.org_code],
                    account=sign_in.account,
                    name=names.get(agent_code, sign_in.account),
                    password_hash=hashes[sign_in.account],
                    role=sign_in.role,
                    agent_id=agent_ids.get(agent_code),
                )
            )
        if created_points or missing:
            uow.audit.append(
                occurred_at=now,
                actor=ACTOR,
                action=AuditAction.DEMO_SETUP,
                subject=county[1],
                details={
                    "points": created_points,
                    "operators": len(missing),
                    "terminals": created_terminals,
                },
            )
        uow.commit()
    funded = _fund_agents(
        engine, county_id=county[0], points=points, float_fen=float_fen, clock=clock
    )
    return DemoSetup(
        sign_ins=tuple(people),
        created_points=created_points,
        created_operators=len(missing),
        created_terminals=created_terminals,
        funded_agents=funded,
    )


def _county_and_stations(
    connection: Connection,
) -> tuple[tuple[int, str, str], list[tuple[int, str, str]]]:
    county = connection.execute(
        select(organisations.c.id, organisations.c.code, organisations.c.name)
        .where(organisations.c.level == "county")
        .order_by(organisations.c.id)
        .limit(1)
    ).first()
    stations = (
        []
        if county is None
        else [
            (int(row.id), row.code, row.name)
            for row in connection.execute(
                select(organisations.c.id, organisations.c.code, organisations.c.name)
                .where(organisations.c.parent_id == county.id, organisations.c.level == "station")
                .order_by(organisations.c.code)
            )
        ]
    )
    if county is None or not stations:
        raise DemoSetupError(
            code="county_missing",
            field="organisation",
            message_zh="尚无县公司及供电所：请先运行 gridpos org import-mis",
            message_en="there is no county with stations yet: run `gridpos org import-mis` first",
        )
    return (int(county.id), county.code, county.name), stations


def _plan_points(stations: Sequence[tuple[int, str, str]]) -> list[_Point]:
    points: list[_Point] = []
    for number, (station_id, code, name) in enumerate(stations, start=1):
        place = name.removesuffix("供电所")
        for k in range(1, 3 if number % 2 else 2):
            points.append(
                _Point(
                    station_id=station_id,
                    code=f"{code}{k:02d}",
                    name=f"{place}{_SHOPS[k - 1]}代收点",
                    agent_code=f"A{code}{k}",
                    agent_name=_AGENT_NAMES[(len(points)) % len(_AGENT_NAMES)],
                    terminal_no=f"{code[-4:]}{k:04d}",
                )
            )
    return points


def _plan_people(
    county: tuple[int, str, str],
    stations: Sequence[tuple[int, str, str]],
    points: Sequence[_Point],
    *,
    seed: str,
) -> list[SignIn]:
    _, county_code, county_name = county
    people = [
        SignIn(role, county_code, county_name, account, demo_password(seed, account))
        for role, account in (
            ("admin", "admin"),
            ("finance", "finance"),
            ("finance", "finance2"),
            ("auditor", "auditor"),
        )
    ]
    for _, code, name in stations:
        for role, account in (("station_head", f"zz{code}"), ("station_staff", f"yy{code}")):
            people.append(SignIn(role, code, name, account, demo_password(seed, account)))
    people.extend(
        SignIn(
            "agent",
            point.code,
            point.name,
            point.agent_code,
            demo_password(seed, point.agent_code),
            terminal_no=point.terminal_no,
            agent_code=point.agent_code,
        )
        for point in points
    )
    return people


def _ensure_points(uow: SqlUnitOfWork, points: Sequence[_Point]) -> tuple[int, int]:
    connection = uow.connection
    have_orgs = set(_org_ids(connection, [p.code for p in points]))
    have_agents = set(_agent_ids(connection, [p.agent_code for p in points]))
    have_terminals = set(
        connection.execute(
            select(terminals.c.terminal_no).where(
                terminals.c.terminal_no.in_([p.terminal_no for p in points])
            )
        ).scalars()
    )
    created_points = created_terminals = 0
    for point in points:
        if point.code not in have_orgs:
            uow.organisations.add(
                code=point.code,
                name=point.name,
                level="collection_point",
                parent_id=point.station_id,
            )
            created_points += 1
        org_id = _org_ids(connection, [point.code])[point.code]
        if point.agent_code not in have_agents:
            connection.execute(
                insert(agents).values(org_id=org_id, code=point.agent_code, name=point.agent_name)
            )
        agent_id = _agent_ids(connection, [point.agent_code])[point.agent_code]
        if point.terminal_no not in have_terminals:
            connection.execute(
                insert(terminals).values(
                    terminal_no=point.terminal_no, org_id=org_id, agent_id=agent_id, state="issued"
                )
            )
            created_terminals += 1
    return created_points, created_terminals


def _fund_agents(
    engine: Engine, *, county_id: int, points: Sequence[_Point], float_fen: int, clock: Clock
) -> int:
    with SqlUnitOfWork(engine, write=False) as uow:
        connection = uow.connection
        agent_ids = _agent_ids(connection, [p.agent_code for p in points])
        funded = set(
            connection.execute(
                select(float_topups.c.agent_id).where(float_topups.c.state == "approved")
            ).scalars()
        )
        maker, checker = (
            connection.execute(
                select(operators.c.id).where(
                    operators.c.org_id == county_id, operators.c.account == account
                )
            ).scalar_one()
            for account in ("finance", "finance2")
        )
    business_date: date = clock.now().astimezone(CHINA_TIME).date()
    count = 0
    for point in points:
        agent_id = agent_ids[point.agent_code]
        if agent_id in funded:
            continue
        asked = request_topup(
            engine, agent_id=agent_id, amount=float_fen, requested_by=maker, clock=clock,
            note="演示初始备付金",
        )  # fmt: skip
        approve_topup(
            engine, topup_id=asked.id, decided_by=checker, business_date=business_date, clock=clock
        )
        count += 1
    return count


def _org_ids(connection: Connection, codes: Sequence[str]) -> dict[str, int]:
    return {
        row.code: int(row.id)
        for row in connection.execute(
            select(organisations.c.code, organisations.c.id).where(organisations.c.code.in_(codes))
        )
    }


def _agent_ids(connection: Connection, codes: Sequence[str]) -> dict[str, int]:
    return {
        row.code: int(row.id)
        for row in connection.execute(
            select(agents.c.code, agents.c.id).where(agents.c.code.in_(codes))
        )
    }
