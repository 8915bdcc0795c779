"""Fixtures of the console's server-side tests: a migrated database of each kind with the
seeded tree of :mod:`tests.console.seed`, a settable clock, and the console's services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.application.console import ConsoleServices

from .seed import FAST_HASHER, Tree, seed_tree


class SettableClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@pytest.fixture
def console_url(empty_database_url: str) -> str:
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def engine(console_url: str) -> Iterator[Engine]:
    engine = create_engine_for(console_url)
    yield engine
    engine.dispose()


@pytest.fixture
def tree(engine: Engine) -> Tree:
    return seed_tree(engine)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(datetime(2024, 5, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def services(engine: Engine, clock: SettableClock) -> ConsoleServices:
    return ConsoleServices(engine=engine, clock=clock, passwords=FAST_HASHER)
