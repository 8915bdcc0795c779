"""收据查验 in a real browser, signed out: a receipt's QR content typed as a scanner types it (and
Enter) shows it genuine and what it covers; a wrong code by hand is not genuine; the same in
English."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from .conftest import Served
from .live_world import LIVE_CUSTOMER, LiveWorld, live_world

__all__ = ["live_world"]


def test_a_scanned_receipt_is_genuine_and_a_guessed_code_is_not(
    page: Page, served: Served, live_world: LiveWorld, screenshots: Path
) -> None:
    paid = live_world.terminal.pay(LIVE_CUSTOMER, 3_210)
    qr = f"GP1|{paid.terminal_no}|{paid.txn_id}|{paid.account_no}|3210|{paid.verification_code}"
    page.goto(served.url("/sign-in"))
    page.click("#receipt-check-link")  # open to everyone, linked from the sign-in page
    expect(page.locator("h1")).to_have_text("收据查验")
    page.fill("input[name=qr]", qr)
    page.press("input[name=qr]", "Enter")  # what a scanner does after the code
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-genuine", "yes")
    expect(verdict.locator("h2")).to_have_text("真实收据")
    expect(verdict.locator("dd[data-field=status]")).to_have_text("成功：供电公司已收到此笔缴费")
    expect(verdict.locator("dd[data-field=cash]")).to_have_text("32.10 元")
    expect(verdict.locator("dd[data-field=account]")).to_have_text("01****0001")
    expect(verdict.locator("dd[data-field=collection_point]")).to_have_text("天堂镇代收点")
    expect(page.locator("input[name=qr]")).to_have_value("")  # ready for the next scan
    page.screenshot(path=screenshots / "receipt-check.png", full_page=True)

    wrong = f"{(int(paid.verification_code) + 1) % 10**8:08d}"
    page.fill("input[name=terminal_no]", paid.terminal_no)
    page.fill("input[name=trace_no]", str(paid.trace_no))
    page.fill("input[name=code]", wrong)
    page.click("#check-form button[type=submit]")
    expect(page.locator("#verdict")).to_have_attribute("data-genuine", "no")
    expect(page.locator("#verdict h2")).to_have_text("不是真实收据")

    page.fill("input[name=code]", paid.verification_code)
    page.fill("input[name=terminal_no]", paid.terminal_no)
    page.fill("input[name=trace_no]", str(paid.trace_no))
    page.click("#check-form button[type=submit]")
    expect(page.locator("#verdict")).to_have_attribute("data-genuine", "yes")


def test_the_check_in_english_names_a_wrong_field(browser: Browser, served: Served) -> None:
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(served.url("/receipt-check"))
        expect(page.locator("h1")).to_have_text("Receipt check")
        page.fill("input[name=terminal_no]", "1234")
        page.fill("input[name=trace_no]", "12")
        page.fill("input[name=code]", "12345678")
        page.click("#check-form button[type=submit]")
        expect(page.locator(".field-error[data-field=terminal_no]")).to_have_text(
            "the terminal number is 8 digits"
        )
        page.click("#lang-switch")
        expect(page.locator("h1")).to_have_text("收据查验")
    finally:
        context.close()
