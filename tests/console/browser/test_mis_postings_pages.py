"""MIS进账 in a real browser, end to end: a reference MIS served beside a real `gridpos serve`
(its embedded worker syncing customers from the MIS and delivering the outbox to it); two
headless terminals pay through the server's terminal API; the MIS's posting report of the day
is then read back on the page — the company sees both stations, an agent only their own
collection, another station only its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import customers, payments
from gridpos.application.console.monitoring import county_today
from mis.harness import API_KEY, RunningMis, start_mis
from refmis.support import add_customer

from ..collecting import seed_collecting
from ..collections_world import pay
from ..seed import seed_tree
from .conftest import _free_port
from .live_world import MachineClock

CUSTOMERS = {"0194000001": "34082801", "0194000002": "34082802"}
TERMINALS = {"34089401": ("3408280101", "A0101"), "34089402": ("3408280201", "A0201")}
WAIT_S = 45.0


@dataclass(frozen=True)
class PostedDay:
    """The running server (with its MIS) and the two payments it delivered."""

    base: str
    tiantang_txn: str  # 42.00 yuan at 天堂镇代收点 (agent A0101)
    dianqian_txn: str  # 31.00 yuan at 店前代收点 (agent A0201)

    def url(self, path: str) -> str:
        return f"{self.base}/console{path}"


def _wait(what: str, done: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{what} did not happen: {log.read_text()[-3000:]}"
        time.sleep(0.3)


def _count(engine: Engine, query: object) -> int:
    with engine.connect() as conn:
        return len(conn.execute(query).all())  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def posted_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostedDay]:
    folder = tmp_path_factory.mktemp("mis-browser")
    url = f"sqlite:///{folder / 'gridpos.sqlite'}"
    migrate.upgrade(url)
    engine = create_engine_for(url)
    tree = seed_tree(engine)
    clock = MachineClock()
    today = county_today(clock.now())
    mis: RunningMis = start_mis(folder, day=today)
    for account_no, station in CUSTOMERS.items():
        add_customer(mis.engine, account_no, category="residential", station_code=station)
    port = _free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "GRIDPOS_DATA_DIR": str(folder),
        "GRIDPOS_DATABASE_URL": url,
        "GRIDPOS_MIS_URL": mis.url,
        "GRIDPOS_MIS_API_KEY": API_KEY,
        "GRIDPOS_CONSOLE_SECURE_COOKIES": "auto",
    }
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gridpos", "serve", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, timeout=10)
    try:

        def healthy() -> bool:
            try:
                return http.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        _wait("the server's start", healthy, process, log)
        synced = select(customers.c.id).where(customers.c.account_no.in_(list(CUSTOMERS)))
        _wait("the sync of the MIS's customers", lambda: _count(engine, synced) == 2, process, log)
        collecting = seed_collecting(
            engine,
            tree,
            clock,
            day=today,
            terminal_numbers=TERMINALS,
            customer_numbers={},
            http=http,
        )
        tiantang, dianqian = collecting.terminal("34089401"), collecting.terminal("34089402")
        tiantang.sign_in()
        dianqian.sign_in()
        first = pay(tiantang, "0194000001", 4_200, amount_due=0)
        second = pay(dianqian, "0194000002", 3_100, amount_due=0)
        posted = select(payments.c.id).where(payments.c.mis_state == "posted")
        _wait("the delivery to the MIS", lambda: _count(engine, posted) == 2, process, log)
        yield PostedDay(base=base, tiantang_txn=first.txn_id, dianqian_txn=second.txn_id)
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        mis.stop()
        engine.dispose()


def test_the_mis_posting_report_of_the_day(
    page: Page, posted_day: PostedDay, screenshots: Path
) -> None:
    page.goto(posted_day.url("/sign-in"))
    sign_in_at(page, posted_day, "finance@340828")
    page.goto(posted_day.url("/mis-postings"))
    expect(page.locator("#mis-problem")).to_have_count(0)
    expect(
        page.locator("#mis-summary tr[data-station='34082801'][data-channel='POS']")
    ).to_contain_text("42.00")
    expect(page.locator("#mis-summary tr[data-station='34082802']")).to_contain_text("31.00")
    expect(page.locator("#mis-totals td[data-field=net_amount]")).to_have_text("73.00")
    expect(
        page.locator(f"#mis-detail tr[data-payment='{posted_day.tiantang_txn}']")
    ).to_contain_text("0194000001")
    expect(page.locator(f"#mis-detail tr[data-payment='{posted_day.dianqian_txn}']")).to_have_count(
        1
    )
    page.screenshot(path=screenshots / "mis-postings.png", full_page=True)
    page.locator(f"#mis-detail tr[data-payment='{posted_day.tiantang_txn}'] a").click()
    expect(page.locator("dd[data-field=mis_state]")).to_have_text("已进账")
    page.context.clear_cookies()

    sign_in_at(page, posted_day, "agent01@3408280101")
    page.goto(posted_day.url("/mis-postings"))
    expect(page.locator("#mis-detail tr[data-payment]")).to_have_count(1)
    expect(page.locator(f"#mis-detail tr[data-payment='{posted_day.tiantang_txn}']")).to_have_count(
        1
    )
    expect(page.locator("#mis-summary tr[data-station]")).to_have_count(1)
    page.context.clear_cookies()

    sign_in_at(page, posted_day, "head2@34082802")
    page.goto(posted_day.url("/mis-postings"))
    expect(page.locator("#mis-summary tr[data-station]")).to_have_count(1)
    expect(page.locator("#mis-summary tr[data-station='34082802']")).to_have_count(1)
    expect(page.locator(f"#mis-detail tr[data-payment='{posted_day.tiantang_txn}']")).to_have_count(
        0
    )


def sign_in_at(page: Page, posted_day: PostedDay, who: str) -> None:
    """Sign in on the MIS test's own server (the shared fixture's helper signs in on another)."""
    account, org_code = who.split("@")
    page.goto(posted_day.url("/sign-in"))
    page.fill("input[name=org_code]", org_code)
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", "Passw0rd2024")
    page.click("form.card button[type=submit]")
    expect(page.locator(".actor-name")).to_have_count(1)
