"""The benchmark county's collection points: the demo's, and more of the same kind until the
county has the terminals it is sized for (200 in DOMAIN.md), every one enrolled, signed in for
today and heard from lately — except the one the live check enrols and signs in for real.

New points are spread over the stations in proportion to their customers, each with an agent, the
agent's operator account (role ``agent``, one shared bench password) and a terminal. Keys are
derived from the terminal number (:func:`bench_terminal_key`), so receipts' verification codes can
be computed for the generated payments. A few terminals are left silent for an hour or more, so
the monitoring page has something to warn about.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, Engine, func, insert, select, update

from gridpos.adapters.db.tables import agents, customers, operators, organisations, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.refmis.generator import split_by_weight
from gridpos.sim.bench.console_county import CHEAP_HASHER

BENCH_PASSWORD: Final = "bench-console-pw"  # noqa: S105 - the generated agents of a throwaway database
PROGRAM_VERSION: Final = "1.0.0"
SILENT_EVERY: Final = 23  # one terminal in this many has not been heard from for an hour or more
_SHOPS: Final = ("百货店", "副食店", "便利店", "农资店", "日杂店", "粮油店", "小卖部", "综合商店")
_SURNAMES: Final = "王储汪刘程胡吴方朱黄李张陈余徐杨"
_GIVEN: Final = ("建华", "春梅", "德明", "秀英", "国庆", "小平", "志勇", "桂兰", "长生", "玉珍")


def bench_terminal_key(terminal_no: str) -> bytes:
    """The 32-byte key of generated terminal ``terminal_no``."""
    return hashlib.sha256(f"gridpos-bench-console:{terminal_no}".encode()).digest()


@dataclass(frozen=True, slots=True)
class BenchPoint:
    """A collection point that collects in the generated history."""

    org_id: int
    code: str
    station_id: int
    agent_id: int
    terminal_id: int
    terminal_no: str


def add_points(engine: Engine, *, terminals_wanted: int, live_terminal_no: str) -> int:
    """Add collection points (with agent, operator and terminal) until there are
    ``terminals_wanted`` terminals besides ``live_terminal_no``; how many were added."""
    password_hash = CHEAP_HASHER.hash(BENCH_PASSWORD)
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        have = int(
            conn.execute(
                select(func.count())
                .select_from(terminals)
                .where(terminals.c.terminal_no != live_terminal_no)
            ).scalar_one()
        )
        missing = max(0, terminals_wanted - have)
        stations = _stations(conn)
        shares = split_by_weight(missing, [max(1, size) for _, _, _, size in stations])
        added = 0
        for (station_id, code, name, _), share in zip(stations, shares, strict=True):
            taken = {
                str(row)
                for row in conn.execute(
                    select(organisations.c.code).where(organisations.c.parent_id == station_id)
                ).scalars()
            }
            number = 1
            for _ in range(share):
                while f"{code}{number:02d}" in taken:
                    number += 1
                point_code = f"{code}{number:02d}"
                taken.add(point_code)
                _add_point(
                    uow,
                    station_id=station_id,
                    station_code=code,
                    place=name.removesuffix("供电所"),
                    number=number,
                    point_code=point_code,
                    password_hash=password_hash,
                )
                added += 1
        uow.commit()
    return added


def _stations(conn: Connection) -> list[tuple[int, str, str, int]]:
    sizes: dict[int, int] = dict(
        conn.execute(
            select(customers.c.station_org_id, func.count()).group_by(customers.c.station_org_id)
        ).all()
    )
    return [
        (int(row.id), str(row.code), str(row.name), int(sizes.get(row.id, 0)))
        for row in conn.execute(
            select(organisations.c.id, organisations.c.code, organisations.c.name)
            .where(organisations.c.level == "station")
            .order_by(organisations.c.code)
        )
    ]


def _add_point(
    uow: SqlUnitOfWork,
    *,
    station_id: int,
    station_code: str,
    place: str,
    number: int,
    point_code: str,
    password_hash: str,
) -> None:
    conn = uow.connection
    shop = _SHOPS[number % len(_SHOPS)]
    point = uow.organisations.add(
        code=point_code,
        name=f"{place}{shop}{number}号代收点",
        level="collection_point",
        parent_id=station_id,
    )
    agent_code = f"A{point_code}"
    person = f"{_SURNAMES[number % len(_SURNAMES)]}{_GIVEN[(number * 7) % len(_GIVEN)]}"
    agent_id = conn.execute(
        insert(agents)
        .values(org_id=point.id, code=agent_code, name=person, low_float_alert=500_000)
        .returning(agents.c.id)
    ).scalar_one()
    conn.execute(
        insert(operators).values(
            org_id=point.id,
            account=agent_code,
            name=person,
            password_hash=password_hash,
            role="agent",
            agent_id=agent_id,
        )
    )
    conn.execute(
        insert(terminals).values(
            terminal_no=f"{station_code[-4:]}{number:04d}",
            org_id=point.id,
            agent_id=agent_id,
            state="issued",
        )
    )


def activate_terminals(
    engine: Engine, *, live_terminal_no: str, today: date, signed_in_at: datetime, now: datetime
) -> list[BenchPoint]:
    """Give every terminal but the live one its key, today's sign-in (at ``signed_in_at``) and a
    recent heartbeat; the collection points that collect in the generated history, in terminal
    order."""
    points: list[BenchPoint] = []
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        rows = conn.execute(
            select(
                terminals.c.id,
                terminals.c.terminal_no,
                terminals.c.org_id,
                terminals.c.agent_id,
                organisations.c.code,
                organisations.c.parent_id,
            )
            .join(organisations, organisations.c.id == terminals.c.org_id)
            .where(terminals.c.terminal_no != live_terminal_no)
            .order_by(terminals.c.id)
        ).all()
        for index, row in enumerate(rows):
            operator_id = conn.execute(
                select(func.min(operators.c.id)).where(operators.c.agent_id == row.agent_id)
            ).scalar_one()
            silent = index % SILENT_EVERY == SILENT_EVERY - 1
            seen = now - (timedelta(minutes=65 + index % 90) if silent else _recent(index))
            conn.execute(
                update(terminals)
                .where(terminals.c.id == row.id)
                .values(
                    state="active",
                    key_material=bench_terminal_key(row.terminal_no),
                    key_version=1,
                    last_seen_at=seen,
                    signal=1 + index % 5,
                    battery=40 + index % 60,
                    queue_depth=0,
                    program_version=PROGRAM_VERSION,
                    business_date=today,
                    signed_in_operator_id=operator_id,
                    signed_in_at=min(seen, signed_in_at),
                )
            )
            points.append(
                BenchPoint(
                    org_id=int(row.org_id),
                    code=str(row.code),
                    station_id=int(row.parent_id),
                    agent_id=int(row.agent_id),
                    terminal_id=int(row.id),
                    terminal_no=str(row.terminal_no),
                )
            )
        uow.commit()
    return points


def _recent(index: int) -> timedelta:
    return timedelta(seconds=5 + (index * 37) % 240)
