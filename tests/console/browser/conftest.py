"""The real server (`gridpos serve`, console mounted at /console) on a free loopback port with a
fresh seeded SQLite database, and one headless Debian Chromium for the whole session; each test
gets a new browser context (its own cookies).

Screenshots go to ``artifacts/screenshots/`` (gitignored), kept as test artefacts.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for

from ..seed import PASSWORD, Tree, add_operator, seed_tree

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
# operators only the browser tests use, so a lockout or a move cannot disturb another test
EXTRA_OPERATORS = (("locky", "吴锁定", "finance", "340828"),)


@dataclass(frozen=True)
class Served:
    """The running server: its base URL, the seeded ids and the database URL."""

    base: str
    tree: Tree
    database_url: str
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base}/console{path}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make setup installs it)")
    folder = tmp_path_factory.mktemp("console-server")
    url = f"sqlite:///{folder / 'gridpos.sqlite'}"
    migrate.upgrade(url)
    engine = create_engine_for(url)
    tree = seed_tree(engine)
    for account, name, role, org_code in EXTRA_OPERATORS:
        add_operator(engine, org_id=tree.org[org_code], account=account, name=name, role=role)
    engine.dispose()
    port = _free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "GRIDPOS_DATA_DIR": str(folder),
        "GRIDPOS_DATABASE_URL": url,
        "GRIDPOS_CONSOLE_SECURE_COOKIES": "auto",
    }
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gridpos", "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a bound, not a wait: a busy machine starts slowly
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "gridpos serve did not come up"
            time.sleep(0.2)
        yield Served(base=base, tree=tree, database_url=url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser(served: Served) -> Iterator[Browser]:
    del served  # the server is up before the browser starts
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, served: Served, who: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form as ``account@org_code``."""
    account, org_code = who.split("@")
    page.goto(served.url("/sign-in"))
    page.fill("input[name=org_code]", org_code)
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", password)
    page.click("form.card button[type=submit]")


@pytest.fixture
def browser_context_en(browser: Browser) -> Iterator[Page]:
    """A page in a browser that asks for English (Accept-Language en-US)."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
