"""实时监控 in a real browser: a payment made by a headless terminal against the running server
appears on the page without a reload, within two seconds; the charts draw; another station's
node asked for in the URL is refused next to the filter."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Served, sign_in
from .live_world import LIVE_CUSTOMER, LiveWorld, live_world

__all__ = ["live_world"]


def test_a_payment_appears_live_without_a_reload(
    page: Page, served: Served, live_world: LiveWorld, screenshots: Path
) -> None:
    sign_in(page, served, "head@34082801")
    page.goto(served.url("/monitoring"))
    expect(page.locator("#live")).to_have_attribute("data-live", "open")
    row = page.locator("tr[data-code='3408280101']")
    count = row.locator("td[data-field=today-count]")
    before = int(count.inner_text())
    page.evaluate("window.__not_reloaded = true")

    live_world.terminal.pay(LIVE_CUSTOMER, 8_888)
    paid_at = time.monotonic()
    expect(count).to_have_text(str(before + 1), timeout=2_000)
    shown_after = time.monotonic() - paid_at
    assert shown_after < 2.0
    assert page.evaluate("window.__not_reloaded") is True  # the same page, updated in place
    expect(row.locator("td[data-field=state]")).to_have_attribute("data-state", "online")
    expect(page.locator("#figures dd[data-figure=today-count]")).not_to_have_text("0")
    expect(page.locator("#chart-hourly")).to_have_attribute("data-points", re.compile("[1-9]"))
    expect(page.locator("#chart-stations canvas")).to_have_count(1)
    page.screenshot(path=screenshots / "monitoring.png", full_page=True)


def test_another_stations_node_in_the_url_is_refused(page: Page, served: Served) -> None:
    sign_in(page, served, "head@34082801")
    page.goto(served.url("/monitoring?station=34082802"))
    expect(page.locator(".field-error[data-field=station]")).to_have_text(
        "您的管辖范围内没有编码为 34082802 的机构"
    )
    expect(page.locator("tr[data-code='3408280201']")).to_have_count(0)
    expect(page.locator("tr[data-code='3408280101']")).to_have_count(1)


def test_an_agent_has_no_monitoring_page(page: Page, served: Served) -> None:
    sign_in(page, served, "agent01@3408280101")
    expect(page.locator("a[data-page=monitoring]")).to_have_count(0)
    answer = page.goto(served.url("/monitoring"))
    assert answer is not None
    assert answer.status == 403
