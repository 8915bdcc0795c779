"""The terminal pages in a real browser: a terminal added and enrolled from the console — the
code shown (as text and QR) enrols the terminal library against the running server — and its
key rotated; a bad number named next to its field."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from gridpos.terminal import Terminal

from .conftest import Served, sign_in


def test_a_terminal_enrolled_from_the_console(
    page: Page, served: Served, screenshots: Path, tmp_path: Path
) -> None:
    sign_in(page, served, "head@34082801")
    page.goto(served.url("/terminals/new"))
    page.fill("input[name=terminal_no]", "3408")
    page.fill("input[name=org_code]", "3408280101")
    page.click("#terminal-form button[type=submit]")
    expect(page.locator(".field-error[data-field=terminal_no]")).to_have_text("终端号须为 8 位数字")
    page.fill("input[name=terminal_no]", "34089901")
    page.fill("input[name=agent_code]", "A0101")
    page.click("#terminal-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("终端已添加：请在下方生成开通码。")
    expect(page.locator("dd[data-field=state]")).to_have_text("已发放")

    page.click("#enrol-form button[type=submit]")
    code = page.locator("#enrolment-code").inner_text().strip()
    assert len(code) == 12
    assert code.isdigit()
    expect(page.locator("#enrolment-qr svg")).to_have_count(1)
    page.screenshot(path=screenshots / "terminal-enrolment-code.png", full_page=True)

    terminal = Terminal(tmp_path / "pos", served.base)
    try:
        identity = terminal.enrol(code)
    finally:
        terminal.close()
    assert identity.terminal_no == "34089901"
    page.reload()
    expect(page.locator("dd[data-field=state]")).to_have_text("正常")
    expect(page.locator("dd[data-field=key_version]")).to_have_text("1")
    expect(page.locator("dd[data-field=program_version]")).not_to_have_text("—")

    # rotating the key: a new code, shown once
    expect(page.locator("#enrol-form h2")).to_have_text("更换密钥")
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#enrolment h2")).to_have_text("新开通码（更换密钥）")
    page.screenshot(path=screenshots / "terminal-detail.png", full_page=True)
    page.goto(served.url("/terminals?q=3408990"))
    expect(page.locator("tr[data-terminal='34089901'] td[data-field=state]")).to_have_text("正常")
    page.screenshot(path=screenshots / "terminals.png", full_page=True)


def test_the_journal_asked_for_from_the_terminal_page(
    page: Page, served: Served, screenshots: Path, tmp_path: Path
) -> None:
    sign_in(page, served, "head@34082801")
    page.goto(served.url("/terminals/new"))
    page.fill("input[name=terminal_no]", "34089902")
    page.fill("input[name=org_code]", "3408280101")
    page.click("#terminal-form button[type=submit]")
    expect(page.locator("#journal-requests p").last).to_have_text("尚未调阅流水。")

    # a range that runs backwards is named next to its field, and nothing is asked
    page.fill("#journal-form input[name=date_from]", "2026-04-10")
    page.fill("#journal-form input[name=date_to]", "2026-04-09")
    page.click("#journal-form button[type=submit]")
    expect(page.locator("#journal-form .field-error[data-field=date_to]")).to_have_text(
        "结束日期早于开始日期"
    )
    expect(page.locator("#journal-request-list")).to_have_count(0)

    page.fill("#journal-form input[name=date_to]", "2026-04-10")
    page.click("#journal-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("已调阅流水：终端下次心跳后上送。")
    state = page.locator("#journal-request-list td[data-field=state]")
    expect(state).to_have_text("等待终端上送")

    # the terminal enrols, hears of the request on its heartbeat and uploads its (empty) journal
    page.click("#enrol-form button[type=submit]")
    code = page.locator("#enrolment-code").inner_text().strip()
    terminal = Terminal(tmp_path / "pos-journal", served.base)
    try:
        terminal.enrol(code)
        assert terminal.heartbeat().journal_request is not None
        assert terminal.upload_journal().value == "done"
    finally:
        terminal.close()
    page.reload()
    expect(state).to_have_text("已上送")
    expect(page.locator("#journal-request-list td[data-field=rows]")).to_have_text("0")
    page.screenshot(path=screenshots / "terminal-journal-request.png", full_page=True)
