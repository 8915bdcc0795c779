"""Payments made through the terminal API for the payment, batch and report tests, on the tree
of :mod:`tests.console.seed` with the terminals and customers of :mod:`tests.console.collecting`.

On 2024-05-01 (the clock's business date):

- ``p1``: terminal 34080101 (天堂镇代收点, agent A0101), customer 0100000001, cash 120.00 yuan
  on a bill of 202403 (principal 100.00, due 2024-04-15): 16 days late at 1‰ a day is a late
  penalty of 1.60, so 1.60 penalty + 100.00 principal + 18.40 prepaid;
- ``p2``: the same terminal and customer, 50.00 yuan, all prepaid;
- ``p3``: terminal 34080201 (店前代收点, agent A0201), customer 0100000002, 30.00 yuan prepaid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert, select

import conftest as root
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.tables import payments, receivables
from gridpos.application.console import ConsoleServices
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest

from .collecting import Collecting, Terminal, seed_collecting
from .conftest import SettableClock
from .seed import FAST_HASHER, Tree, seed_tree

DAY = date(2024, 5, 1)
BILL = 10_000  # 100.00 yuan, period 202403, due 2024-04-15
PENALTY = 160  # 16 days × 1‰ × 100.00 yuan
P1_CASH, P2_CASH, P3_CASH = 12_000, 5_000, 3_000


@dataclass
class World:
    """The collections above and what a test needs to reach them."""

    collecting: Collecting
    t1: Terminal
    t2: Terminal
    p1: PayAnswer
    p2: PayAnswer
    p3: PayAnswer
    ids: dict[str, int]  # p1, p2, p3 → payment id
    receivable_id: int


def pay(terminal: Terminal, account_no: str, cash: int, *, amount_due: int) -> PayAnswer:
    """Pay ``cash`` for ``account_no`` owing ``amount_due`` (as the terminal showed it)."""
    txn_id, trace_no = terminal.next_txn()
    answer: PayAnswer = terminal.send(
        routes.PAY,
        PayRequest(
            txn_id=txn_id,
            trace_no=trace_no,
            account_no=account_no,
            cash=cash,
            amount_due=amount_due,
            cash_time=terminal.clock.now(),
        ),
    )
    return answer


def payment_id(engine: Engine, txn_id: str) -> int:
    """The id of the payment ``txn_id``."""
    with engine.connect() as conn:
        return int(
            conn.execute(select(payments.c.id).where(payments.c.txn_id == txn_id)).scalar_one()
        )


def build_world(engine: Engine, tree: Tree, clock: SettableClock) -> World:
    """Seed the terminals, customers and the bill, and make the three payments."""
    collecting = seed_collecting(engine, tree, clock, day=DAY)
    with engine.begin() as conn:
        receivable_id = int(
            conn.execute(
                insert(receivables)
                .values(
                    mis_receivable_id="R-0100000001-202403-1",
                    customer_id=collecting.customer_ids["0100000001"],
                    period="202403",
                    run_no=1,
                    kwh=178,
                    principal=BILL,
                    due_date=date(2024, 4, 15),
                )
                .returning(receivables.c.id)
            ).scalar_one()
        )
    t1, t2 = collecting.terminal("34080101"), collecting.terminal("34080201")
    t1.sign_in()
    t2.sign_in()
    p1 = pay(t1, "0100000001", P1_CASH, amount_due=BILL + PENALTY)
    p2 = pay(t1, "0100000001", P2_CASH, amount_due=0)
    p3 = pay(t2, "0100000002", P3_CASH, amount_due=0)
    ids = {name: payment_id(engine, p.txn_id) for name, p in (("p1", p1), ("p2", p2), ("p3", p3))}
    return World(
        collecting=collecting,
        t1=t1,
        t2=t2,
        p1=p1,
        p2=p2,
        p3=p3,
        ids=ids,
        receivable_id=receivable_id,
    )


@dataclass
class Seen:
    """A world that tests only read: its services, engine and tree."""

    services: ConsoleServices
    engine: Engine
    tree: Tree
    world: World


def seen_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seen]:
    """A world on a fresh database of the kind ``request.param`` names, for a module-scoped
    fixture (the databases the function-scoped fixtures make cost a second or two each)."""
    dropped: str | None = None
    if request.param == "postgresql":
        request.getfixturevalue("pg_available")
        dropped, url = root._create_pg_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('collections') / 'console.sqlite'}"
    upgrade(url)
    engine = create_engine_for(url)
    try:
        clock = SettableClock(datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
        tree = seed_tree(engine)
        world = build_world(engine, tree, clock)
        services = ConsoleServices(engine=engine, clock=clock, passwords=FAST_HASHER)
        yield Seen(services=services, engine=engine, tree=tree, world=world)
    finally:
        engine.dispose()
        if dropped is not None:
            root._drop_pg_database(dropped)
