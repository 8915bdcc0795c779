"""终端流水调阅 in the database: requests for a terminal's journal, the parts of their upload, and
the uploaded rows kept among the batches' uploaded journal rows (``batch_upload_items``).

A row is kept under the batch it names (terminal, business date, batch number) and marked with
the request. One row per transaction and batch, whichever upload brought it: a row the batch's own
upload (批上送) brought is the evidence its differences were named from and stays as it is; a row
an earlier request brought is brought up to date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, func, insert, select, update

from gridpos.adapters.db.reconciliation.candidates import among, chunks
from gridpos.adapters.db.tables import (
    batch_upload_items,
    batches,
    journal_request_parts,
    journal_requests,
    terminals,
)


@dataclass(frozen=True, slots=True)
class JournalRequestRecord:
    """A request for a terminal's journal and where it stands."""

    id: int
    terminal_id: int
    terminal_no: str
    date_from: date
    date_to: date
    state: str
    requested_by: str
    requested_at: datetime
    parts: int | None
    fulfilled_at: datetime | None
    rows_kept: int | None
    rows_unplaced: int | None
    journal_damage: str | None


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One payment of a terminal's journal as uploaded on request."""

    txn_id: str
    trace_no: int
    account_no: str
    cash: int
    state: str
    cash_time: datetime
    offline: bool
    business_date: date
    batch_no: int


_COLUMNS = (*journal_requests.c, terminals.c.terminal_no)


def _record(row: Any) -> JournalRequestRecord:
    return JournalRequestRecord(
        id=int(row.id),
        terminal_id=int(row.terminal_id),
        terminal_no=row.terminal_no,
        date_from=row.date_from,
        date_to=row.date_to,
        state=row.state,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        parts=row.parts,
        fulfilled_at=row.fulfilled_at,
        rows_kept=row.rows_kept,
        rows_unplaced=row.rows_unplaced,
        journal_damage=row.journal_damage,
    )


class JournalRequestStore:
    """Journal requests through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _query(self) -> Select[Any]:
        return select(*_COLUMNS).join(terminals, terminals.c.id == journal_requests.c.terminal_id)

    def add(
        self,
        *,
        terminal_id: int,
        date_from: date,
        date_to: date,
        requested_by: str,
        now: datetime,
    ) -> int:
        """Keep a new pending request; its id."""
        result = self._connection.execute(
            insert(journal_requests)
            .values(
                terminal_id=terminal_id,
                date_from=date_from,
                date_to=date_to,
                state="pending",
                requested_by=requested_by,
                requested_at=now,
            )
            .returning(journal_requests.c.id)
        )
        return int(result.scalar_one())

    def by_id(self, request_id: int) -> JournalRequestRecord | None:
        """The request ``request_id``, or None."""
        row = self._connection.execute(
            self._query().where(journal_requests.c.id == request_id)
        ).first()
        return _record(row) if row is not None else None

    def pending_of(self, terminal_id: int) -> JournalRequestRecord | None:
        """The terminal's oldest request still pending, or None."""
        row = self._connection.execute(
            self._query()
            .where(journal_requests.c.terminal_id == terminal_id)
            .where(journal_requests.c.state == "pending")
            .order_by(journal_requests.c.id)
            .limit(1)
        ).first()
        return _record(row) if row is not None else None

    def of_terminal(self, terminal_id: int, *, limit: int) -> list[JournalRequestRecord]:
        """The terminal's latest ``limit`` requests, newest first."""
        rows = self._connection.execute(
            self._query()
            .where(journal_requests.c.terminal_id == terminal_id)
            .order_by(journal_requests.c.id.desc())
            .limit(limit)
        )
        return [_record(row) for row in rows]

    # ---- the upload --------------------------------------------------------------------------

    def has_part(self, request_id: int, part: int) -> bool:
        """Whether part ``part`` of the upload under way was received."""
        found = self._connection.execute(
            select(journal_request_parts.c.part).where(
                journal_request_parts.c.request_id == request_id,
                journal_request_parts.c.part == part,
            )
        ).first()
        return found is not None

    def start_upload(self, request_id: int, *, parts: int) -> None:
        """Begin (again) an upload of ``parts`` parts: the parts of an upload counted otherwise
        are forgotten (the rows they brought stay, brought up to date by the new one)."""
        self._connection.execute(
            delete(journal_request_parts).where(
                journal_request_parts.c.request_id == request_id,
                journal_request_parts.c.parts != parts,
            )
        )
        self._connection.execute(
            update(journal_requests).where(journal_requests.c.id == request_id).values(parts=parts)
        )

    def add_part(
        self,
        request_id: int,
        *,
        part: int,
        parts: int,
        rows_kept: int,
        rows_unplaced: int,
        now: datetime,
    ) -> None:
        """Count part ``part`` as received, with the rows it kept and those naming no batch."""
        self._connection.execute(
            insert(journal_request_parts).values(
                request_id=request_id,
                part=part,
                parts=parts,
                rows_kept=rows_kept,
                rows_unplaced=rows_unplaced,
                received_at=now,
            )
        )

    def received(self, request_id: int) -> tuple[int, int, int]:
        """(distinct parts, rows kept, rows naming no batch) of the upload under way."""
        row = self._connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(journal_request_parts.c.rows_kept), 0),
                func.coalesce(func.sum(journal_request_parts.c.rows_unplaced), 0),
            ).where(journal_request_parts.c.request_id == request_id)
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    def keep_rows(self, request_id: int, terminal_id: int, rows: Sequence[JournalRow]) -> int:
        """Keep ``rows`` under the batches they name (see the module docstring); how many were
        placed — a row naming a batch the server never opened is not kept."""
        if not rows:
            return 0
        wanted = {(row.business_date, row.batch_no) for row in rows}
        found = self._connection.execute(
            select(batches.c.id, batches.c.business_date, batches.c.batch_no).where(
                batches.c.terminal_id == terminal_id,
                batches.c.business_date.between(
                    min(d for d, _b in wanted), max(d for d, _b in wanted)
                ),
            )
        )
        batch_of = {(r.business_date, int(r.batch_no)): int(r.id) for r in found}
        placed = [
            (batch_of[(r.business_date, r.batch_no)], r)
            for r in rows
            if (r.business_date, r.batch_no) in batch_of
        ]
        existing: dict[tuple[int, str], int | None] = {}
        txn_ids = sorted({row.txn_id for _b, row in placed})
        for part in chunks(txn_ids):
            for item in self._connection.execute(
                select(
                    batch_upload_items.c.batch_id,
                    batch_upload_items.c.txn_id,
                    batch_upload_items.c.journal_request_id,
                ).where(
                    among(self._connection, batch_upload_items.c.txn_id, part),
                    batch_upload_items.c.batch_id.in_(sorted({b for b, _r in placed})),
                )
            ):
                existing[(int(item.batch_id), item.txn_id)] = item.journal_request_id
        fresh: list[dict[str, object]] = []
        for batch_id, row in placed:
            values = {
                "trace_no": row.trace_no,
                "account_no": row.account_no,
                "cash": row.cash,
                "state": row.state,
                "cash_time": row.cash_time,
                "offline": row.offline,
                "journal_request_id": request_id,
            }
            key = (batch_id, row.txn_id)
            if key not in existing:
                existing[key] = request_id
                fresh.append({"batch_id": batch_id, "part": 0, "txn_id": row.txn_id, **values})
            elif existing[key] is not None:  # brought by a request: bring it up to date
                self._connection.execute(
                    update(batch_upload_items)
                    .where(
                        and_(
                            batch_upload_items.c.batch_id == batch_id,
                            batch_upload_items.c.txn_id == row.txn_id,
                        )
                    )
                    .values(values)
                )
        if fresh:
            self._connection.execute(insert(batch_upload_items), fresh)
        return len(placed)

    def fulfil(
        self,
        request_id: int,
        *,
        state: str,
        rows_kept: int,
        rows_unplaced: int,
        journal_damage: str | None,
        now: datetime,
    ) -> None:
        """Close the request: ``fulfilled`` or ``damaged``, with what was kept."""
        self._connection.execute(
            update(journal_requests)
            .where(journal_requests.c.id == request_id)
            .values(
                state=state,
                fulfilled_at=now,
                rows_kept=rows_kept,
                rows_unplaced=rows_unplaced,
                journal_damage=journal_damage,
            )
        )
