"""The journal: append-only, hash-chained rows in a SQLite file that survives power loss.

Every write runs in one ``BEGIN IMMEDIATE`` … ``COMMIT``; with WAL and ``synchronous=FULL`` a
committed row is on the storage before :meth:`Journal.append` returns, so a payment journalled
``pending`` is known after any crash. A write the storage refuses (full, read-only, I/O error)
raises :class:`JournalUnwritableError` and leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gridpos.domain.payment_state import PaymentState
from gridpos.terminal.config import Clock
from gridpos.terminal.errors import JournalFormatError, JournalUnwritableError
from gridpos.terminal.journal.chain import (
    GENESIS,
    row_hash,
)
from gridpos.terminal.journal.reading import EVENT_COLUMNS, TXN_COLUMNS, JournalReader, txn_values
from gridpos.terminal.journal.records import (
    EventKind,
    JournalRow,
    ProjectionError,
    TxnRecord,
    dumps,
    loads,
    project,
)
from gridpos.terminal.journal.schema import SCHEMA_VERSION, STATEMENTS

DiskFree = Callable[[Path], int]


def disk_free_bytes(path: Path) -> int:
    """Free bytes on the file system holding ``path``."""
    return shutil.disk_usage(path).free


def _unwritable(exc: sqlite3.Error) -> JournalUnwritableError:
    text = str(exc).lower()
    if "full" in text:
        reason = "disk_full"
    elif "readonly" in text or "read-only" in text or "query_only" in text:
        reason = "read_only"
    else:
        reason = "io_error"
    return JournalUnwritableError(reason, str(exc))


class Journal(JournalReader):
    """The terminal's write-ahead journal. Open it with :meth:`open`; one per data directory.

    Not thread-safe on its own: the terminal serialises calls.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        path: Path,
        clock: Clock,
        disk_free: DiskFree,
        reserve_bytes: int,
    ) -> None:
        super().__init__(connection)
        self.path = path
        self._clock = clock
        self._disk_free = disk_free
        self._reserve_bytes = reserve_bytes
        self._depth = 0

    # ---- opening and closing ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        clock: Clock,
        disk_free: DiskFree = disk_free_bytes,
        reserve_bytes: int = 0,
    ) -> Journal:
        """Open (or create) the journal at ``path``.

        Raises:
            JournalUnwritableError: the file cannot be created or its schema written.
            JournalFormatError: the file is not a journal, or one of a newer schema.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=5.0
            )
        except (OSError, sqlite3.Error) as exc:
            raise JournalUnwritableError("io_error", str(exc)) from exc
        journal = cls(
            connection, path=path, clock=clock, disk_free=disk_free, reserve_bytes=reserve_bytes
        )
        try:
            journal._prepare()
        except sqlite3.DatabaseError as exc:
            connection.close()
            if isinstance(exc, sqlite3.OperationalError) and "not a database" not in str(exc):
                raise _unwritable(exc) from exc
            raise JournalFormatError(
                field="journal",
                message_zh="终端流水文件已损坏或不是本程序的流水",
                message_en="the journal file is damaged or not a journal of this program",
                details={"detail": str(exc)},
            ) from exc
        except JournalFormatError:
            connection.close()
            raise
        return journal

    def _prepare(self) -> None:
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        found = db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
        if found is not None:
            version = self.meta("schema_version")
            if version is None or int(version) > SCHEMA_VERSION:
                raise JournalFormatError(
                    field="journal",
                    message_zh="终端流水来自更新版本的程序，无法读取",
                    message_en="the journal was written by a newer program version",
                    details={"schema_version": version},
                )
        with self.transaction():
            for statement in STATEMENTS:
                db.execute(statement)
            db.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        """Close the file (idempotent)."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for the terminal's own stores in the same file."""
        return self._db

    # ---- transactions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One durable transaction (nested calls join the outer one).

        Raises:
            JournalUnwritableError: the storage refused the write; everything since ``BEGIN`` is
                rolled back.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _unwritable(exc) from exc
        self._depth = 1
        try:
            yield
            self._db.execute("COMMIT")
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise _unwritable(exc) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def ensure_writable(self) -> None:
        """Check, by a real durable write, that a payment could be journalled now.

        Raises:
            JournalUnwritableError: less free space than the reserve (``low_space``), or the
                write failed (``disk_full``, ``read_only``, ``io_error``).
        """
        self.check_space()
        with self.transaction():
            self._bump("probe")

    def check_space(self) -> None:
        """Refuse when the storage holds less free space than the reserve.

        Raises:
            JournalUnwritableError: ``low_space`` (or ``io_error`` when it cannot be told).
        """
        try:
            free = self._disk_free(self.path.parent)
        except OSError as exc:
            raise JournalUnwritableError("io_error", str(exc)) from exc
        if free < self._reserve_bytes:
            raise JournalUnwritableError(
                "low_space", f"{free} bytes free, {self._reserve_bytes} needed"
            )

    # ---- counters and meta --------------------------------------------------------------------

    def _bump(self, name: str, step: int = 1) -> int:
        row = self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value RETURNING value",
            (name, step),
        ).fetchone()
        return int(row[0])

    def next_value(self, name: str) -> int:
        """The next value of a persistent counter (1 the first time), durable before returned.

        Raises:
            JournalUnwritableError: the storage refused the write.
        """
        with self.transaction():
            return self._bump(name)

    def raise_counter(self, name: str, *, at_least: int) -> None:
        """Move a counter up to ``at_least`` (never down)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (name, at_least),
            )

    def counter(self, name: str) -> int:
        """The current value of a counter (0 before its first use)."""
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def set_meta(self, name: str, value: str | None) -> None:
        """Set (or with ``None`` remove) a meta value, in the current or its own transaction."""
        with self.transaction():
            if value is None:
                self._db.execute("DELETE FROM meta WHERE name = ?", (name,))
            else:
                self._db.execute(
                    "INSERT INTO meta (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )

    # ---- identity -----------------------------------------------------------------------------

    def identity_row(self) -> tuple[str, str, str, datetime] | None:
        """Terminal number, key text, collection point and enrolment time, once enrolled."""
        row = self._db.execute(
            "SELECT terminal_no, terminal_key, collection_point, enrolled_at FROM identity"
        ).fetchone()
        if row is None:
            return None
        return str(row[0]), str(row[1]), str(row[2]), datetime.fromisoformat(row[3])

    def save_identity(
        self, *, terminal_no: str, key_text: str, collection_point: str, enrolled_at: datetime
    ) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO identity (id, terminal_no, terminal_key, collection_point,"
                " enrolled_at) VALUES (1, ?, ?, ?, ?)",
                (terminal_no, key_text, collection_point, enrolled_at.isoformat()),
            )

    # ---- appending ----------------------------------------------------------------------------

    def append(
        self,
        kind: EventKind,
        body: Mapping[str, Any],
        *,
        txn_id: str | None = None,
        state: PaymentState | None = None,
        business_date: date | None = None,
        batch_no: int | None = None,
    ) -> JournalRow:
        """Append one row (and fold it into its payment), durable when this returns.

        Raises:
            JournalUnwritableError: the storage refused the write; nothing was appended.
            ProjectionError: the row cannot follow the payment's rows (a programming error).
        """
        text = dumps(dict(body))
        recorded_at = self._clock().astimezone(UTC).isoformat()
        bd_text = business_date.isoformat() if business_date else None
        with self.transaction():
            last = self._db.execute(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            digest = row_hash(
                seq=seq,
                prev_hash=prev,
                kind=kind.value,
                txn_id=txn_id,
                state=state.value if state else None,
                business_date=bd_text,
                batch_no=batch_no,
                recorded_at=recorded_at,
                body=text,
            )
            self._db.execute(
                f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - fixed column list
                (
                    seq,
                    kind.value,
                    txn_id,
                    state.value if state else None,
                    bd_text,
                    batch_no,
                    recorded_at,
                    text,
                    prev,
                    digest,
                ),
            )
            self._set_head(seq, digest)
            row = JournalRow(
                seq=seq,
                kind=kind,
                txn_id=txn_id,
                state=state,
                business_date=business_date,
                batch_no=batch_no,
                recorded_at=datetime.fromisoformat(recorded_at),
                body=loads(text),
                prev_hash=prev,
                row_hash=digest,
            )
            if txn_id is not None:
                self._store_txn(project(self.txn(txn_id), row))
        return row

    def _set_head(self, seq: int, digest: str) -> None:
        self._db.executemany(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (("head_seq", str(seq)), ("head_hash", digest)),
        )

    def _store_txn(self, record: TxnRecord) -> None:
        columns = ", ".join(TXN_COLUMNS)
        marks = ", ".join("?" for _ in TXN_COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO txns ({columns}) VALUES ({marks})",  # noqa: S608 - fixed columns
            txn_values(record),
        )

    def rebuild_payments(self) -> list[int]:
        """Fold every payment row again into the side table; the rows that could not be folded.

        Used when the side table does not reach the last payment row (it is derived: the rows
        are the record). Rows that cannot follow their payment's history — only possible in a
        damaged journal — are skipped and returned.
        """
        skipped: list[int] = []
        records: dict[str, TxnRecord] = {}
        for row in self.rows():
            if row.txn_id is None:
                continue
            try:
                records[row.txn_id] = project(records.get(row.txn_id), row)
            except (ProjectionError, KeyError, ValueError):
                skipped.append(row.seq)
        with self.transaction():
            self._db.execute("DELETE FROM txns")
            for record in records.values():
                self._store_txn(record)
        return skipped

    def payments_in_step(self) -> bool:
        """Whether the side table has folded the last payment row."""
        last_row = self._db.execute(
            "SELECT max(seq) FROM events WHERE txn_id IS NOT NULL"
        ).fetchone()[0]
        last_folded = self._db.execute("SELECT max(last_seq) FROM txns").fetchone()[0]
        return bool(last_row == last_folded)
