"""Batches (扎帐) and their detail upload (批上送): totals, cash counted, parts, differences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from gridpos.adapters.db.payment_store.records import Totals
from gridpos.adapters.db.tables import (
    batch_differences,
    batch_upload_items,
    batch_upload_parts,
    batches,
)
from gridpos.adapters.db.terminal_store import BatchRecord


@dataclass(frozen=True, slots=True)
class UploadedItem:
    """One journal row of a batch as the terminal uploaded it."""

    txn_id: str
    trace_no: int
    account_no: str
    cash: int
    state: str
    cash_time: datetime
    offline: bool


class BatchStore:
    """Batches, their uploads and differences, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def by_number(self, terminal_id: int, business_date: date, batch_no: int) -> BatchRecord | None:
        """The terminal's batch ``batch_no`` of ``business_date``, or None."""
        row = self._connection.execute(
            select(batches)
            .where(batches.c.terminal_id == terminal_id)
            .where(batches.c.business_date == business_date)
            .where(batches.c.batch_no == batch_no)
        ).first()
        if row is None:
            return None
        return BatchRecord(
            id=int(row.id),
            batch_no=int(row.batch_no),
            business_date=row.business_date,
            state=row.state,
            operator_id=row.operator_id,
        )

    def record_totals(
        self,
        batch_id: int,
        *,
        terminal: Totals,
        server: Totals,
        cash_counted: int | None,
        note: str,
    ) -> None:
        """Keep both sides' totals and the cash counted (difference = counted − expected)."""
        values: dict[str, Any] = {
            "terminal_count": terminal.count,
            "terminal_amount": terminal.amount,
            "server_count": server.count,
            "server_amount": server.amount,
            "note": note,
        }
        if cash_counted is not None:
            values["cash_counted"] = cash_counted
            values["cash_difference"] = cash_counted - server.amount
        self._connection.execute(update(batches).where(batches.c.id == batch_id).values(values))

    def close(self, batch_id: int, *, balanced: bool, now: datetime) -> None:
        """Close the batch: balanced, or not (its differences recorded)."""
        self._connection.execute(
            update(batches)
            .where(batches.c.id == batch_id)
            .values(state="balanced" if balanced else "unbalanced", closed_at=now)
        )

    # ---- the detail upload -------------------------------------------------------------------

    def has_part(self, batch_id: int, part: int) -> bool:
        """Whether part ``part`` was already received."""
        return (
            self._connection.execute(
                select(batch_upload_parts.c.part)
                .where(batch_upload_parts.c.batch_id == batch_id)
                .where(batch_upload_parts.c.part == part)
            ).first()
            is not None
        )

    def add_part(
        self, batch_id: int, *, part: int, parts: int, items: Sequence[UploadedItem], now: datetime
    ) -> None:
        """Keep one part and its items (an item already received in another part is kept once;
        one a journal request (终端流水调阅) brought earlier becomes this upload's)."""
        self._connection.execute(
            insert(batch_upload_parts).values(
                batch_id=batch_id, part=part, parts=parts, received_at=now
            )
        )
        known: dict[str, int | None] = {
            row.txn_id: row.journal_request_id
            for row in self._connection.execute(
                select(batch_upload_items.c.txn_id, batch_upload_items.c.journal_request_id).where(
                    batch_upload_items.c.batch_id == batch_id
                )
            )
        }
        fresh: dict[str, UploadedItem] = {}
        for item in items:
            if item.txn_id not in known:
                fresh[item.txn_id] = item
            elif known[item.txn_id] is not None:
                known[item.txn_id] = None
                self._connection.execute(
                    update(batch_upload_items)
                    .where(batch_upload_items.c.batch_id == batch_id)
                    .where(batch_upload_items.c.txn_id == item.txn_id)
                    .values(
                        part=part,
                        trace_no=item.trace_no,
                        account_no=item.account_no,
                        cash=item.cash,
                        state=item.state,
                        cash_time=item.cash_time,
                        offline=item.offline,
                        journal_request_id=None,
                    )
                )
        if fresh:
            self._connection.execute(
                insert(batch_upload_items),
                [
                    {
                        "batch_id": batch_id,
                        "part": part,
                        "txn_id": item.txn_id,
                        "trace_no": item.trace_no,
                        "account_no": item.account_no,
                        "cash": item.cash,
                        "state": item.state,
                        "cash_time": item.cash_time,
                        "offline": item.offline,
                    }
                    for item in fresh.values()
                ],
            )

    def parts_received(self, batch_id: int) -> int:
        """How many distinct parts were received."""
        return int(
            self._connection.execute(
                select(func.count()).where(batch_upload_parts.c.batch_id == batch_id)
            ).scalar_one()
        )

    def items(self, batch_id: int) -> list[UploadedItem]:
        """Every uploaded item of the batch, in the order received."""
        rows = self._connection.execute(
            select(batch_upload_items)
            .where(batch_upload_items.c.batch_id == batch_id)
            .order_by(batch_upload_items.c.id)
        )
        return [
            UploadedItem(
                txn_id=row.txn_id,
                trace_no=int(row.trace_no),
                account_no=row.account_no,
                cash=int(row.cash),
                state=row.state,
                cash_time=row.cash_time,
                offline=bool(row.offline),
            )
            for row in rows
        ]

    def add_difference(
        self,
        batch_id: int,
        *,
        kind: str,
        txn_id: str,
        payment_id: int | None,
        terminal_amount: int | None,
        server_amount: int | None,
        note: str,
    ) -> None:
        """Record one named difference, open for reconciliation."""
        self._connection.execute(
            insert(batch_differences).values(
                batch_id=batch_id,
                kind=kind,
                txn_id=txn_id,
                payment_id=payment_id,
                terminal_amount=terminal_amount,
                server_amount=server_amount,
                state="open",
                note=note,
            )
        )
