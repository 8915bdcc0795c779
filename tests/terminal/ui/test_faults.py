"""Faults on the POS screen: a printer that is absent, a journal that cannot be written, a
journal found damaged at start.

- The printer's spool directory does not exist: the payment stands (the server has it), the
  receipt waits for a reprint and the screen says so; once the printer is back, 补打 prints it,
  marked 重打.
- The disk is full before the confirm step: no payment starts, nothing is journalled or sent.
- A journal row altered while the program was closed: the start screen reports the damage.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import Input

from gridpos.terminal import Terminal
from gridpos.terminal.terminal import JOURNAL_FILE
from gridpos.terminal.ui.base import NoticeScreen
from gridpos.terminal.ui.screens.menu import MenuScreen
from gridpos.terminal.ui.screens.outcome import OutcomeScreen
from gridpos.terminal.ui.screens.paying import AmountScreen, ConfirmScreen
from gridpos.terminal.ui.screens.reprint import ReprintScreen

from .conftest import PosFactory
from .county import AGENT, ORGANISATION, PASSWORD, LiveCounty
from .driving import enter, run_scenario, screen_text, screenshot, settle, status_text

SIZE = (100, 40)


def _open_day(terminal: Terminal, code: str) -> None:
    terminal.enrol(code)
    terminal.sign_in(agent_account=AGENT, password=PASSWORD, organisation_code=ORGANISATION)


def test_a_printer_fault_leaves_the_payment_standing_and_the_receipt_for_a_reprint(
    county: LiveCounty, make_pos: PosFactory, tmp_path: Path
) -> None:
    _terminal_no, code = county.new_terminal()
    account_no = county.add_customer("储小兰", principal=4000)
    spool = tmp_path / "spool"  # the printer is "unplugged" until this directory exists
    app, terminal = make_pos(printer=f"file:{spool / 'receipt.bin'}")
    _open_day(terminal, code)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("1")
            await settle(pilot)
            await enter(pilot, account_no)
            assert isinstance(app.screen, AmountScreen)
            assert app.screen.query_one("#cash", Input).value == "40.00"
            await enter(pilot)
            await enter(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            await enter(pilot)

            assert isinstance(app.screen, OutcomeScreen)
            shown = screen_text(app)
            assert "缴费成功" in shown
            assert "收据未打印，待重打（按 2 重打）" in shown
            assert "未连接打印机或打印机未开机" in shown  # the printer's own words
            screenshot(app, "receipt-waits-zh")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MenuScreen)
            assert "1 张收据待打印，按 2 补打" in screen_text(app)

            spool.mkdir()
            await pilot.press("2")
            await settle(pilot)
            assert isinstance(app.screen, ReprintScreen)
            assert "1 张收据待打印" in screen_text(app)
            await enter(pilot)  # blank: the latest receipt
            shown = screen_text(app)
            assert "已重打，流水号 000001" in shown
            assert "重打" in shown  # the preview is marked
            assert "储小兰" in shown
            assert "张收据待打印" not in shown
            screenshot(app, "reprint-zh")

    run_scenario(scenario)
    printed = (spool / "receipt.bin").read_bytes()
    assert "储小兰".encode("gbk") in printed
    assert "重打".encode("gbk") in printed
    assert county.payments_of(account_no) == [(4000, "confirmed")]
    assert terminal.receipts_waiting() == []


def test_no_payment_starts_when_the_journal_cannot_be_written(
    county: LiveCounty, make_pos: PosFactory
) -> None:
    _terminal_no, code = county.new_terminal()
    account_no = county.add_customer("汪满仓", principal=3000)
    disk = {"free": 10**9}
    app, terminal = make_pos(disk_free=lambda _path: disk["free"])
    _open_day(terminal, code)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("1")
            await settle(pilot)
            await enter(pilot, account_no)
            assert isinstance(app.screen, AmountScreen)
            disk["free"] = 0  # the storage fills up while the customer counts the notes
            await enter(pilot)
            await enter(pilot)
            assert isinstance(app.screen, AmountScreen)  # never reached the confirm step
            assert "终端流水无法写入" in screen_text(app)
            assert "不能收费" in screen_text(app)
            assert status_text(app, "waiting") == "待上送 0"

    run_scenario(scenario)
    assert terminal.journal.latest_txns(limit=5) == []
    assert county.payments_of(account_no) == []


def test_a_damaged_journal_is_reported_at_start(
    county: LiveCounty, make_pos: PosFactory, tmp_path: Path
) -> None:
    _terminal_no, code = county.new_terminal()
    data_dir = tmp_path / "damaged"
    _app, terminal = make_pos(data_dir=data_dir)
    _open_day(terminal, code)
    terminal.close()
    with sqlite3.connect(data_dir / JOURNAL_FILE) as db:  # someone edits a row while it is off
        db.execute("DROP TRIGGER events_never_updated")
        db.execute("UPDATE events SET body = body || ' ' WHERE seq = 1")
    app, terminal = make_pos(data_dir=data_dir)
    assert not terminal.journal_health.intact

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, NoticeScreen)
            assert "终端流水校验失败（记录缺失或被改动），已记录，请联系供电所" in screen_text(app)
            screenshot(app, "journal-damaged-zh")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, MenuScreen)
            assert status_text(app, "flags") == "⚠流水异常"

    run_scenario(scenario)


def test_the_status_bar_refresh_skips_a_program_that_is_closing(
    county: LiveCounty, make_pos: PosFactory
) -> None:
    _terminal_no, code = county.new_terminal()
    app, terminal = make_pos()
    _open_day(terminal, code)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "在线" in status_text(app, "link")
        # the timer may fire once more while the screens are being taken down
        assert not app.screen_stack
        app.refresh_status()

    run_scenario(scenario)
