"""A real reference MIS for the tests: its own SQLite database, served over HTTP by uvicorn in a
thread on a free port, with a clock the test moves and fault modes it switches."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine, func, insert, select

from gridpos.adapters.mis import MisClient
from gridpos.protocol.mis import FaultSettings
from gridpos.refmis.app import create_app
from gridpos.refmis.engine import make_engine
from gridpos.refmis.faults import FaultState
from gridpos.refmis.generator.rows import station_rows
from gridpos.refmis.tables import create_schema, postings, stations

API_KEY = "test-mis-key"
STARTUP_TIMEOUT_S = 10.0


class ManualClock:
    """A clock the test moves by hand; both a callable (the MIS's) and a ``Clock`` port."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def now(self) -> datetime:
        return self.moment

    def on_day(self, day: date) -> None:
        """10:00 Beijing time on ``day``."""
        self.moment = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


class RequestCounter:
    """ASGI wrapper counting the HTTP requests the MIS receives, by method and path, and able to
    hold back the answer to every POST after the work is done (``late_answer_s``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[tuple[str, str]] = Counter()
        self.late_answer_s = 0.0
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.counts[(scope["method"], scope["path"])] += 1
            delay = self.late_answer_s if scope["method"] == "POST" else 0.0

        async def send_late(message: Any) -> None:
            if message["type"] == "http.response.start" and delay:
                await asyncio.sleep(delay)  # the work is done; only the answer is late
            await send(message)

        await self.app(scope, receive, send_late)

    def count(self, method: str, prefix: str) -> int:
        with self._lock:
            return sum(
                n for (m, path), n in self.counts.items() if m == method and path.startswith(prefix)
            )


@dataclass
class RunningMis:
    """A reference MIS being served, and what a test needs to reach into it."""

    url: str
    engine: Engine
    faults: FaultState
    clock: ManualClock
    server: uvicorn.Server
    thread: threading.Thread
    requests: RequestCounter

    def client(self, *, timeout_s: float = 5.0) -> MisClient:
        return MisClient(base_url=self.url, api_key=API_KEY, timeout_s=timeout_s)

    def set_faults(self, mode: str, *, delay_ms: int = 0) -> None:
        self.faults.set(FaultSettings(mode=mode, delay_ms=delay_ms))  # type: ignore[arg-type]

    def posting_counts(self) -> dict[str, int]:
        """How many postings the MIS holds per payment id."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(postings.c.payment_id, func.count()).group_by(postings.c.payment_id)
            )
            return {payment_id: int(count) for payment_id, count in rows}

    def posting_states(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(postings.c.payment_id, postings.c.state))
            return {str(row.payment_id): str(row.state) for row in rows}

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.dispose()


def start_mis(directory: Path, *, day: date) -> RunningMis:
    """Create an MIS database with the demo county's stations and serve it."""
    engine = make_engine(f"sqlite:///{directory / 'refmis.sqlite'}")
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(stations),
            [
                {"code": c, "name_zh": n, "township_zh": t, "sort_order": o}
                for c, n, t, o in station_rows()
            ],
        )
    return serve_mis(engine, day=day)


def serve_mis(engine: Engine, *, day: date) -> RunningMis:
    """Serve the MIS database of ``engine`` (its schema made) on a free port, its clock at 10:00
    Beijing time on ``day``."""
    clock = ManualClock(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))
    faults = FaultState()
    requests = RequestCounter(
        create_app(engine=engine, api_key=API_KEY, clock=clock, faults=faults)
    )
    config = uvicorn.Config(requests, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="refmis", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the reference MIS did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return RunningMis(
        url=f"http://127.0.0.1:{port}",
        engine=engine,
        faults=faults,
        clock=clock,
        server=server,
        thread=thread,
        requests=requests,
    )
