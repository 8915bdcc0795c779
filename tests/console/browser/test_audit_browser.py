"""审计日志 in a real browser: the auditor filters the log and runs the chain check; finance has
no such page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Served, sign_in


def test_the_auditor_filters_and_checks_the_chain(
    page: Page, served: Served, screenshots: Path
) -> None:
    sign_in(page, served, "auditor@340828")
    page.click("a[data-page=audit]")
    page.fill("#audit-filters input[name=action]", "console.sign_in")
    page.click("#audit-filters button[type=submit]")
    first = page.locator("table.audit tbody tr").first
    expect(first.locator("[data-field=action]")).to_have_text("console.sign_in")
    expect(first).to_contain_text("auditor@340828")
    page.click("#chain-check-button")
    result = page.locator("#chain-result")
    expect(result).to_be_visible(timeout=30_000)
    expect(result.locator("tr[data-check=audit_chain]")).to_have_class("ok")
    expect(result.locator("tr[data-check=audit_append_only]")).to_have_class("ok")
    # the filter is kept across the check
    expect(page.locator("#audit-filters input[name=action]")).to_have_value("console.sign_in")
    page.screenshot(path=screenshots / "audit-log.png", full_page=True)

    page.fill("#audit-filters input[name=from]", "2024-05-02")
    page.fill("#audit-filters input[name=to]", "2024-05-01")
    page.click("#audit-filters button[type=submit]")
    expect(page.locator(".field-error[data-field=to]")).to_have_text("结束日期不能早于开始日期")


def test_finance_has_no_audit_log(page: Page, served: Served) -> None:
    sign_in(page, served, "finance@340828")
    expect(page.locator("a[data-page=audit]")).to_have_count(0)
    answer = page.goto(served.url("/audit"))
    assert answer is not None
    assert answer.status == 403
