"""Who the terminal is (number and key from enrolment) and what time the server says it is.

The key and terminal number live in their own one-row table of the journal file; the request
counter lives in the journal's counters and is advanced, durably, before every signed request, so
it keeps increasing across restarts and power losses. The offset between the terminal's clock and
the server's is learnt from every answer that carries the server's time and kept in the journal,
so a terminal with a wrong clock still signs fresh timestamps and stamps payments with the
server's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gridpos.protocol.signing import decode_key
from gridpos.terminal.config import Clock
from gridpos.terminal.journal import Journal

REQUEST_COUNTER = "request"
OFFSET_META = "server_offset_ms"


@dataclass(frozen=True, slots=True)
class Identity:
    """The enrolled terminal: its number, its key, where it stands."""

    terminal_no: str
    key: bytes
    collection_point: str
    enrolled_at: datetime


def load_identity(journal: Journal) -> Identity | None:
    """The enrolled identity, or ``None`` before enrolment."""
    row = journal.identity_row()
    if row is None:
        return None
    terminal_no, key_text, collection_point, enrolled_at = row
    return Identity(terminal_no, decode_key(key_text), collection_point, enrolled_at)


class ServerClock:
    """The terminal clock corrected by the server's time (offset kept in the journal)."""

    def __init__(self, journal: Journal, clock: Clock) -> None:
        self._journal = journal
        self._clock = clock
        stored = journal.meta(OFFSET_META)
        self._offset = timedelta(milliseconds=int(stored)) if stored else timedelta(0)

    @property
    def offset(self) -> timedelta:
        return self._offset

    def local_now(self) -> datetime:
        """The terminal's own clock."""
        return self._clock()

    def now(self) -> datetime:
        """The server's time as best known."""
        return self._clock() + self._offset

    def learn(self, server_time: datetime, *, rtt_ms: int = 0) -> None:
        """Take the server's time from an answer that took ``rtt_ms`` round trip."""
        offset = (server_time + timedelta(milliseconds=rtt_ms // 2)) - self._clock()
        # whole-second server times: ignore corrections under a second of the current one
        if abs(offset - self._offset) < timedelta(seconds=1):
            return
        self._offset = offset
        self._journal.set_meta(OFFSET_META, str(offset // timedelta(milliseconds=1)))


class JournalSigner:
    """The client's :class:`~gridpos.terminal.client.Signer` backed by the journal."""

    def __init__(self, identity: Identity, journal: Journal, server_clock: ServerClock) -> None:
        self._identity = identity
        self._journal = journal
        self._server_clock = server_clock

    @property
    def terminal_no(self) -> str:
        return self._identity.terminal_no

    @property
    def key(self) -> bytes:
        return self._identity.key

    def next_counter(self) -> int:
        return self._journal.next_value(REQUEST_COUNTER)

    def raise_counter(self, *, at_least: int) -> None:
        self._journal.raise_counter(REQUEST_COUNTER, at_least=at_least)

    def server_now(self) -> datetime:
        return self._server_clock.now()

    def learn_server_time(self, server_time: datetime, *, rtt_ms: int = 0) -> None:
        self._server_clock.learn(server_time, rtt_ms=rtt_ms)
