"""Refusals on the POS screen, in English: the server's own words, the terminal's own checks.

A wrong password and a payment the agent's float cannot cover are refused by the server and shown
as it words them; a customer number with letters and an amount with three decimals are refused
on the terminal before anything is sent. Nothing is journalled for any of them.
"""

from __future__ import annotations

from textual.widgets import Input

from gridpos.protocol.errors import CATALOGUE, ErrorCode
from gridpos.terminal.ui import Language
from gridpos.terminal.ui.screens.menu import MenuScreen
from gridpos.terminal.ui.screens.outcome import OutcomeScreen
from gridpos.terminal.ui.screens.paying import AmountScreen, ConfirmScreen, CustomerScreen
from gridpos.terminal.ui.screens.session import SignInScreen
from gridpos.terminal.ui.widgets import Plain

from .conftest import PosFactory
from .county import AGENT, ORGANISATION, PASSWORD, LiveCounty
from .driving import enter, run_scenario, screen_text, screenshot, settle, status_text

SIZE = (100, 40)


def test_refusals_are_shown_in_the_words_of_whoever_refused(
    county: LiveCounty, make_pos: PosFactory
) -> None:
    terminal_no, code = county.new_terminal()
    account_no = county.add_customer("Ann Prepay")
    app, terminal = make_pos(language=Language.EN, enrol_code=code)
    password_wrong = CATALOGUE[ErrorCode.PASSWORD_WRONG].message_en

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)  # enrols with --enrol's code by itself
            assert isinstance(app.screen, SignInScreen)
            assert f"Enrolled as terminal {terminal_no}; sign in" in screen_text(app)
            assert status_text(app, "operator") == "Not signed in"
            await enter(pilot, AGENT)
            await enter(pilot, "not-the-password")
            await enter(pilot, ORGANISATION)
            await enter(pilot)
            assert isinstance(app.screen, SignInScreen)
            assert password_wrong in screen_text(app)
            assert app.screen.query_one("#password", Input).value == ""
            assert app.screen.focused is app.screen.query_one("#password", Input)
            screenshot(app, "sign-in-refused-en")
            await enter(pilot, PASSWORD)
            await enter(pilot)  # the organisation code is still there
            await enter(pilot)

            assert isinstance(app.screen, MenuScreen)
            shown = screen_text(app)
            assert "Main menu" in shown
            assert "1  Pay" in shown
            assert "4  Batch close" in shown
            assert status_text(app, "float") == "Float 1,000.00 yuan"
            screenshot(app, "menu-en")

            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, CustomerScreen)
            await enter(pilot, "12ab")
            assert isinstance(app.screen, CustomerScreen)
            assert "a customer number is 6 to 16 digits" in screen_text(app)
            app.screen.query_one("#account-no", Input).value = ""
            await enter(pilot, account_no)

            assert isinstance(app.screen, AmountScreen)
            shown = screen_text(app)
            assert "Name Ann Prepay" in shown
            assert "No arrears" in shown
            await enter(pilot, "12.345")
            await enter(pilot)
            assert isinstance(app.screen, AmountScreen)
            assert "more than two decimal places" in screen_text(app)
            amount = app.screen.query_one("#cash", Input)
            amount.value = ""
            amount.focus()
            await enter(pilot, "1500")
            await enter(pilot)

            assert isinstance(app.screen, ConfirmScreen)
            shown = screen_text(app)
            assert "1,500.00" in shown
            assert "To prepaid 1,500.00 yuan" in shown
            assert "In words: 壹仟伍佰元整" in shown
            assert "The float shown is only 1,000.00 yuan, short of this payment" in shown
            await enter(pilot)

            assert isinstance(app.screen, OutcomeScreen)
            shown = screen_text(app)
            headline = app.screen.query_one("#headline", Plain).text
            # the journal keeps the server's refusal as it came: the screen shows those words
            kept = terminal.payment(app.screen.outcome.txn_id).error
            assert kept is not None
            assert kept.code == "float_insufficient"
            assert "1500.00" in kept.message_en
            assert headline == f"Refused by the server: {kept.message_en}"
            assert "Not paid: give the cash back" in shown
            assert status_text(app, "waiting") == "Waiting 0"
            screenshot(app, "outcome-refused-en")

    run_scenario(scenario)
    assert county.payments_of(account_no) == []
    assert terminal.waiting_count() == 0
