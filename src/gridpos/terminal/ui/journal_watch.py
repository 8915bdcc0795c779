"""A read-only look at the journal that never waits for the terminal's lock.

The terminal serialises its work behind one lock, and a payment on GPRS may hold it for tens of
seconds. The status bar must keep showing how many payments wait, and 扎帐 must show the cash
expected before the count; both read the journal file through a second, read-only SQLite
connection (WAL lets a reader see the last committed state while the terminal writes). Nothing
here writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import date
from pathlib import Path

from gridpos.domain.payment_state import PaymentState
from gridpos.terminal.batch import expected_cash
from gridpos.terminal.journal.reading import JournalReader

_LOG = logging.getLogger(__name__)


class JournalWatch:
    """Read-only queries of one journal file; ``None`` when the file cannot be read now."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def _reader(self) -> JournalReader:
        if self._connection is None:
            self._connection = sqlite3.connect(
                f"{self._path.resolve().as_uri()}?mode=ro",
                uri=True,
                check_same_thread=False,
                timeout=1.0,
            )
        return JournalReader(self._connection)

    def waiting_count(self) -> int | None:
        """Payments, reversals and uploads still waiting for the server."""
        with self._lock:
            try:
                return self._reader().waiting_count()
            except sqlite3.Error:
                _LOG.warning("journal watch could not read the waiting count")
                return None

    def receipts_waiting(self) -> int | None:
        """Receipts that should be on paper and are not known to be."""
        with self._lock:
            try:
                return len(self._reader().receipts_waiting())
            except sqlite3.Error:
                _LOG.warning("journal watch could not read the receipts waiting")
                return None

    def expected_cash(self, *, business_date: date, batch_no: int) -> int | None:
        """The cash the collector should hold for the batch (what 扎帐 counts against)."""
        with self._lock:
            try:
                records = self._reader().txns_of_batch(
                    business_date=business_date, batch_no=batch_no
                )
            except sqlite3.Error:
                _LOG.warning("journal watch could not read the batch")
                return None
        return expected_cash(records)

    def state_of(self, txn_id: str) -> PaymentState | None:
        """A payment's state as last journalled."""
        with self._lock:
            try:
                record = self._reader().txn(txn_id)
            except sqlite3.Error:
                _LOG.warning("journal watch could not read a payment")
                return None
        return None if record is None else record.state

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
