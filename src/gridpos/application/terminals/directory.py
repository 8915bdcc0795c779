"""The enrolled terminals a server process knows: key and place, cached so a request pays no
database round trip to verify its signature.

Whether a terminal is still active is not cached: the replay guard's ``UPDATE`` checks it in
the request's own transaction. A key that fails to verify is looked up again once, so a
re-enrolled terminal is recognised at its first request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gridpos.adapters.db.terminal_store import OrganisationContext, TerminalRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.refusals import RefusalError
from gridpos.protocol.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class TerminalIdentity:
    """An enrolled, active terminal: its id, number, key and where it stands."""

    id: int
    terminal_no: str
    key: bytes
    key_version: int
    place: OrganisationContext


class TerminalDirectory:
    """Known terminals by number (per process)."""

    def __init__(self) -> None:
        self._known: dict[str, TerminalIdentity] = {}
        self._lock = threading.Lock()

    def lookup(
        self, uow: SqlUnitOfWork, terminal_no: str, *, fresh: bool = False
    ) -> TerminalIdentity:
        """The terminal numbered ``terminal_no`` (read through ``uow`` unless cached).

        Raises :class:`RefusalError`: ``unknown_terminal`` for a number never issued or not yet
        enrolled; ``terminal_disabled`` for a disabled terminal.
        """
        if not fresh:
            with self._lock:
                known = self._known.get(terminal_no)
            if known is not None:
                return known
        with uow:
            record = uow.terminals.by_number(terminal_no)
            identity = _identity(uow, record, terminal_no)
        with self._lock:
            self._known[terminal_no] = identity
        return identity

    def cached(self, terminal_no: str) -> TerminalIdentity | None:
        """The terminal numbered ``terminal_no`` if this process knows it already, else None
        (no database)."""
        with self._lock:
            return self._known.get(terminal_no)

    def forget(self, terminal_no: str) -> None:
        """Drop a terminal from the cache (disabled, re-enrolled)."""
        with self._lock:
            self._known.pop(terminal_no, None)


def _identity(
    uow: SqlUnitOfWork, record: TerminalRecord | None, terminal_no: str
) -> TerminalIdentity:
    if record is None or record.state == "issued" or record.key_material is None:
        raise RefusalError(ErrorCode.UNKNOWN_TERMINAL, details={"terminal": terminal_no})
    if record.state != "active":
        raise RefusalError(ErrorCode.TERMINAL_DISABLED, details={"terminal": terminal_no})
    return TerminalIdentity(
        id=record.id,
        terminal_no=record.terminal_no,
        key=record.key_material,
        key_version=record.key_version,
        place=uow.terminals.organisation_context(record.org_id),
    )
