"""Batches (扎帐) for the console: a list by business dates, organisation subtree, terminal and
state in keyset pages (newest first, along the ``business_date`` index), and one batch with the
terminal's and the server's totals, the cash counted and every difference named at close or by
the detail upload (批上送).

A batch belongs where its terminal is: the subtree is matched on the terminal's organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, tuple_

from gridpos.adapters.db.console.payment_search import SCOPE_IDS_MAX, subtree_ids
from gridpos.adapters.db.tables import (
    batch_differences,
    batch_upload_items,
    batch_upload_parts,
    batches,
    operators,
    organisations,
    payments,
    terminals,
)

_resolver = operators.alias("resolver")


@dataclass(frozen=True, slots=True)
class BatchFilter:
    """What a batch search keeps: business dates ``date_from``..``date_to``, the terminals of
    the subtree at ``root_path``, and optionally one terminal and one state."""

    date_from: date
    date_to: date
    root_path: str
    terminal_id: int | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class BatchKey:
    """Where a batch stands in the list's order."""

    business_date: date
    id: int

    def token(self) -> str:
        return f"{self.business_date.isoformat()}.{self.id}"

    @classmethod
    def parse(cls, token: str) -> BatchKey | None:
        """The key a link carried, or None when it is not one."""
        day, _, number = (token or "").partition(".")
        if not number.isdigit() or len(number) > 18:
            return None
        try:
            return cls(business_date=date.fromisoformat(day), id=int(number))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class BatchRow:
    """A batch as the list and its page show it (fen)."""

    id: int
    terminal_id: int
    terminal_no: str
    org_name: str
    org_path: str
    business_date: date
    batch_no: int
    operator: str | None
    state: str
    terminal_count: int | None
    terminal_amount: int | None
    server_count: int | None
    server_amount: int | None
    cash_counted: int | None
    cash_difference: int | None
    note: str
    opened_at: datetime
    closed_at: datetime | None
    open_differences: int

    @property
    def key(self) -> BatchKey:
        return BatchKey(self.business_date, self.id)

    @property
    def totals_agree(self) -> bool | None:
        """Whether the terminal's totals equal the server's (None before the batch close)."""
        if self.terminal_count is None or self.server_count is None:
            return None
        return (self.terminal_count, self.terminal_amount) == (
            self.server_count,
            self.server_amount,
        )


@dataclass(frozen=True, slots=True)
class DifferenceRow:
    """A difference named at the batch's close: the terminal's amount against the server's."""

    id: int
    kind: str
    txn_id: str | None
    payment_id: int | None
    terminal_amount: int | None
    server_amount: int | None
    state: str
    resolved_by: str | None
    resolved_at: datetime | None
    note: str


@dataclass(frozen=True, slots=True)
class UploadFacts:
    """The detail upload of a batch: parts received of how many, and lines uploaded."""

    parts_received: int
    parts: int | None
    items: int
    items_cash: int


_open_differences = (
    select(func.count())
    .where(batch_differences.c.batch_id == batches.c.id, batch_differences.c.state == "open")
    .correlate(batches)
    .scalar_subquery()
)
_COLUMNS = (
    batches,
    terminals.c.terminal_no,
    organisations.c.name.label("org_name"),
    organisations.c.path.label("org_path"),
    operators.c.name.label("operator_name"),
    operators.c.account.label("operator_account"),
    _open_differences.label("open_differences"),
)
_FROM = (
    batches.join(terminals, terminals.c.id == batches.c.terminal_id)
    .join(organisations, organisations.c.id == terminals.c.org_id)
    .outerjoin(operators, operators.c.id == batches.c.operator_id)
)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _row(row: Any) -> BatchRow:
    return BatchRow(
        id=int(row.id),
        terminal_id=int(row.terminal_id),
        terminal_no=row.terminal_no,
        org_name=row.org_name,
        org_path=row.org_path,
        business_date=row.business_date,
        batch_no=int(row.batch_no),
        operator=None
        if row.operator_name is None
        else f"{row.operator_name} ({row.operator_account})",
        state=row.state,
        terminal_count=_int(row.terminal_count),
        terminal_amount=_int(row.terminal_amount),
        server_count=_int(row.server_count),
        server_amount=_int(row.server_amount),
        cash_counted=_int(row.cash_counted),
        cash_difference=_int(row.cash_difference),
        note=row.note,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        open_differences=int(row.open_differences or 0),
    )


class BatchSearch:
    """Batch searches and one batch's page, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _conditions(self, wanted: BatchFilter) -> list[ColumnElement[bool]]:
        ids = subtree_ids(self._connection, wanted.root_path, limit=SCOPE_IDS_MAX)
        conditions = [
            batches.c.business_date >= wanted.date_from,
            batches.c.business_date <= wanted.date_to,
            organisations.c.path.startswith(wanted.root_path, autoescape=True)
            if ids is None
            else terminals.c.org_id.in_(ids),
        ]
        if wanted.terminal_id is not None:
            conditions.append(batches.c.terminal_id == wanted.terminal_id)
        if wanted.state is not None:
            conditions.append(batches.c.state == wanted.state)
        return conditions

    def page(
        self,
        wanted: BatchFilter,
        *,
        after: BatchKey | None = None,
        before: BatchKey | None = None,
        limit: int,
    ) -> list[BatchRow]:
        """Up to ``limit`` batches newest first: the first ones, those after ``after``, or
        (read backwards, returned newest first) those before ``before``."""
        query = select(*_COLUMNS).select_from(_FROM).where(*self._conditions(wanted))
        key = tuple_(batches.c.business_date, batches.c.id)
        backwards = before is not None and after is None
        if after is not None:
            query = query.where(key < tuple_(after.business_date, after.id))
        elif before is not None:
            query = query.where(key > tuple_(before.business_date, before.id))
        if backwards:
            query = query.order_by(batches.c.business_date, batches.c.id)
        else:
            query = query.order_by(batches.c.business_date.desc(), batches.c.id.desc())
        rows = [_row(row) for row in self._connection.execute(query.limit(limit))]
        return rows[::-1] if backwards else rows

    def count(self, wanted: BatchFilter, *, cap: int) -> int:
        """How many batches ``wanted`` keeps, counting no further than ``cap``."""
        bounded = (
            select(batches.c.id)
            .select_from(_FROM)
            .where(*self._conditions(wanted))
            .limit(cap)
            .subquery()
        )
        return int(self._connection.execute(select(func.count()).select_from(bounded)).scalar_one())

    def terminal(self, terminal_no: str) -> tuple[int, str] | None:
        """The id and organisation path of terminal ``terminal_no``, or None."""
        row = self._connection.execute(
            select(terminals.c.id, organisations.c.path)
            .select_from(terminals.join(organisations, organisations.c.id == terminals.c.org_id))
            .where(terminals.c.terminal_no == terminal_no)
        ).first()
        return None if row is None else (int(row.id), row.path)

    def batch(self, batch_id: int) -> BatchRow | None:
        """The batch ``batch_id``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(batches.c.id == batch_id)
        ).first()
        return None if row is None else _row(row)

    def differences(self, batch_id: int) -> list[DifferenceRow]:
        """Every difference of the batch, in the order they were named."""
        rows = self._connection.execute(
            select(
                batch_differences,
                _resolver.c.name.label("resolver_name"),
                _resolver.c.account.label("resolver_account"),
            )
            .select_from(
                batch_differences.outerjoin(
                    _resolver, _resolver.c.id == batch_differences.c.resolved_by
                )
            )
            .where(batch_differences.c.batch_id == batch_id)
            .order_by(batch_differences.c.id)
        )
        return [
            DifferenceRow(
                id=int(r.id),
                kind=r.kind,
                txn_id=r.txn_id,
                payment_id=_int(r.payment_id),
                terminal_amount=_int(r.terminal_amount),
                server_amount=_int(r.server_amount),
                state=r.state,
                resolved_by=None
                if r.resolver_name is None
                else f"{r.resolver_name} ({r.resolver_account})",
                resolved_at=r.resolved_at,
                note=r.note,
            )
            for r in rows
        ]

    def upload(self, batch_id: int) -> UploadFacts:
        """What the terminal has uploaded of the batch's detail."""
        parts = self._connection.execute(
            select(func.count(), func.max(batch_upload_parts.c.parts)).where(
                batch_upload_parts.c.batch_id == batch_id
            )
        ).one()
        items = self._connection.execute(
            select(func.count(), func.coalesce(func.sum(batch_upload_items.c.cash), 0)).where(
                batch_upload_items.c.batch_id == batch_id
            )
        ).one()
        return UploadFacts(
            parts_received=int(parts[0]),
            parts=_int(parts[1]),
            items=int(items[0]),
            items_cash=int(items[1]),
        )

    def payment_ids(self, terminal_id: int, txn_ids: list[str]) -> dict[str, int]:
        """The payments of the terminal among ``txn_ids``, by transaction id."""
        if not txn_ids:
            return {}
        rows = self._connection.execute(
            select(payments.c.txn_id, payments.c.id).where(
                payments.c.terminal_id == terminal_id, payments.c.txn_id.in_(txn_ids)
            )
        )
        return {row.txn_id: int(row.id) for row in rows}
