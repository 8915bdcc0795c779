"""What every operation of the terminal works with: journal, client, clocks, identity, session.

The facade (:class:`gridpos.terminal.terminal.Terminal`) owns one :class:`TerminalContext` and
serialises every call on it; the operation modules take it as their first argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridpos.protocol.terminal.payments import make_txn_id
from gridpos.protocol.terminal.session import JournalDamage
from gridpos.terminal.client import TerminalClient
from gridpos.terminal.config import NewUuid, TerminalConfig
from gridpos.terminal.errors import not_enrolled, not_signed_in
from gridpos.terminal.identity import Identity, ServerClock
from gridpos.terminal.journal import Journal
from gridpos.terminal.session import Session, save_session

SERIAL_COUNTER = "serial"
OFFLINE_SEQ_COUNTER = "offline_seq"
MAX_TRACE_NO = 999_999


def trace_of(serial: int) -> int:
    """The six-digit 流水号 printed for journal serial ``serial`` (wraps after 999999)."""
    return (serial - 1) % MAX_TRACE_NO + 1


@dataclass(slots=True)
class TerminalContext:
    """The terminal's working parts. Mutable: the session changes during the day."""

    journal: Journal
    client: TerminalClient
    server_clock: ServerClock
    config: TerminalConfig
    new_uuid: NewUuid
    identity: Identity | None = None
    session: Session | None = None
    journal_damage: JournalDamage | None = None  # the check at start's report, for heartbeats

    def require_identity(self) -> Identity:
        """Raises :class:`TerminalRefusalError` ``not_enrolled`` before enrolment."""
        if self.identity is None:
            raise not_enrolled()
        return self.identity

    def require_session(self) -> Session:
        """Raises :class:`TerminalRefusalError` ``not_signed_in`` (or ``not_enrolled``)."""
        self.require_identity()
        if self.session is None:
            raise not_signed_in()
        return self.session

    def update_session(self, session: Session) -> None:
        """Keep the changed session, in memory and in the journal file."""
        save_session(self.journal, session)
        self.session = session

    def now(self) -> datetime:
        """The server's time as best known, to the second (what payments are stamped with)."""
        return self.server_clock.now().replace(microsecond=0)

    def new_txn(self) -> tuple[str, int]:
        """A new transaction id and its trace number; the serial is durable before returned.

        Raises:
            JournalUnwritableError: the serial could not be stored.
        """
        identity = self.require_identity()
        serial = self.journal.next_value(SERIAL_COUNTER)
        txn_id = make_txn_id(terminal_no=identity.terminal_no, serial=serial, nonce=self.new_uuid())
        return txn_id, trace_of(serial)

    def new_trace(self) -> int:
        """A trace number for a reversal or a void (from the same serial)."""
        return trace_of(self.journal.next_value(SERIAL_COUNTER))
