"""The main menu: 1 缴费, 2 补打, 3 统计, 4 扎帐, 5 签退, 6 可疑交易 (digits or F1–F6)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from gridpos.protocol.terminal.session import SignOutAnswer
from gridpos.terminal.ui.base import PosScreen, YesNoScreen
from gridpos.terminal.ui.figures import yuan
from gridpos.terminal.ui.screens.batch import BatchScreen
from gridpos.terminal.ui.screens.paying import CustomerScreen
from gridpos.terminal.ui.screens.reprint import ReprintScreen
from gridpos.terminal.ui.screens.statistics import StatisticsScreen
from gridpos.terminal.ui.screens.waiting import WaitingScreen
from gridpos.terminal.ui.widgets import Plain

_ITEMS = ("menu.pay", "menu.reprint", "menu.statistics", "menu.batch", "menu.sign_out")


class MenuScreen(PosScreen):
    """What the collector does next."""

    TITLE_KEY = "menu.title"
    KEYS_KEY = "keys.menu"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,f1", "pay", show=False),
        Binding("2,f2", "reprint", show=False),
        Binding("3,f3", "statistics", show=False),
        Binding("4,f4", "batch", show=False),
        Binding("5,f5", "sign_out", show=False),
        Binding("6,f6", "waiting", show=False),
    ]

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self._notice = notice

    def body(self) -> ComposeResult:
        for key in (*_ITEMS, "menu.waiting"):
            yield Plain(self.t(key), classes="menu-item")
        yield Plain("", id="notices")

    def on_mount(self) -> None:
        if self._notice:
            self.say(self._notice, kind="ok")
        self.show_notices()

    def on_screen_resume(self) -> None:
        self.show_notices()

    def show_notices(self) -> None:
        """Receipts to print, payments waiting, a closed batch, an unfinished sign-out."""
        shown = self.query("#notices")
        if not shown:  # not composed yet, or already leaving
            return
        lines = []
        view = self.pos.journal_view
        receipts = view.receipts_waiting()
        if receipts:
            lines.append(self.t("menu.receipts_waiting", count=receipts))
        waiting = view.waiting_count()
        if waiting:
            lines.append(self.t("menu.payments_waiting", count=waiting))
        session = self.pos.terminal.session
        if session is not None and session.batch_closed:
            lines.append(self.t("menu.batch_closed"))
        if session is not None and session.sign_out_sent:
            lines.append(self.t("menu.sign_out_unfinished"))
        shown.first(Plain).update("\n".join(lines))

    def action_back(self) -> None:
        """The menu is the top: nothing to go back to."""

    def action_pay(self) -> None:
        session = self.pos.terminal.session
        if session is not None and session.sign_out_sent:
            self.say(self.t("menu.sign_out_unfinished"), kind="warn")
            return
        if session is not None and session.batch_closed:
            self.say(self.t("menu.batch_closed"), kind="warn")
            return
        if not self.busy:
            self.app.push_screen(CustomerScreen())

    def action_reprint(self) -> None:
        if not self.busy:
            self.app.push_screen(ReprintScreen())

    def action_statistics(self) -> None:
        if not self.busy:
            self.app.push_screen(StatisticsScreen())

    def action_batch(self) -> None:
        if not self.busy:
            self.app.push_screen(BatchScreen())

    def action_waiting(self) -> None:
        if not self.busy:
            self.app.push_screen(WaitingScreen())

    def action_sign_out(self) -> None:
        if self.busy:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call(self.pos.terminal.sign_out, self._signed_out)

        self.app.push_screen(YesNoScreen(self.t("sign_out.confirm")), answered)

    def _signed_out(self, answer: SignOutAnswer | None) -> None:
        if answer is None:  # an earlier sign-out whose answer was lost had ended the day
            self.pos.signed_out(self.t("sign_out.done_earlier"))
            return
        self.pos.signed_out(
            self.t(
                "sign_out.done",
                released=yuan(answer.released),
                available=yuan(answer.float_available),
            )
        )
