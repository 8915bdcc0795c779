"""Fixtures of the MIS integration tests: a served reference MIS with a small billed county, and a
migrated server database of each kind (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.mis import MisClient

from .harness import RunningMis, start_mis

BILLING_DAY = date(2026, 4, 10)


@pytest.fixture
def mis(tmp_path: Path) -> Iterator[RunningMis]:
    running = start_mis(tmp_path, day=BILLING_DAY)
    yield running
    running.stop()


@pytest.fixture
def mis_client(mis: RunningMis) -> Iterator[MisClient]:
    with mis.client() as client:
        yield client


@pytest.fixture
def server_engine(empty_database_url: str) -> Iterator[Engine]:
    upgrade(empty_database_url)
    engine = create_engine_for(empty_database_url)
    yield engine
    engine.dispose()
