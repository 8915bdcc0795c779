"""The POS screen against a real `gridpos serve`: enrol, sign in, a full payment, 扎帐.

Worked example (hand-computed): 程小梅, residential, one bill of 90.00 yuan due 20 days ago.
Penalty 1‰ a day: 9000 × 20 / 1000 = 180 fen → 1.80 yuan; due 91.80. 取整 takes it to 92.00
(调尾 0.20); she hands over 100.00, so the change is 8.00 and nothing goes to prepaid.
大写 of 92.00 is 玖拾贰元整. 扎帐: one payment of 92.00, cash counted 92.00 → 平帐.
"""

from __future__ import annotations

from pathlib import Path

from gridpos.terminal.ui.screens.batch import BatchScreen
from gridpos.terminal.ui.screens.menu import MenuScreen
from gridpos.terminal.ui.screens.outcome import OutcomeScreen
from gridpos.terminal.ui.screens.paying import AmountScreen, ConfirmScreen, CustomerScreen
from gridpos.terminal.ui.screens.session import EnrolScreen, SignInScreen
from gridpos.terminal.ui.screens.statistics import StatisticsScreen

from .conftest import PosFactory
from .county import AGENT, ORGANISATION, PASSWORD, LiveCounty
from .driving import enter, run_scenario, screen_text, screenshot, settle, status_text, until

SIZE = (100, 40)


def test_a_full_payment_and_the_batch_close(
    county: LiveCounty, make_pos: PosFactory, tmp_path: Path
) -> None:
    terminal_no, code = county.new_terminal()
    account_no = county.add_customer("程小梅", principal=9000, days_late=20)
    app, terminal = make_pos()

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, EnrolScreen)
            assert "终端未开通" in status_text(app, "terminal")
            screenshot(app, "enrol-zh")
            await enter(pilot, code)

            assert isinstance(app.screen, SignInScreen)
            assert f"开通成功，终端号 {terminal_no}" in screen_text(app)
            assert status_text(app, "terminal") == f"终端 {terminal_no}"
            await enter(pilot, AGENT)
            await enter(pilot, PASSWORD)
            await enter(pilot, ORGANISATION)
            screenshot(app, "sign-in-zh")
            await enter(pilot)  # no offline allowance

            assert isinstance(app.screen, MenuScreen), screen_text(app)
            business_date = county.today()
            assert f"签到成功，账务日期 {business_date}" in screen_text(app)
            assert status_text(app, "day") == f"账务日期 {business_date} 第1批"
            assert status_text(app, "float") == "可用余额 1,000.00元"
            assert status_text(app, "waiting") == "待上送 0"
            await until(pilot, lambda: "在线" in status_text(app, "link"), seconds=5)
            screenshot(app, "menu-zh")

            await pilot.press("1")
            await settle(pilot)
            assert isinstance(app.screen, CustomerScreen)
            await enter(pilot, account_no)

            assert isinstance(app.screen, AmountScreen)
            shown = screen_text(app)
            assert f"户号 {account_no}    户名 程小梅" in shown
            assert "90.00" in shown
            assert "本金合计 90.00元    违约金合计 1.80元" in shown
            assert "91.80" in shown  # the amount due, in large digits
            assert "大写：玖拾壹元捌角" in shown
            assert "取整应缴 92.00元（调尾 0.20元）" in shown
            screenshot(app, "arrears-zh")
            await pilot.press("f3")  # 取整
            assert "取整：是" in screen_text(app)
            await enter(pilot)  # amount 92.00 → the cash handed over
            await enter(pilot, "100")

            assert isinstance(app.screen, ConfirmScreen)
            shown = screen_text(app)
            assert "92.00" in shown
            assert "大写：玖拾贰元整" in shown
            assert "应缴 91.80元" in shown
            assert "调尾 0.20元" in shown
            assert "预存 0.00元" in shown
            assert "找零 8.00元" in shown
            assert "本机可用余额仅" not in shown  # the float covers it: no warning
            screenshot(app, "confirm-zh")
            await enter(pilot)

            assert isinstance(app.screen, OutcomeScreen)
            shown = screen_text(app)
            assert "缴费成功" in shown
            assert "收据已打印" in shown
            assert "程小梅" in shown  # in the receipt preview
            assert "玖拾贰元整" in shown
            assert status_text(app, "waiting") == "待上送 0"
            assert status_text(app, "float") == "可用余额 908.00元"
            screenshot(app, "receipt-zh")
            printed = (tmp_path / "receipt.bin").read_bytes()
            assert "程小梅".encode("gbk") in printed
            assert "玖拾贰元整".encode("gbk") in printed

            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MenuScreen), screen_text(app)
            await pilot.press("3")
            await settle(pilot)
            assert isinstance(app.screen, StatisticsScreen)
            shown = screen_text(app)
            assert "本机流水：成功 1笔 92.00元" in shown
            assert "系统记录：成功 1笔 92.00元" in shown
            assert "本机可用余额 908.00元" in shown
            assert account_no in shown
            screenshot(app, "statistics-zh")
            await pilot.press("escape")

            await pilot.press("4")
            await settle(pilot)
            assert isinstance(app.screen, BatchScreen)
            assert "92.00" in screen_text(app)  # the cash expected
            await enter(pilot, "92")
            await pilot.press("enter")  # yes, close the batch
            await settle(pilot)
            shown = screen_text(app)
            assert "终端与系统平帐" in shown
            assert "终端：1笔 92.00元" in shown
            assert "系统：1笔 92.00元" in shown
            assert "现金相符" in shown
            assert "已扎帐" in status_text(app, "flags")
            screenshot(app, "batch-zh")

            await pilot.press("escape")
            await settle(pilot)
            assert "本批已扎帐" in screen_text(app)
            await pilot.press("5")
            await settle(pilot)
            await pilot.press("enter")  # yes, sign out
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen)
            assert "已签退：释放额度 0.00元，可用余额 908.00元" in screen_text(app)
            assert status_text(app, "operator") == "未签到"

    run_scenario(scenario)
    assert county.payments_of(account_no) == [(9200, "confirmed")]
    assert terminal.waiting_count() == 0
