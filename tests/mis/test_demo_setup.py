"""The demo's people and places: deterministic, idempotent, funded by maker-checker top-ups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.tables import agents, operators, organisations, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.application.demo_setup import DemoSetupError, demo_password, set_up_demo
from gridpos.application.organisation_import import apply_organisation
from gridpos.protocol.mis import Organisation, Station
from gridpos.refmis.generator.rows import station_rows

from .harness import ManualClock

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _county() -> Organisation:
    return Organisation(
        county_code="340828",
        company_name_zh="国网岳西县供电公司",
        county_name_zh="岳西县",
        stations=[Station(code=c, name_zh=n, township_zh=t) for c, n, t, _ in station_rows()],
    )


def _count(engine: Engine, table: object, *where: object) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()  # type: ignore[arg-type]
        )


def test_the_demo_is_set_up_once_under_every_station(server_engine: Engine) -> None:
    clock = ManualClock(datetime(2026, 4, 10, 1, tzinfo=UTC))
    apply_organisation(server_engine, _county(), clock=clock)

    first = set_up_demo(server_engine, clock=clock, hasher=CHEAP, float_fen=500_000)

    # 24 stations; the 12 odd-numbered ones get two collection points: 36 points
    assert (first.created_points, first.created_terminals, first.funded_agents) == (36, 36, 36)
    assert first.created_operators == 4 + 24 * 2 + 36  # a head and a staff per station
    assert _count(server_engine, organisations, organisations.c.level == "collection_point") == 36
    assert _count(server_engine, agents, agents.c.float_available == 500_000) == 36
    assert _count(server_engine, terminals, terminals.c.state == "issued") == 36
    roles = {s.role for s in first.sign_ins}
    assert roles == {"admin", "finance", "auditor", "station_head", "station_staff", "agent"}

    agent = next(s for s in first.sign_ins if s.role == "agent")
    assert (agent.org_code, agent.account, agent.terminal_no) == (
        "3408280101",
        "A340828011",
        "28010001",
    )
    assert agent.password == demo_password("gridpos-demo", "A340828011")
    with server_engine.connect() as connection:
        stored = connection.execute(
            select(operators.c.password_hash, operators.c.role, operators.c.agent_id).where(
                operators.c.account == agent.account
            )
        ).one()
    assert stored.role == "agent"
    assert stored.agent_id is not None
    assert CHEAP.verify(stored.password_hash, agent.password)

    again = set_up_demo(server_engine, clock=clock, hasher=CHEAP, float_fen=500_000)
    assert not again.created
    assert again.sign_ins == first.sign_ins
    assert _count(server_engine, operators) == 88
    report = verify_database(SqlUnitOfWork(server_engine, write=False))
    assert report.ok, [b.describe() for b in report.breaks]


def test_the_demo_needs_the_county_first(server_engine: Engine) -> None:
    clock = ManualClock(datetime(2026, 4, 10, 1, tzinfo=UTC))
    with pytest.raises(DemoSetupError) as refused:
        set_up_demo(server_engine, clock=clock, hasher=CHEAP)
    assert refused.value.code == "county_missing"
