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
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.batches import (
    BatchItem,
    BatchTotals,
    CloseBatchRequest,
    UploadBatchRequest,
)
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
    lost_txn: str = ""  # the payment only the terminal had, when the batches were closed


def seen_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    batches: bool = False,
) -> Iterator[Seen]:
    """A world on a fresh database of the kind ``request.param`` names, for a module-scoped
    fixture (the databases the function-scoped fixtures make cost a second or two each); with
    the day's batches closed when ``batches``."""
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
        lost = close_batches(world) if batches else ""
        services = ConsoleServices(engine=engine, clock=clock, passwords=FAST_HASHER)
        yield Seen(services=services, engine=engine, tree=tree, world=world, lost_txn=lost)
    finally:
        engine.dispose()
        if dropped is not None:
            root._drop_pg_database(dropped)


def close_batches(world: World) -> str:
    """Close both terminals' batches of the day: 34080101 balanced (2 payments, 170.00 yuan)
    with 169.90 counted and a note; 34080201 unbalanced (it says 2 for 35.00 against the
    server's 1 for 30.00) and its upload naming a payment the server never had. The lost
    payment's transaction id."""
    world.t1.send(
        routes.CLOSE_BATCH,
        CloseBatchRequest(
            batch_no=1,
            totals=BatchTotals(count=2, amount=P1_CASH + P2_CASH),
            cash_counted=P1_CASH + P2_CASH - 10,
            note="少一角",
        ),
    )
    world.t2.send(
        routes.CLOSE_BATCH,
        CloseBatchRequest(batch_no=1, totals=BatchTotals(count=2, amount=P3_CASH + 500)),
    )
    lost, trace = world.t2.next_txn()
    at = world.t2.clock.now()
    world.t2.send(
        routes.UPLOAD_BATCH,
        UploadBatchRequest(
            batch_no=1,
            part=1,
            parts=1,
            items=(
                BatchItem(
                    txn_id=world.p3.txn_id,
                    trace_no=world.p3.trace_no,
                    account_no="0100000002",
                    cash=P3_CASH,
                    state=WirePaymentState.CONFIRMED,
                    cash_time=at,
                ),
                BatchItem(
                    txn_id=lost,
                    trace_no=trace,
                    account_no="0100000002",
                    cash=500,
                    state=WirePaymentState.CONFIRMED,
                    cash_time=at,
                ),
            ),
        ),
    )
    return lost
