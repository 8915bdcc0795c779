"""参数设置 in a real browser: the admin records new limits after a refusal shown next to its
field; finance reads the same page without forms; the page in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from gridpos.application.console.monitoring import county_today

from .conftest import Served, sign_in


def test_the_admin_records_new_limits_from_tomorrow(
    page: Page, served: Served, screenshots: Path
) -> None:
    tomorrow = (county_today(datetime.now(UTC)) + timedelta(days=1)).isoformat()
    sign_in(page, served, "admin@340828")
    page.click("a[data-page=parameters]")
    form = page.locator("#limits-form")
    expect(form.locator("input[name=valid_from]")).to_have_value(tomorrow)
    form.locator("input[name=per_payment_limit]").fill("80000")
    form.locator("input[name=per_day_limit]").fill("70000")
    form.locator("button[type=submit]").click()
    expect(page.locator("#limits-form .field-error[data-field=per_payment_limit]")).to_have_text(
        "单笔限额不能大于单日限额"
    )
    expect(page.locator("#limits-form input[name=per_day_limit]")).to_have_value("70000")
    page.locator("#limits-form input[name=per_day_limit]").fill("800000")
    page.locator("#limits-form button[type=submit]").click()
    expect(page.locator("p.notice")).to_have_text("新的限额已保存。")
    upcoming = page.locator("tr[data-key='collection.per_payment_limit'] li.upcoming")
    expect(upcoming).to_have_text(f"自 {tomorrow} 起: 80000.00 元")
    expect(
        page.locator("tr[data-key='collection.per_payment_limit'] td[data-field=in-force]")
    ).to_have_text("50000.00 元")
    page.screenshot(path=screenshots / "parameters.png", full_page=True)
    page.click("#lang-switch")
    expect(page.locator("#limits h2")).to_have_text("Collection limits")
    expect(page.locator("#tariff h2")).to_have_text("Tariff schedule")


def test_finance_reads_the_parameters_without_forms(page: Page, served: Served) -> None:
    sign_in(page, served, "finance@340828")
    page.goto(served.url("/parameters"))
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("form#limits-form")).to_have_count(0)
    expect(page.locator("table.tariffs tr.in-force")).to_have_count(4)
