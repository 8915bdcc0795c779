"""A terminal and a customer of 天堂镇代收点 added to the browser tests' running server, paying
through that server's terminal API over HTTP (signed requests, the machine's clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from gridpos.adapters.db.engine import create_engine_for
from gridpos.application.console.monitoring import county_today

from ..collecting import Collecting, Terminal, seed_collecting
from .conftest import Served

LIVE_TERMINAL = "34089101"
LIVE_CUSTOMER = "0191000001"


class MachineClock:
    """The machine's clock (the running server signs and dates with it too)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class LiveWorld:
    """The seeded collection and its one terminal, signed in (one object, so its counter and
    serials only grow across the tests that use it)."""

    collecting: Collecting
    terminal: Terminal


_WORLDS: dict[str, LiveWorld] = {}


@pytest.fixture(scope="session")
def live_world(served: Served) -> LiveWorld:
    """Terminal 34089101 (天堂镇代收点, agent A0101, enrolled and signed in) and customer
    0191000001 — made once per running server, whichever test module asks first (the fixture is
    imported into each), and left to the end of the session with the server."""
    known = _WORLDS.get(served.base)
    if known is not None:
        return known
    clock = MachineClock()
    world = seed_collecting(
        create_engine_for(served.database_url),
        served.tree,
        clock,
        day=county_today(clock.now()),
        terminal_numbers={LIVE_TERMINAL: ("3408280101", "A0101")},
        customer_numbers={LIVE_CUSTOMER: ("储小山", "34082801")},
        second_collector=False,
        http=httpx.Client(base_url=served.base, timeout=10),
    )
    terminal = world.terminal(LIVE_TERMINAL)
    terminal.sign_in()
    _WORLDS[served.base] = LiveWorld(collecting=world, terminal=terminal)
    return _WORLDS[served.base]
