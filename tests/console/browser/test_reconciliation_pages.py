"""对账 in a real browser (the session's one Chromium), over a county whose every side is real
(the terminal library through the link emulator, the payment server, the reference MIS; SQLite)
with its console served on a loopback port: finance runs the day's reconciliation from the menu
and lands on the run — one difference repaired automatically, one queued; the station head sees
the monitoring page's alert and asks to write the queued one off; finance approves; the alert
leaves the head's open page over its live stream; the same range reconciled again is clean;
another station's head is refused the run by URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette

from gridpos.application.console import ConsoleServices
from gridpos.application.console.access import Role
from gridpos.application.demo_setup import demo_password
from gridpos.application.reconciliation.run import RunRequest, complete_run, open_run
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.interfaces.console.config import find_node_modules
from mis.test_demo_setup import CHEAP
from reconciliation.world import C, D, World, world_of

from .conftest import CHROMIUM


@dataclass(frozen=True)
class County:
    """The county and the URL its console answers on."""

    world: World
    base: str

    def url(self, path: str) -> str:
        return f"{self.base}/console{path}"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make setup installs it)")
    folder = tmp_path_factory.mktemp("reconciliation-county")
    with world_of(folder, f"sqlite:///{folder / 'gridpos.sqlite'}") as world:
        services = ConsoleServices(
            engine=world.engine, clock=world.clock, passwords=CHEAP, mis=world.client
        )
        config = ConsoleConfig(
            cookie_security=CookieSecurity.NEVER, node_modules=find_node_modules()
        )
        app = Starlette(routes=console_routes(services, config))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.05)
        port = int(server.servers[0].sockets[0].getsockname()[1])
        try:
            yield County(world=world, base=f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _page(browser: Browser, county: County, role: Role, *, index: int = 0) -> Page:
    """A new browser (its own cookies) signed in as the county's operator of ``role``."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    actor = county.world.actor(role, index=index)
    page.goto(county.url("/sign-in"))
    page.fill("input[name=org_code]", actor.org_code)
    page.fill("input[name=account]", actor.account)
    page.fill("input[name=password]", demo_password("gridpos-demo", actor.account))
    page.click("form.card button[type=submit]")
    expect(page.locator(".actor-name")).to_have_text(actor.name)
    return page


def test_a_run_resolved_by_two_people_in_the_browser(
    county: County, browser: Browser, screenshots: Path
) -> None:
    world = county.world
    terminal = world.terminal()
    lost_view, edited_view = terminal.query_account(C), terminal.query_account(D)
    lost = terminal.pay(lost_view, lost_view.total_due)
    edited = terminal.pay(edited_view, edited_view.total_due)
    world.deliver()
    world.mis_admin(f"/postings/{lost.txn_id}/lose")
    world.mis_admin(f"/postings/{edited.txn_id}/edit", {"amount_fen": edited_view.total_due + 100})
    day = world.today().isoformat()

    finance = _page(browser, county, Role.FINANCE)
    finance.click("nav.menu a[data-page=reconciliation_runs]")
    expect(finance.locator("nav.menu a[data-page=reconciliation_queue]")).to_have_text("待处理差错")
    finance.click("#new-run")
    finance.fill("#run-form input[name=date_from]", day)
    finance.fill("#run-form input[name=date_to]", "2020-01-01")
    finance.click("#run-submit")
    expect(finance.locator("#run-form .field-error[data-field=date_to]")).to_have_text(
        "结束日期不能早于开始日期"
    )
    finance.fill("#run-form input[name=date_to]", day)
    finance.click("#run-submit")
    expect(finance.locator("h1 small[data-field=run-state]")).to_have_attribute(
        "data-state", "open"
    )
    expect(finance.locator("#differences tr[data-kind=mis_missing]")).to_have_attribute(
        "data-outcome", "repaired"
    )
    queued = finance.locator("#differences tr[data-kind=amount_differs]")
    expect(queued).to_have_attribute("data-outcome", "queued")
    item_id = queued.get_attribute("data-item")
    run_url = finance.url
    finance.screenshot(path=screenshots / "reconciliation-run.png", full_page=True)

    # the station head: the alert on the live page, then the request
    head = _page(browser, county, Role.STATION_HEAD)
    head.goto(county.url("/monitoring"))
    alert = head.locator("#alerts li[data-alert=reconciliation_open]")
    expect(alert).to_contain_text("1 笔差异等待人工处理")
    alert.locator("a").click()
    head.click(f"#items tr[data-item='{item_id}'] a")
    head.select_option("#request-form select[name=action]", "write_off")
    head.fill("#request-form input[name=reason]", "营销系统已更正，工单 2026-117")
    head.click("#request-submit")
    expect(head.locator("p.notice")).to_have_text("申请已提交，须由另一名操作员审批。")
    expect(head.locator("#own-request")).to_be_visible()
    expect(head.locator("#approve")).to_have_count(0)
    head.goto(county.url("/monitoring"))
    expect(alert).to_be_visible()

    # finance approves; the head's open monitoring page loses the alert over its stream
    finance.goto(county.url(f"/reconciliation/items/{item_id}"))
    finance.click("#approve")
    expect(finance.locator("dd[data-field=state]")).to_have_attribute("data-state", "written_off")
    expect(head.locator("#alerts li[data-alert=reconciliation_open]")).to_have_count(
        0, timeout=20_000
    )

    # the repost delivered, the same range again: clean
    world.deliver()
    finance.goto(run_url)
    finance.click("#run-again button[type=submit]")
    expect(finance.locator("h1 small[data-field=run-state]")).to_have_attribute(
        "data-state", "clean"
    )
    expect(finance.locator("#changes")).to_contain_text("已消除")
    finance.screenshot(path=screenshots / "reconciliation-clean.png", full_page=True)

    # another station's head: refused by URL
    other = _page(browser, county, Role.STATION_HEAD, index=1)
    answer = other.goto(run_url)
    assert answer is not None
    assert answer.status == 403
    terminal.close()
    for page in (finance, head, other):
        page.context.close()


def test_a_running_run_is_followed_by_its_page_until_it_is_done(
    county: County, browser: Browser, screenshots: Path
) -> None:
    world = county.world
    day = world.today()
    started = open_run(
        world.recon, RunRequest(date_from=day, date_to=day, origin="console", actor="test")
    )
    finance = _page(browser, county, Role.FINANCE)
    finance.goto(county.url(f"/reconciliation/runs/{started.run_id}"))
    state = finance.locator("h1 small[data-field=run-state]")
    expect(state).to_have_attribute("data-state", "running")
    expect(finance.locator("#run-progress")).to_contain_text("对账进行中：正在读取营销系统进账。")
    finance.screenshot(path=screenshots / "reconciliation-running.png", full_page=True)
    complete_run(world.recon, started)
    # the page polls; once the run is over it reloads itself and shows the outcome
    expect(state).to_have_attribute("data-state", "clean", timeout=10_000)
    expect(finance.locator("#run-progress")).to_have_count(0)
    expect(finance.locator("#report-pdf")).to_be_visible()
    finance.context.close()
