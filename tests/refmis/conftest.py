"""Fixtures of the reference MIS tests: an MIS database of each kind, a settable clock, the app.

``billed_county`` is a tiny county billed through the HTTP interface with hand-picked readings, so
every bill and penalty in the tests is a number worked out by hand (see ``support.WORKED``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from gridpos.protocol.mis import API_KEY_HEADER
from gridpos.refmis.app import create_app
from gridpos.refmis.engine import make_engine
from gridpos.refmis.generator.rows import station_rows
from gridpos.refmis.tables import create_schema, stations

from .support import API_KEY, PERIODS, WORKED, Clock, add_customer, ok


@pytest.fixture
def mis_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(stations),
            [
                {"code": c, "name_zh": n, "township_zh": t, "sort_order": o}
                for c, n, t, o in station_rows()
            ],
        )
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(date(2026, 4, 10))


@pytest.fixture
def client(mis_engine: Engine, clock: Clock) -> Iterator[TestClient]:
    app = create_app(engine=mis_engine, api_key=API_KEY, clock=clock)
    with TestClient(app, headers={API_KEY_HEADER: API_KEY}) as test_client:
        yield test_client


@pytest.fixture
def billed_county(mis_engine: Engine, client: TestClient) -> dict[str, Any]:
    """The four ``WORKED`` customers with readings and bills for 202601–202603."""
    for account_no, (category, station, _, _) in WORKED.items():
        add_customer(mis_engine, account_no, category=category, station_code=station)
    runs = {}
    for index, period in enumerate(PERIODS):
        for account_no, (_, _, readings, _) in WORKED.items():
            ok(
                client.post(
                    "/v1/meter-readings",
                    json={
                        "account_no": account_no,
                        "period": period,
                        "reading": readings[index],
                        "read_on": f"{period[:4]}-{period[4:]}-28",
                    },
                )
            )
        runs[period] = ok(client.post("/v1/billing-runs", json={"period": period}))
    return runs
