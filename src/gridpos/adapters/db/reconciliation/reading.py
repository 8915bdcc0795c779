"""What the console reads of reconciliation: runs, their differences, the work queue's items,
their history — each a page at a time and within a subtree (a materialised path prefix)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select

from gridpos.adapters.db.tables import (
    reconciliation_differences,
    reconciliation_items,
    reconciliation_runs,
    terminals,
)


@dataclass(frozen=True, slots=True)
class DifferenceFilter:
    """Which differences of a run to list (every part optional)."""

    kind: str | None = None
    sides: str | None = None
    outcome: str | None = None
    change: str | None = None
    search: str | None = None  # a transaction id or customer number, from its start


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Which items of the work queue to list."""

    states: tuple[str, ...] = ("open", "requested")
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _within(column: Any, prefix: str) -> Any:
    return column.like(f"{prefix}%")


class ReconciliationReading:
    """Reads for the console, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- runs --------------------------------------------------------------------------------

    def runs(
        self,
        *,
        within: str,
        date_from: date | None,
        date_to: date | None,
        offset: int,
        limit: int,
    ) -> tuple[list[Any], int]:
        """A page of the runs of the subtree ``within`` (newest first), and how many there are;
        with dates, the runs whose range overlaps them."""
        r = reconciliation_runs
        query = select(r).where(_within(r.c.org_path, within))
        if date_from is not None:
            query = query.where(r.c.date_to >= date_from)
        if date_to is not None:
            query = query.where(r.c.date_from <= date_to)
        total = self._count(query)
        rows = self._connection.execute(query.order_by(r.c.id.desc()).offset(offset).limit(limit))
        return list(rows), total

    def run(self, run_id: int) -> Any:
        """The run ``run_id`` (a row), or None."""
        r = reconciliation_runs
        return self._connection.execute(select(r).where(r.c.id == run_id)).first()

    def counts_by_kind(self, run_id: int) -> list[tuple[str, str, str, int, int]]:
        """(sides, kind, change, differences, still open) of a run."""
        d, i = reconciliation_differences, reconciliation_items
        still_open = func.count().filter(i.c.state.in_(("open", "requested")))
        rows = self._connection.execute(
            select(d.c.sides, d.c.kind, d.c.change, func.count(), still_open)
            .join(i, i.c.id == d.c.item_id)
            .where(d.c.run_id == run_id)
            .group_by(d.c.sides, d.c.kind, d.c.change)
            .order_by(d.c.sides, d.c.kind, d.c.change)
        )
        return [(s, k, c, int(n), int(o)) for s, k, c, n, o in rows]

    # ---- differences -------------------------------------------------------------------------

    def _differences(self, run_id: int, within: str, wanted: DifferenceFilter) -> Select[Any]:
        d, i = reconciliation_differences, reconciliation_items
        query = (
            select(
                d,
                i.c.state.label("item_state"),
                i.c.version.label("item_version"),
                terminals.c.terminal_no,
            )
            .join(i, i.c.id == d.c.item_id)
            .outerjoin(terminals, terminals.c.id == d.c.terminal_id)
            .where(d.c.run_id == run_id, _within(d.c.org_path, within))
        )
        if wanted.kind:
            query = query.where(d.c.kind == wanted.kind)
        if wanted.sides:
            query = query.where(d.c.sides == wanted.sides)
        if wanted.outcome:
            query = query.where(d.c.outcome == wanted.outcome)
        if wanted.change:
            query = query.where(d.c.change == wanted.change)
        if wanted.search:
            query = query.where(
                or_(d.c.txn_id.like(f"{wanted.search}%"), d.c.account_no.like(f"{wanted.search}%"))
            )
        return query

    def differences(
        self, run_id: int, *, within: str, wanted: DifferenceFilter, offset: int, limit: int
    ) -> tuple[list[Any], int]:
        """A page of a run's differences in the subtree, and how many match."""
        query = self._differences(run_id, within, wanted)
        total = self._count(query)
        d = reconciliation_differences
        rows = self._connection.execute(query.order_by(d.c.id).offset(offset).limit(limit))
        return list(rows), total

    def all_differences(
        self, run_id: int, *, within: str, wanted: DifferenceFilter, limit: int
    ) -> list[Any]:
        """Every difference of a run that ``wanted`` keeps (at most ``limit``), for a report."""
        query = self._differences(run_id, within, wanted)
        d = reconciliation_differences
        return list(self._connection.execute(query.order_by(d.c.id).limit(limit)))

    def history(self, item_id: int) -> list[Any]:
        """Every difference recorded of an item, oldest first (the columns of a listing)."""
        d, i = reconciliation_differences, reconciliation_items
        return list(
            self._connection.execute(
                select(
                    d,
                    i.c.state.label("item_state"),
                    i.c.version.label("item_version"),
                    terminals.c.terminal_no,
                )
                .join(i, i.c.id == d.c.item_id)
                .outerjoin(terminals, terminals.c.id == d.c.terminal_id)
                .where(d.c.item_id == item_id)
                .order_by(d.c.id)
            )
        )

    # ---- the work queue ----------------------------------------------------------------------

    def items(
        self, *, within: str, wanted: ItemFilter, offset: int, limit: int
    ) -> tuple[list[Any], int]:
        """A page of the items of the subtree in the wanted states (oldest business date first),
        and how many match."""
        i = reconciliation_items
        query = (
            select(i, terminals.c.terminal_no)
            .outerjoin(terminals, terminals.c.id == i.c.terminal_id)
            .where(i.c.state.in_(wanted.states), _within(i.c.org_path, within))
        )
        if wanted.kind:
            query = query.where(i.c.kind == wanted.kind)
        if wanted.date_from is not None:
            query = query.where(i.c.business_date >= wanted.date_from)
        if wanted.date_to is not None:
            query = query.where(i.c.business_date <= wanted.date_to)
        total = self._count(query)
        rows = self._connection.execute(
            query.order_by(i.c.business_date, i.c.id).offset(offset).limit(limit)
        )
        return list(rows), total

    def open_count(self, *, within: str, states: Sequence[str] = ("open", "requested")) -> int:
        """How many items of the subtree wait for a person (for the monitoring page's alert)."""
        i = reconciliation_items
        return int(
            self._connection.execute(
                select(func.count()).where(
                    i.c.state.in_(list(states)), _within(i.c.org_path, within)
                )
            ).scalar_one()
        )

    def _count(self, query: Select[Any]) -> int:
        return int(
            self._connection.execute(
                select(func.count()).select_from(query.order_by(None).subquery())
            ).scalar_one()
        )
