"""Reading the journal: rows, the per-payment side table, and the chain check.

:class:`JournalReader` holds the queries; :class:`~gridpos.terminal.journal.store.Journal` adds
the writing. Every query reads committed data of the one connection the terminal keeps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from gridpos.domain.payment_state import PaymentState
from gridpos.terminal.journal.chain import ChainedRow, ChainReport, verify_chain
from gridpos.terminal.journal.records import (
    EventKind,
    JournalRow,
    ReceiptStatus,
    TxnRecord,
    loads,
)

EVENT_COLUMNS = (
    "seq, kind, txn_id, state, business_date, batch_no, recorded_at, body, prev_hash, hash"
)
TXN_COLUMNS = (
    "txn_id",
    "offline",
    "state",
    "business_date",
    "batch_no",
    "trace_no",
    "account_no",
    "cash",
    "cash_time",
    "offline_seq",
    "first_seq",
    "last_seq",
    "request_seq",
    "answer_seq",
    "reversal_seq",
    "void_seq",
    "receipt",
    "waiting",
)


def row_of(values: tuple[Any, ...]) -> JournalRow:
    seq, kind, txn_id, state, business_date, batch_no, recorded_at, body, prev, row_hash_ = values
    return JournalRow(
        seq=seq,
        kind=EventKind(kind),
        txn_id=txn_id,
        state=PaymentState(state) if state is not None else None,
        business_date=date.fromisoformat(business_date) if business_date else None,
        batch_no=batch_no,
        recorded_at=datetime.fromisoformat(recorded_at),
        body=loads(body),
        prev_hash=prev,
        row_hash=row_hash_,
    )


def txn_of(values: Mapping[str, Any]) -> TxnRecord:
    return TxnRecord(
        txn_id=values["txn_id"],
        offline=bool(values["offline"]),
        state=PaymentState(values["state"]),
        business_date=date.fromisoformat(values["business_date"]),
        batch_no=values["batch_no"],
        trace_no=values["trace_no"],
        account_no=values["account_no"],
        cash=values["cash"],
        cash_time=datetime.fromisoformat(values["cash_time"]),
        offline_seq=values["offline_seq"],
        first_seq=values["first_seq"],
        last_seq=values["last_seq"],
        request_seq=values["request_seq"],
        answer_seq=values["answer_seq"],
        reversal_seq=values["reversal_seq"],
        void_seq=values["void_seq"],
        receipt=ReceiptStatus(values["receipt"]),
    )


def txn_values(record: TxnRecord) -> tuple[Any, ...]:
    return (
        record.txn_id,
        int(record.offline),
        record.state.value,
        record.business_date.isoformat(),
        record.batch_no,
        record.trace_no,
        record.account_no,
        record.cash,
        record.cash_time.isoformat(),
        record.offline_seq,
        record.first_seq,
        record.last_seq,
        record.request_seq,
        record.answer_seq,
        record.reversal_seq,
        record.void_seq,
        record.receipt.value,
        int(record.waiting),
    )


class JournalReader:
    """The journal's queries over an open connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def row(self, seq: int) -> JournalRow | None:
        found = self._db.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq = ?",  # noqa: S608 - fixed columns
            (seq,),
        ).fetchone()
        return row_of(found) if found else None

    def rows(self, *, after: int = 0, kind: EventKind | None = None) -> Iterator[JournalRow]:
        """Rows in order, after sequence number ``after``, of one kind if given."""
        if kind is None:
            cursor = self._db.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq",  # noqa: S608
                (after,),
            )
        else:
            cursor = self._db.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? AND kind = ? ORDER BY seq",  # noqa: S608
                (after, kind.value),
            )
        for values in cursor:
            yield row_of(values)

    def last_row(self, kind: EventKind) -> JournalRow | None:
        found = self._db.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE kind = ? ORDER BY seq DESC LIMIT 1",  # noqa: S608
            (kind.value,),
        ).fetchone()
        return row_of(found) if found else None

    def rows_of(self, txn_id: str) -> list[JournalRow]:
        """Every row of one payment, in order."""
        cursor = self._db.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE txn_id = ? ORDER BY seq",  # noqa: S608
            (txn_id,),
        )
        return [row_of(values) for values in cursor]

    def _txns(self, where: str, params: tuple[Any, ...]) -> list[TxnRecord]:
        self._db.row_factory = sqlite3.Row
        try:
            cursor = self._db.execute(
                f"SELECT * FROM txns WHERE {where} ORDER BY first_seq",  # noqa: S608 - internal
                params,
            )
            return [txn_of(values) for values in cursor]
        finally:
            self._db.row_factory = None

    def txn(self, txn_id: str) -> TxnRecord | None:
        found = self._txns("txn_id = ?", (txn_id,))
        return found[0] if found else None

    def txn_by_trace(self, trace_no: int, *, business_date: date | None = None) -> TxnRecord | None:
        """The latest payment with this trace number (on this business date, if given)."""
        if business_date is None:
            found = self._txns("trace_no = ?", (trace_no,))
        else:
            found = self._txns(
                "trace_no = ? AND business_date = ?", (trace_no, business_date.isoformat())
            )
        return found[-1] if found else None

    def waiting(self) -> list[TxnRecord]:
        """Payments that still need the server, oldest first."""
        return self._txns("waiting = 1", ())

    def waiting_count(self) -> int:
        row = self._db.execute("SELECT count(*) FROM txns WHERE waiting = 1").fetchone()
        return int(row[0])

    def receipts_waiting(self) -> list[TxnRecord]:
        """Payments whose receipt should be on paper and is not known to be."""
        found = self._txns(
            "receipt != 'printed' AND state IN ('confirmed', 'pending', 'unknown')", ()
        )
        return [record for record in found if record.receipt_waiting]

    def txns_of_batch(self, *, business_date: date, batch_no: int) -> list[TxnRecord]:
        return self._txns(
            "business_date = ? AND batch_no = ?", (business_date.isoformat(), batch_no)
        )

    def txns_between(self, *, date_from: date, date_to: date) -> list[TxnRecord]:
        return self._txns(
            "business_date BETWEEN ? AND ?", (date_from.isoformat(), date_to.isoformat())
        )

    def txns_since(self, seq: int) -> list[TxnRecord]:
        """Payments opened after journal row ``seq``."""
        return self._txns("first_seq > ?", (seq,))

    def latest_txns(self, *, limit: int) -> list[TxnRecord]:
        return self._txns(
            "first_seq IN (SELECT first_seq FROM txns ORDER BY first_seq DESC LIMIT ?)", (limit,)
        )

    def verify(self) -> ChainReport:
        """Check every row against its hash, its predecessor and the recorded head."""
        head_seq = self.meta("head_seq")
        cursor = self._db.execute(
            "SELECT seq, prev_hash, kind, txn_id, state, business_date, batch_no, recorded_at,"
            " body, hash FROM events ORDER BY seq"
        )
        chained = (
            ChainedRow(
                seq=values[0],
                prev_hash=values[1],
                kind=values[2],
                txn_id=values[3],
                state=values[4],
                business_date=values[5],
                batch_no=values[6],
                recorded_at=values[7],
                body=values[8],
                row_hash=values[9],
            )
            for values in cursor
        )
        return verify_chain(
            chained,
            head_seq=int(head_seq) if head_seq is not None else None,
            head_hash=self.meta("head_hash"),
        )
