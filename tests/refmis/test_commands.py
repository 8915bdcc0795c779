"""The `gridpos refmis` commands; the real `serve` process stopped and restarted losing nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from typer.testing import CliRunner

from gridpos.cli import app

KEY = "process-test-key"


def test_generate_prints_its_summary_and_time(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'county.sqlite'}"
    runner = CliRunner()
    arguments = ["refmis", "generate", "--customers", "200", "--months", "3", "--seed", "5"]
    arguments += ["--last-period", "202609", "--database-url", url]
    result = runner.invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["customers"] == 200
    assert summary["receivables"] == 600
    assert summary["stations"] == 24
    assert 0 < summary["seconds"] < 60
    again = runner.invoke(app, arguments)
    assert again.exit_code == 2
    assert "county_exists" in again.output
    replaced = runner.invoke(app, [*arguments, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "generated 200 customers in 24 stations" in replaced.output
    assert " s\n" in replaced.output
    billed = runner.invoke(app, ["refmis", "bill", "--period", "202610", "--database-url", url])
    assert billed.exit_code == 0, billed.output
    assert json.loads(billed.output)["customers_billed"] == 200
    bad = runner.invoke(app, ["refmis", "bill", "--period", "2026-10", "--database-url", url])
    assert bad.exit_code == 2
    assert "period_invalid" in bad.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "GRIDPOS_REFMIS_API_KEY": KEY, "GRIDPOS_REFMIS_DATABASE_URL": url}
    command = [sys.executable, "-m", "gridpos", "refmis", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 90  # a bound, not a wait: a busy machine starts slowly
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "refmis serve exited"
            assert time.monotonic() < deadline, "refmis serve did not come up"
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_serve_stops_and_restarts_losing_nothing(empty_database_url: str) -> None:
    generate = [sys.executable, "-m", "gridpos", "refmis", "generate", "--customers", "60"]
    generate += ["--months", "4", "--database-url", empty_database_url, "--json"]
    subprocess.run(generate, check=True, capture_output=True, timeout=120)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/v1"
    headers = {"X-API-Key": KEY}
    with _serving(empty_database_url, port) as process, httpx.Client(headers=headers) as client:
        changes = client.get(f"{base}/changes", params={"limit": 5000}).json()
        debtors = sorted({row["account_no"] for row in changes["receivables"]
                          if row["settle_state"] != "settled"})  # fmt: skip
        arrears = client.get(f"{base}/customers/{debtors[0]}/arrears").json()
        today = arrears["as_of"]
        lines = [
            {"period": r["period"], "run_no": r["run_no"], "penalty": r["penalty"],
             "principal": r["principal_unpaid"]}
            for r in arrears["receivables"]
        ]  # fmt: skip
        due = sum(line["penalty"] + line["principal"] for line in lines)
        used = min(arrears["prepaid"], due)
        body = {
            "payment_id": "T0042-000001", "account_no": debtors[0], "amount_fen": due - used,
            "cash_date": today, "business_date": today, "channel": "POS",
            "collection_point_id": "CP-1", "terminal_id": "T0042", "operator_id": "agent.1",
            "lines": lines, "prepaid_used": used,
        }  # fmt: skip
        if body["amount_fen"] == 0:  # the prepaid covered it all: pay one yuan more, as prepaid
            body.update(amount_fen=100, prepaid_added=100)
        posted = client.post(f"{base}/postings", json=body)
        assert posted.status_code == 200, posted.text
        report = client.get(f"{base}/reports/postings", params={"business_date": today}).json()
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it was stopped with.
        assert process.wait(timeout=15) in {0, -signal.SIGTERM}
    with _serving(empty_database_url, port), httpx.Client(headers=headers) as client:
        assert client.get(f"{base}/postings/T0042-000001").json() == posted.json()
        assert client.post(f"{base}/postings", json=body).json() == posted.json()
        assert client.get(f"{base}/customers/{debtors[0]}/arrears").json()["receivables"] == []
        assert (
            client.get(f"{base}/reports/postings", params={"business_date": today}).json() == report
        )
        after = client.get(f"{base}/changes", params={"limit": 5000}).json()
        assert len(after["customers"]) == len(changes["customers"])
        assert len(after["receivables"]) == len(changes["receivables"])
