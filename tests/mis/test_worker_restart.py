"""`gridpos serve` killed (SIGKILL) while its embedded MIS worker waits for the MIS's answer to a
posting, then started again: the outbox rows it held are delivered within a minute, each payment
posted to the MIS once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.tables import outbox

from .collecting import collect
from .conftest import County
from .harness import API_KEY
from .test_delivery import _audit_clean
from .test_delivery_lease import ACCOUNTS, DAY

LEASE_BOUND_S = 60  # the embedded worker's lease: one row's calls (3 × 10 s) and a margin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@contextmanager
def _serve(engine: Engine, county: County, data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = _free_port()
    env = {
        **os.environ,
        "GRIDPOS_DATA_DIR": str(data_dir),
        "GRIDPOS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "GRIDPOS_MIS_URL": county.mis.url,
        "GRIDPOS_MIS_API_KEY": API_KEY,
    }
    log = (data_dir / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gridpos", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:

            def healthy() -> bool:
                assert process.poll() is None, (data_dir / log.name).read_text()
                try:
                    return http.get("/healthz").status_code == 200
                except httpx.TransportError:
                    return False

            _wait_for(healthy, seconds=90, what="gridpos serve did not come up")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        log.close()


def _pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
            ).scalar_one()
        )


def _longest_lease_s(engine: Engine) -> float:
    now = datetime.now(UTC)
    with engine.connect() as connection:
        due = connection.execute(
            select(outbox.c.next_attempt_at).where(outbox.c.state == "pending")
        ).scalars()
        return max((moment - now).total_seconds() for moment in due)


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_a_killed_server_s_worker_rows_are_taken_back_promptly_and_posted_once(
    county: County, tmp_path: Path
) -> None:
    for account_no in ACCOUNTS:
        collect(
            county.engine, county.collector, account_no=account_no, cash=1000, business_date=DAY
        )
    county.mis.requests.late_answer_s = 15  # the MIS posts, then holds its answer back

    with _serve(county.engine, county, tmp_path) as first:
        _wait_for(
            lambda: bool(county.mis.posting_counts()),
            seconds=60,
            what="the embedded worker never posted",
        )
        first.send_signal(signal.SIGKILL)  # mid-delivery: the posting made, its answer not heard
        first.wait(timeout=10)
    killed_at = time.monotonic()
    assert _pending(county.engine) == 3
    assert _longest_lease_s(county.engine) <= LEASE_BOUND_S
    county.mis.requests.late_answer_s = 0

    with _serve(county.engine, county, tmp_path):
        _wait_for(
            lambda: _pending(county.engine) == 0,
            seconds=LEASE_BOUND_S + 60,
            what="the restarted worker did not take the rows back",
        )
    taken_back_s = time.monotonic() - killed_at
    print(f"rows of the killed worker delivered {taken_back_s:.1f} s after the kill")
    assert taken_back_s < LEASE_BOUND_S + 60

    counts = county.mis.posting_counts()
    assert (len(counts), set(counts.values())) == (3, {1})  # none lost, none posted twice
    _audit_clean(county.engine)
