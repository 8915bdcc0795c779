"""The POS program: a Textual app over the headless terminal library.

Start: a damaged journal is reported first; an unenrolled terminal asks for its one-time code
(or uses ``--enrol``); a terminal without an open day asks for the sign-in; otherwise the menu.
Waiting payments are resolved in the background by the library's forwarder; the status bar is
redrawn every second from values that never wait for the network; an idle, enrolled terminal
sends its heartbeat so the link indicator tells the truth even when nobody pays.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from gridpos.domain.errors import DomainError
from gridpos.terminal import Session, Terminal
from gridpos.terminal.identity import Identity
from gridpos.terminal.ui.base import NoticeScreen, StatusBar, StatusInfo
from gridpos.terminal.ui.figures import link_text
from gridpos.terminal.ui.journal_watch import JournalWatch
from gridpos.terminal.ui.options import PosOptions
from gridpos.terminal.ui.screens.menu import MenuScreen
from gridpos.terminal.ui.screens.paying import CustomerScreen
from gridpos.terminal.ui.screens.session import EnrolScreen, SignInScreen
from gridpos.terminal.ui.strings import Language, Texts

_LOG = logging.getLogger(__name__)


class PosApp(App[None]):
    """The collector's screen (see the module's docstring)."""

    CSS_PATH = "pos.css"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", show=False, priority=True),
    ]

    def __init__(self, terminal: Terminal, options: PosOptions) -> None:
        super().__init__()
        self.terminal = terminal
        self.options = options
        self.texts = Texts(options.language)
        self.journal_view = JournalWatch(terminal.journal.path)
        self.calls_running = 0
        self._heartbeat_running = False

    @property
    def language(self) -> Language:
        return self.texts.language

    # ---- start --------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.title = self.texts("app.title")
        self.set_interval(self.options.status_every_s, self.refresh_status)
        self.set_interval(self._heartbeat_interval(), self.send_heartbeat)
        if self.terminal.identity is None:
            self.push_screen(EnrolScreen(self.options.enrol_code))
        else:
            self._start_forwarding()
            self.push_screen(SignInScreen() if self.terminal.session is None else MenuScreen())
        health = self.terminal.journal_health
        if not health.intact:
            text = health.message_zh if self.language is Language.ZH else health.message_en
            self.push_screen(NoticeScreen(text, kind="error"))

    def on_unmount(self) -> None:
        self.journal_view.close()

    def _heartbeat_interval(self) -> float:
        if self.options.heartbeat_every_s is not None:
            return self.options.heartbeat_every_s
        session = self.terminal.session
        return float(session.params.heartbeat_s) if session is not None else 300.0

    def _start_forwarding(self) -> None:
        self.terminal.start_forwarding(interval_s=self.options.forward_every_s)

    # ---- what the screens report --------------------------------------------------------------

    def enrolled(self, identity: Identity) -> None:
        """After enrolment: the sign-in."""
        self._start_forwarding()
        self.switch_screen(SignInScreen(notice=self.texts("enrol.done", no=identity.terminal_no)))

    def signed_in(self, session: Session) -> None:
        """After sign-in: the menu, with the server's notices of the day."""
        notices = [self.texts.body(body) for body in session.answer.notices]
        message = self.texts("sign_in.done", date=session.business_date)
        self.switch_screen(MenuScreen(notice="\n".join([message, *notices])))

    def signed_out(self, message: str) -> None:
        """After sign-out: the sign-in again."""
        self.switch_screen(SignInScreen(notice=message))

    def back_to(self, kind: type[Screen[None]]) -> None:
        """Close screens until one of ``kind`` is on top (the menu, a fresh customer…)."""
        for _ in range(len(self.screen_stack)):
            if isinstance(self.screen, kind) or len(self.screen_stack) <= 2:
                return
            self.pop_screen()

    def back_to_menu(self) -> None:
        self.back_to(MenuScreen)

    def next_customer(self) -> None:
        """The menu, then a fresh customer number entry."""
        self.back_to(MenuScreen)
        self.push_screen(CustomerScreen())

    # ---- status and heartbeat -----------------------------------------------------------------

    def status_info(self) -> StatusInfo:
        """The status bar's values: none of them waits for the network or the terminal's lock."""
        terminal = self.terminal
        identity = terminal.identity
        session = terminal.session
        return StatusInfo(
            terminal_no=identity.terminal_no if identity else None,
            operator=session.operator if session else None,
            business_date=session.business_date if session else None,
            batch_no=session.batch_no if session else None,
            float_available=session.float_available if session else None,
            link=link_text(terminal.link_state(), self.texts),
            waiting=self.journal_view.waiting_count(),
            journal_damaged=not terminal.journal_health.intact,
            batch_closed=bool(session and session.batch_closed),
        )

    def refresh_status(self) -> None:
        """Redraw the status bar of the screen on top (and the menu's notices)."""
        if not self.screen_stack:  # the program is closing: nothing is on show
            return
        info = self.status_info()
        screen = self.screen
        for bar in screen.query(StatusBar):
            bar.show(info, self.texts)
        if isinstance(screen, MenuScreen):
            screen.show_notices()  # what waits changes as the forwarder works

    def send_heartbeat(self) -> None:
        """Ask the server, in the background, when the terminal is idle (the link indicator)."""
        if self.terminal.identity is None or self.calls_running or self._heartbeat_running:
            return
        self._heartbeat_running = True
        self.run_worker(self._heartbeat, thread=True, exit_on_error=False, group="heartbeat")

    def _heartbeat(self) -> None:
        try:
            self.terminal.heartbeat()
        except DomainError as exc:  # the link indicator shows it; nothing else to do
            _LOG.info("heartbeat not answered", extra={"code": exc.code})
        finally:
            self._heartbeat_running = False
