"""Fixtures of the payment server's tests: a migrated, seeded county on each database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.interfaces.http.app import create_app

from .support import (
    TERMINAL,
    TERMINAL2,
    TERMINAL_B,
    County,
    FakeClock,
    enrol_terminal,
    make_services,
    seed_county,
)


@pytest.fixture
def county(database_kind: str, make_database_url: Callable[[str], str]) -> Iterator[County]:
    url = make_database_url(database_kind)
    migrate.upgrade(url)
    engine = create_engine_for(url)
    clock = FakeClock()
    services = make_services(engine, clock)
    ids = seed_county(services)
    keys = {
        TERMINAL: enrol_terminal(
            services, terminal_no=TERMINAL, org_code="3408280101", agent_code="A001"
        ),
        TERMINAL2: enrol_terminal(
            services, terminal_no=TERMINAL2, org_code="3408280101", agent_code="A001"
        ),
        TERMINAL_B: enrol_terminal(
            services, terminal_no=TERMINAL_B, org_code="3408280102", agent_code="A002"
        ),
    }
    with TestClient(create_app(services), raise_server_exceptions=True) as http:
        yield County(url=url, services=services, clock=clock, ids=ids, keys=keys, http=http)
    engine.dispose()


@pytest.fixture
def live(county: County) -> Iterator[County]:
    """The county behind a real uvicorn server on a loopback port (for concurrent clients)."""
    config = uvicorn.Config(
        create_app(county.services), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield County(
            url=county.url,
            services=county.services,
            clock=county.clock,
            ids=county.ids,
            keys=county.keys,
            http=http,  # type: ignore[arg-type]
        )
    server.should_exit = True
    thread.join(timeout=10)
