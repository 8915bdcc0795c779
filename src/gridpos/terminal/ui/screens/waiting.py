"""可疑交易: payments still waiting for the server; ask again (1) or reverse one (2)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from gridpos.terminal import ForwardReport, PaymentOutcome
from gridpos.terminal.ui.base import PosScreen, YesNoScreen
from gridpos.terminal.ui.figures import yuan
from gridpos.terminal.ui.widgets import Plain

ASK_BUDGET = 20


class WaitingScreen(PosScreen):
    """The payments the journal still holds for the server, oldest first."""

    TITLE_KEY = "waiting.title"
    KEYS_KEY = "keys.waiting"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "ask", show=False),
        Binding("2", "reverse", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.payments: list[PaymentOutcome] = []

    def body(self) -> ComposeResult:
        yield Plain(self.t("waiting.heading"), classes="table")
        yield OptionList(id="payments")

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        self.call(self.pos.terminal.waiting_payments, self.show_payments)

    def show_payments(self, payments: list[PaymentOutcome]) -> None:
        self.payments = payments
        options = self.query_one("#payments", OptionList)
        options.clear_options()
        texts = self.pos.texts
        for payment in payments:
            state = texts.state(payment.state, offline=payment.offline)
            options.add_option(
                Option(
                    f"{payment.trace_no:06d}   {payment.account_no:<16}  "
                    f"{yuan(payment.cash):>9}  {state}",
                    id=payment.txn_id,
                )
            )
        if payments:
            options.highlighted = 0
            options.focus()
        else:
            self.say(self.t("waiting.none"), kind="ok")

    def action_ask(self) -> None:
        terminal = self.pos.terminal

        def ask() -> tuple[ForwardReport, list[PaymentOutcome]]:
            return terminal.resolve_pending(budget=ASK_BUDGET), terminal.waiting_payments()

        self.call(ask, self._asked)

    def _asked(self, result: tuple[ForwardReport, list[PaymentOutcome]]) -> None:
        report, payments = result
        self.show_payments(payments)
        self.say(
            self.t("waiting.report", resolved=len(report.resolved), remaining=report.remaining),
            kind="ok" if report.complete else "warn",
        )

    def action_reverse(self) -> None:
        index = self.query_one("#payments", OptionList).highlighted
        if self.busy or index is None or index >= len(self.payments):
            return
        chosen = self.payments[index]
        if chosen.offline:
            return  # collected offline: the cash was taken and the receipt printed

        terminal = self.pos.terminal

        def reverse() -> list[PaymentOutcome]:
            terminal.cancel_unknown(chosen.txn_id)
            return terminal.waiting_payments()

        def answered(yes: bool | None) -> None:
            if yes:
                self.call(reverse, self.show_payments)

        self.app.push_screen(YesNoScreen(self.t("outcome.reverse_confirm")), answered)
