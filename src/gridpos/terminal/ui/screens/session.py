"""Enrolment on first start (the one-time code) and the collector's sign-in (签到)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from gridpos.domain.errors import DomainError
from gridpos.terminal import Session
from gridpos.terminal.identity import Identity
from gridpos.terminal.ui.base import PosScreen
from gridpos.terminal.ui.figures import read_amount
from gridpos.terminal.ui.widgets import Plain


class EnrolScreen(PosScreen):
    """终端开通: the twelve-digit code from the console, typed once."""

    TITLE_KEY = "enrol.title"
    KEYS_KEY = "keys.enrol"
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, code: str | None = None) -> None:
        super().__init__()
        self._code = code

    def body(self) -> ComposeResult:
        yield Plain(self.t("enrol.hint"), classes="hint")
        yield Plain(self.t("enrol.code"))
        yield Input(id="code", max_length=20)

    def on_mount(self) -> None:
        field = self.query_one("#code", Input)
        field.focus()
        if self._code:
            field.value = self._code
            self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def submit(self) -> None:
        code = self.query_one("#code", Input).value
        self.call(lambda: self.pos.terminal.enrol(code), self._enrolled)

    def _enrolled(self, identity: Identity) -> None:
        self.pos.enrolled(identity)


class SignInScreen(PosScreen):
    """签到: agent account, password, organisation code, and an offline allowance if wanted."""

    TITLE_KEY = "sign_in.title"
    KEYS_KEY = "keys.sign_in"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]
    FIELDS: ClassVar[tuple[str, ...]] = ("agent", "password", "org", "allowance")

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self._notice = notice

    def body(self) -> ComposeResult:
        yield Plain(self.t("sign_in.agent"))
        yield Input(id="agent", max_length=32)
        yield Plain(self.t("sign_in.password"))
        yield Input(id="password", password=True, max_length=64)
        yield Plain(self.t("sign_in.org"))
        yield Input(id="org", max_length=32)
        yield Plain(self.t("sign_in.allowance"))
        yield Input(id="allowance", max_length=16)

    def on_mount(self) -> None:
        self.query_one("#agent", Input).focus()
        if self._notice:
            self.say(self._notice, kind="ok")

    def action_back(self) -> None:
        """Nowhere to go back to before the sign-in."""

    def action_move(self, step: int) -> None:
        focused = self.focused
        current = self.FIELDS.index(focused.id) if focused and focused.id in self.FIELDS else 0
        target = self.FIELDS[(current + step) % len(self.FIELDS)]
        self.query_one(f"#{target}", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id != self.FIELDS[-1]:
            self.action_move(1)
            return
        self.submit()

    def submit(self) -> None:
        values = {name: self.query_one(f"#{name}", Input).value for name in self.FIELDS}
        try:
            allowance = read_amount(values["allowance"], field="offline_allowance", optional=True)
        except DomainError as exc:
            self.say_error(exc)
            self.query_one("#allowance", Input).focus()
            return
        terminal = self.pos.terminal

        def sign_in() -> Session:
            return terminal.sign_in(
                agent_account=values["agent"],
                password=values["password"],
                organisation_code=values["org"],
                offline_allowance=allowance or 0,
            )

        if self.call(sign_in, self._signed_in, failed=self._sign_in_refused) and allowance:
            self.say(self.t("sign_in.downloading"), kind="info")

    def _sign_in_refused(self, error: DomainError) -> None:
        self.say_error(error)
        self.query_one("#password", Input).value = ""
        fields = {"agent": "agent", "pw": "password", "org": "org", "off": "allowance"}
        self.query_one(f"#{fields.get(error.field or '', 'agent')}", Input).focus()

    def _signed_in(self, session: Session) -> None:
        self.pos.signed_in(session)
