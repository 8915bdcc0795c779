"""Fixtures of the MIS integration tests: a served reference MIS with a small billed county, and a
migrated server database of each kind (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.mis import MisClient
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.organisation_import import import_organisation

from .collecting import Collector, seed_collector
from .county import add_worked_customers, bill
from .harness import RunningMis, start_mis
from .places import Place

BILLING_DAY = date(2026, 4, 10)


@pytest.fixture(autouse=True)
def _plain_logging() -> None:
    """structlog as it comes: a command run earlier may have pointed it at a stream since closed
    (and made loggers keep that choice)."""
    structlog.reset_defaults()


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


@dataclass(frozen=True)
class County:
    """The MIS's worked county billed for 202601–202602, synced into the server, with one
    collection point whose float holds 10,000.00 yuan."""

    mis: RunningMis
    client: MisClient
    engine: Engine
    collector: Collector


@pytest.fixture
def county(server_engine: Engine, mis: RunningMis, mis_client: MisClient) -> County:
    import_organisation(server_engine, mis_client, clock=mis.clock)
    add_worked_customers(mis)
    bill(mis, "202601")
    bill(mis, "202602")
    sync_from_mis(server_engine, mis_client, clock=mis.clock)
    collector = seed_collector(
        server_engine, station_code="34082801", float_fen=1_000_000, at=mis.clock.now()
    )
    return County(mis=mis, client=mis_client, engine=server_engine, collector=collector)


@pytest.fixture
def place(server_engine: Engine) -> Place:
    """A county in the server's database alone, with one collection point (see ``places``)."""
    return Place(server_engine)
