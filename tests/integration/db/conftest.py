"""Fixtures of the database tests: a migrated database of each kind, a small seeded county, and
a scenario that moves money through the ledger the way the use cases will.

Every test gets a fresh database (created by the project's ``make_database_url`` fixture and
migrated with ``gridpos.adapters.db.migrate.upgrade``), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade

from .world import Scenario, World, drop_audit_triggers, restore_audit_triggers, seed_world


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A fresh database of each kind, migrated to the newest revision."""
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    return seed_world(engine)


@pytest.fixture
def scenario(engine: Engine, world: World) -> Scenario:
    return Scenario(engine, world)


@pytest.fixture
def tamper(engine: Engine) -> Any:
    """A function running raw SQL as an attacker with DDL rights would: drop the audit log's
    triggers, change what it likes, and put the triggers back to cover its tracks."""

    def run(sql: str, **params: Any) -> None:
        drop_audit_triggers(engine)
        with engine.begin() as conn:
            conn.execute(text(sql), params)
        restore_audit_triggers(engine)

    return run
