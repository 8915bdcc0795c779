"""A terminal and a customer of 天堂镇代收点 for the payment and report browser tests, paying two
payments through the running server's terminal API over HTTP (signed requests, the machine's
clock): 88.00 yuan to be voided, 66.00 yuan to stand."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from gridpos.adapters.db.engine import create_engine_for
from gridpos.application.console.monitoring import county_today

from ..collecting import seed_collecting
from ..collections_world import pay, payment_id
from .conftest import Served
from .live_world import MachineClock

PAY_TERMINAL = "34089301"
PAY_CUSTOMER = "0193000001"
VOIDED_CASH, KEPT_CASH = 8_800, 6_600


@dataclass(frozen=True)
class PaymentsWorld:
    """The two payments: their transaction ids and payment ids."""

    voided_txn: str
    voided_id: int
    kept_txn: str
    kept_id: int


_WORLDS: dict[str, PaymentsWorld] = {}


@pytest.fixture(scope="session")
def payments_world(served: Served) -> PaymentsWorld:
    """Made once per running server, whichever test module asks first."""
    known = _WORLDS.get(served.base)
    if known is not None:
        return known
    clock = MachineClock()
    engine = create_engine_for(served.database_url)
    try:
        world = seed_collecting(
            engine,
            served.tree,
            clock,
            day=county_today(clock.now()),
            terminal_numbers={PAY_TERMINAL: ("3408280101", "A0101")},
            customer_numbers={PAY_CUSTOMER: ("储大海", "34082801")},
            second_collector=False,
            http=httpx.Client(base_url=served.base, timeout=10),
        )
        terminal = world.terminal(PAY_TERMINAL)
        terminal.sign_in()
        voided = pay(terminal, PAY_CUSTOMER, VOIDED_CASH, amount_due=0)
        kept = pay(terminal, PAY_CUSTOMER, KEPT_CASH, amount_due=0)
        made = PaymentsWorld(
            voided_txn=voided.txn_id,
            voided_id=payment_id(engine, voided.txn_id),
            kept_txn=kept.txn_id,
            kept_id=payment_id(engine, kept.txn_id),
        )
    finally:
        engine.dispose()
    _WORLDS[served.base] = made
    return made
