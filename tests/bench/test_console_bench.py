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
from datetime import date
from pathlib import Path

import psycopg
import pytest

from gridpos.application.console.access import Permission, Role
from gridpos.interfaces.console.registry import Page, Section
from gridpos.sim.bench.console_data import DatasetFacts, Login, village_of
from gridpos.sim.bench.console_http import next_link, timing_figures
from gridpos.sim.bench.console_pages import page_specs, registered_pages

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
def printed(
    pg_available: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, object]]:
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


# ---- the parts that need no database ------------------------------------------------------------


def _facts() -> DatasetFacts:
    def login(role: str, org: str, account: str) -> Login:
        return Login(role, org, account, "pw")

    return DatasetFacts(
        customers=10, payments=100, today=date(2024, 5, 31), first_day=date(2024, 5, 1),
        admin=login("admin", "340828", "admin"),
        station_head=login("station_head", "34082801", "zz34082801"),
        agent=login("agent", "3408280101", "A340828011"),
        station_code="34082801", point_code="3408280102", agent_code="A340828012",
        terminal_no="28010002", agent_id=7, account_no="0100000001", customer_id=11,
        payment_id=13, batch_id=17, surname="储", name_start="储大", township="安徽省岳西县天堂镇",
        village="城西村", township_name="天堂", own_agent_id=5, own_payment_id=19,
        own_account_no="0100000002", live_terminal_no="28010001",
        live_login=login("agent", "3408280101", "A340828011"),
    )  # fmt: skip


def test_every_registered_page_is_asked_for_by_those_who_may_see_it() -> None:
    extra = Page("reconciliation", "/reconciliation", "Reconciliation", Section.FINANCE,
                 Permission.RECONCILIATION_VIEW)  # fmt: skip
    specs = {spec.page: spec for spec in page_specs(_facts(), [*registered_pages(), extra])}
    assert {page.key for page in registered_pages()} <= specs.keys()
    # a page the benchmark knows nothing of is asked for bare, by the roles it allows
    assert [(r.role, r.url) for r in specs["reconciliation"].requests] == [
        (Role.ADMIN, "/console/reconciliation"),
        (Role.STATION_HEAD, "/console/reconciliation"),
    ]
    assert {r.role for r in specs["audit"].requests} == {Role.ADMIN}
    assert Role.AGENT not in {r.role for r in specs["monitoring"].requests}
    # an agent asks for their own statement and payment, the others for the busiest agent's
    statement = {(r.role, r.url.split("?")[0]) for r in specs["agents/statement"].requests}
    assert statement == {
        (Role.ADMIN, "/console/agents/7/statement"),
        (Role.STATION_HEAD, "/console/agents/7/statement"),
        (Role.AGENT, "/console/agents/5/statement"),
    }
    detail = {r.role: r.url for r in specs["payments/detail"].requests}
    assert detail == {
        Role.ADMIN: "/console/payments/13",
        Role.STATION_HEAD: "/console/payments/13",
        Role.AGENT: "/console/payments/19",
    }
    week = next(r for r in specs["payments"].requests if r.label == "station_head: a week")
    assert week.url == "/console/payments?date_from=2024-05-25&date_to=2024-05-31"
    page_five = next(r for r in specs["payments"].requests if r.label == "admin: today, page 5")
    assert (page_five.url, page_five.follow) == ("/console/payments", 4)


def test_the_next_page_is_found_by_its_link() -> None:
    body = '<nav><a href="/console/x?page=1" rel="prev">P</a>'
    body += '<a href="/console/payments?after=2024-05-31.9&amp;order=desc" rel="next">N</a></nav>'
    assert next_link(body) == "/console/payments?after=2024-05-31.9&order=desc"
    assert next_link('<a href="/console/x?page=1" rel="prev">P</a>') is None


def test_figures_are_nearest_rank_percentiles_in_milliseconds() -> None:
    seconds = [n / 1000 for n in range(20, 0, -1)]  # 1 … 20 ms, in any order
    assert timing_figures(seconds) == {
        "p50_ms": 10.0,
        "p95_ms": 19.0,
        "max_ms": 20.0,
        "requests": 20,
    }
    assert timing_figures([])["requests"] == 0


def test_a_village_is_read_from_an_address() -> None:
    assert village_of("安徽省岳西县天堂镇城西村1组") == "城西村"
    assert village_of("安徽省岳西县白帽乡白帽村12组") == "白帽村"
    assert village_of("安徽省岳西县天堂镇街道") == "堂镇街道"  # no village: the last four
