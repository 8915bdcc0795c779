"""`gridpos serve` as a real process on a loopback port: a signed client does a day's work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import payments
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountQuery
from gridpos.protocol.terminal.payments import PaymentStatusQuery, PayRequest
from gridpos.protocol.terminal.session import SignInRequest

from .support import FakeClock, SignedClient, enrol_terminal, make_services, seed_county

TERMINAL = "34080017"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(
    database_kind: str, make_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[httpx.Client, bytes, str]]:
    url = make_database_url(database_kind)
    migrate.upgrade(url)
    engine = create_engine_for(url)
    # the served process keeps real time: the seed's clock is now
    services = make_services(engine, FakeClock(datetime.now(UTC)))
    seed_county(services)
    key = enrol_terminal(services, terminal_no=TERMINAL, org_code="3408280101", agent_code="A001")
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "GRIDPOS_DATA_DIR": str(tmp_path), "GRIDPOS_DATABASE_URL": url}
    workers = "2" if database_kind == "postgresql" else "1"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gridpos",
            "serve",
            "--port",
            str(port),
            "--workers",
            workers,
            "--no-worker",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            deadline = time.monotonic() + 90  # a bound, not a wait: a busy machine starts slowly
            while True:
                assert process.poll() is None, (
                    process.stdout.read().decode() if process.stdout else ""
                )
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "gridpos serve did not come up"
                time.sleep(0.2)
            yield http, key, url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_signed_client_pays_once_against_the_served_process(
    served: tuple[httpx.Client, bytes, str],
) -> None:
    http, key, url = served
    clock = FakeClock(datetime.now(UTC))
    client = SignedClient(http=http, terminal_no=TERMINAL, key=key, clock=clock)  # type: ignore[arg-type]
    signed_in = client.ok(
        routes.SIGN_IN,
        SignInRequest(agent_account="A001", password="pw-A001", organisation_code="3408280101"),
    )
    account = client.ok(routes.ACCOUNT, AccountQuery(account_no="0100000003"))
    assert account.business_date == signed_in.business_date
    assert account.total_due == 0
    request = PayRequest(
        txn_id=client.txn_id(),
        trace_no=1,
        account_no="0100000003",
        cash=5000,
        amount_due=0,
        cash_time=clock.now(),
    )
    first = client.ok(routes.PAY, request)
    second = client.ok(routes.PAY, request)
    assert first.verification_code == second.verification_code
    assert first.prepaid_after == 5000
    assert (
        client.ok(routes.PAYMENT_STATUS, PaymentStatusQuery(txn_id=request.txn_id)).state
        == "confirmed"
    )
    assert client.refused(routes.PAY, request, counter=1)["code"] == "replayed_counter"
    assert http.post("/t/v1/pay", content=b"{").json()["code"] == "unsigned"
    metrics = http.get("/metrics").text
    assert "gridpos_payments" in metrics
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            assert len(conn.execute(select(payments.c.id)).all()) == 1
    finally:
        engine.dispose()
    result = subprocess.run(
        [sys.executable, "-m", "gridpos", "audit", "verify", "--database-url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
