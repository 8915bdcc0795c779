"""What every POS screen has: the status bar on top, a title, a message line, the keys below.

A screen calls the terminal library only through :meth:`PosScreen.call`, which runs the call in a
worker thread (GPRS answers take seconds, stalls tens of seconds) and hands the result or the
refusal back on the screen's thread. While a call runs the screen is *busy* and ignores the next
command, so one key press makes at most one request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen

from gridpos.domain.errors import DomainError
from gridpos.terminal.ui.figures import LinkText, yuan
from gridpos.terminal.ui.strings import Texts
from gridpos.terminal.ui.widgets import Plain

if TYPE_CHECKING:
    from gridpos.terminal.ui.app import PosApp

_LOG = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """What the status bar shows, gathered without waiting for the terminal's lock."""

    terminal_no: str | None
    operator: str | None
    business_date: date | None
    batch_no: int | None
    float_available: int | None
    link: LinkText
    waiting: int | None
    journal_damaged: bool
    batch_closed: bool


class StatusBar(Vertical):
    """The always-visible lines: the link indicator, the waiting count and the float first,
    then terminal, operator and business day."""

    PARTS: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("link", "waiting", "float", "flags"),
        ("terminal", "operator", "day"),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.parts = {name: Plain("", id=f"st-{name}") for row in self.PARTS for name in row}

    def compose(self) -> ComposeResult:
        for row in self.PARTS:
            with Horizontal(classes="status-row"):
                yield from (self.parts[name] for name in row)

    def on_mount(self) -> None:
        app = cast("PosApp", self.app)
        self.show(app.status_info(), app.texts)

    def show(self, info: StatusInfo, texts: Texts) -> None:
        """Draw ``info`` in the screen's language."""
        parts = self.parts
        parts["terminal"].update(
            texts("status.terminal", no=info.terminal_no)
            if info.terminal_no
            else texts("status.not_enrolled")
        )
        signed_in = info.operator is not None and info.business_date is not None
        parts["operator"].update(
            texts("status.operator", name=info.operator)
            if signed_in
            else texts("status.signed_out")
        )
        day = ""
        if signed_in:
            day = texts("status.day", date=info.business_date, batch=info.batch_no)
        parts["day"].update(day)
        money = ""
        if signed_in and info.float_available is not None:
            money = texts("status.float", amount=yuan(info.float_available))
        parts["float"].update(money)
        parts["link"].update(info.link.text)
        parts["link"].set_classes(info.link.style)
        waiting = "" if info.waiting is None else texts("status.waiting", count=info.waiting)
        parts["waiting"].update(waiting)
        flags = []
        if info.journal_damaged:
            flags.append(texts("status.journal_damaged"))
        if info.batch_closed:
            flags.append(texts("status.batch_closed"))
        parts["flags"].update(" ".join(flags))


class PosScreen(Screen[None]):
    """A full screen of the POS program (see the module's docstring)."""

    TITLE_KEY: ClassVar[str] = "app.title"
    KEYS_KEY: ClassVar[str] = "keys.back"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False

    @property
    def pos(self) -> PosApp:
        return cast("PosApp", self.app)

    def t(self, key: str, **fields: object) -> str:
        return self.pos.texts(key, **fields)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Plain(self.t(self.TITLE_KEY), id="title")
        with Vertical(id="body"):
            yield from self.body()
        yield Plain("", id="message")
        yield Plain(self.t(self.KEYS_KEY), id="keys")

    def on_screen_resume(self) -> None:
        """Back on top: the status bar shows now, not when this screen was last drawn."""
        self.pos.refresh_status()

    def body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    # ---- messages -----------------------------------------------------------------------------

    def say(self, text: str, *, kind: str = "info") -> None:
        """Show ``text`` on the message line (``info``, ``ok``, ``warn`` or ``error``)."""
        line = self.query_one("#message", Plain)
        line.update(text)
        line.set_classes(f"message-{kind}")

    def say_error(self, error: DomainError) -> None:
        """A refusal in its own words (the server's words when the server refused)."""
        self.say(self.pos.texts.error(error), kind="error")

    def action_back(self) -> None:
        if not self.busy:
            self.app.pop_screen()

    # ---- calling the terminal -----------------------------------------------------------------

    def call(
        self,
        action: Callable[[], T],
        done: Callable[[T], None],
        *,
        failed: Callable[[DomainError], None] | None = None,
    ) -> bool:
        """Run ``action`` in a worker thread; then ``done(result)`` or ``failed(error)`` here.

        A refusal goes to ``failed`` (default: the message line). Anything unexpected is logged
        and shown; the program carries on. Returns ``False`` when a call is already running.
        """
        if self.busy:
            return False
        self.busy = True
        self.say(self.t("busy"), kind="info")
        self.pos.calls_running += 1

        def work() -> None:
            try:
                result = action()
            except DomainError as exc:
                self._from_thread(self._refused, exc, failed)
            except Exception as exc:
                _LOG.exception("terminal call failed unexpectedly")
                self._from_thread(self._broke, exc)
            else:
                self._from_thread(self._answered, result, done)

        self.run_worker(work, thread=True, exit_on_error=False, group="terminal")
        return True

    def _from_thread(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the program is closing: nothing left to draw on
            _LOG.info("result arrived after the screen closed")

    def _settle(self) -> bool:
        self.busy = False
        self.pos.calls_running -= 1
        self.pos.refresh_status()
        return self.is_attached

    def _answered(self, result: T, done: Callable[[T], None]) -> None:
        if self._settle():
            self.say("")
            done(result)

    def _refused(self, error: DomainError, failed: Callable[[DomainError], None] | None) -> None:
        if self._settle():
            (failed or self.say_error)(error)

    def _broke(self, error: Exception) -> None:
        if self._settle():
            self.say(self.t("error.unexpected", detail=type(error).__name__), kind="error")


class NoticeScreen(ModalScreen[None]):
    """A message the collector must acknowledge (Enter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "close", show=False),
        Binding("escape", "close", show=False),
    ]

    def __init__(self, text: str, *, kind: str = "warn") -> None:
        super().__init__()
        self._text = text
        self._kind = kind

    def compose(self) -> ComposeResult:
        texts = cast("PosApp", self.app).texts
        with Vertical(id="dialog", classes=f"dialog-{self._kind}"):
            yield Plain(self._text, id="dialog-text")
            yield Plain(texts("keys.notice"), id="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)


class YesNoScreen(ModalScreen[bool]):
    """A question answered by Enter (yes) or Esc (no)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "answer(True)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        texts = cast("PosApp", self.app).texts
        with Vertical(id="dialog", classes="dialog-warn"):
            yield Plain(self._question, id="dialog-text")
            yield Plain(texts("keys.yes_no"), id="dialog-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
