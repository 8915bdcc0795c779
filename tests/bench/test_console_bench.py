"""``gridpos bench console`` end to end at toy scale: a county of a few hundred customers built
through the MIS, a history of a few thousand payments, the real server and MIS processes, every
registered page asked for, and a real terminal's payment seen on the monitoring stream.

The figures of a toy county prove nothing about speed; what is checked is that the benchmark
runs, prints the keys the issue asks for, measures every page the console registers without a
single failed answer, and that the generated history keeps the ledger's invariants.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gridpos.sim.bench.console_pages import registered_pages

pytestmark = pytest.mark.usefixtures("pg_available")

PG_ADMIN_DSN = os.environ.get(
    "GRIDPOS_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
_PG = dict(part.split("=", 1) for part in PG_ADMIN_DSN.split())
ADMIN_URL = (
    f"postgresql://{_PG.get('user', 'postgres')}@{_PG.get('host', '127.0.0.1')}"
    f":{_PG.get('port', '5432')}/{_PG.get('dbname', 'postgres')}"
)

CUSTOMERS = 300
PAYMENTS = 2_000
TERMINALS = 40


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The JSON the command printed; its databases are kept for the test that audits them and
    dropped afterwards."""
    workdir: Path = tmp_path_factory.mktemp("bench-console")
    command = [
        sys.executable, "-m", "gridpos", "bench", "console", "--json", "--keep",
        "--admin-url", ADMIN_URL,
        "--customers", str(CUSTOMERS), "--months", "3", "--payments", str(PAYMENTS),
        "--days", "10", "--terminals", str(TERMINALS), "--requests", "1",
        "--page-seconds", "10", "--live-samples", "1",
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=workdir,
        env={**os.environ, "GRIDPOS_DATA_DIR": str(workdir)},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result: dict[str, object] = json.loads(completed.stdout)
    name = str(result["database_name"])
    try:
        yield result
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for database in (name, f"{name}_mis"):
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_prints_the_keys_the_issue_asks_for(printed: dict[str, object]) -> None:
    assert printed["database"] == "postgresql"
    assert printed["customers"] == CUSTOMERS
    assert printed["payments"] == PAYMENTS
    pages = printed["pages"]
    assert isinstance(pages, list)
    for page in pages:
        assert {"page", "p50_ms", "p95_ms", "requests"} <= page.keys()
        assert page["requests"] >= 1
        assert 0 < page["p50_ms"] <= page["p95_ms"]
    latency = printed["monitoring_latency_s"]
    assert isinstance(latency, float)
    assert 0 < latency < 10


def test_every_registered_page_is_measured_without_a_failed_answer(
    printed: dict[str, object],
) -> None:
    pages = printed["pages"]
    assert isinstance(pages, list)
    measured = {page["page"]: page for page in pages}
    assert {page.key for page in registered_pages()} <= measured.keys()
    assert {"payments/detail", "customers/detail", "agents/statement"} <= measured.keys()
    assert [(page["page"], page["errors"]) for page in pages if page["errors"]] == []
    # a toy county has fewer pages than a list may be asked to follow; nothing else is skipped
    reasons = {skip["reason"] for page in pages for skip in page.get("skipped", [])}
    assert reasons <= {"no next page to follow"}
    # each of the three people asked for the payments list
    labels = {variant["request"].split(":")[0] for variant in measured["payments"]["variants"]}
    assert labels == {"admin", "station_head", "agent"}


def test_the_generated_history_keeps_every_invariant(printed: dict[str, object]) -> None:
    name = str(printed["database_name"])
    url = f"postgresql+psycopg://{_PG.get('user', 'postgres')}@{_PG.get('host', '127.0.0.1')}"
    url += f":{_PG.get('port', '5432')}/{name}"
    completed = subprocess.run(
        [sys.executable, "-m", "gridpos", "audit", "verify", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "GRIDPOS_DATABASE_URL": url},
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
