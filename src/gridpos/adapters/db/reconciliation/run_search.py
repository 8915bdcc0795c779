"""Searching reconciliation runs for the console: within a subtree, by dates and by state (clean,
with differences left for a person, failed), newest first; and how many of each run's
differences still wait for a person now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, func, select

from gridpos.adapters.db.tables import (
    reconciliation_differences,
    reconciliation_items,
    reconciliation_runs,
)

RUN_STATES: Final = ("clean", "open", "failed")
WAITING: Final = ("open", "requested")


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which runs to list: those of the subtree ``within`` overlapping the dates, in a state."""

    within: str
    date_from: date | None = None
    date_to: date | None = None
    state: str | None = None  # one of RUN_STATES


class RunSearch:
    """Run searches through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def runs(self, wanted: RunFilter, *, offset: int, limit: int) -> tuple[list[Any], int]:
        """A page of the runs ``wanted`` keeps (newest first), and how many there are."""
        r = reconciliation_runs
        query = select(r).where(r.c.org_path.like(f"{wanted.within}%"))
        if wanted.date_from is not None:
            query = query.where(r.c.date_to >= wanted.date_from)
        if wanted.date_to is not None:
            query = query.where(r.c.date_from <= wanted.date_to)
        if wanted.state == "clean":
            query = query.where(r.c.state == "done", r.c.open_count == 0)
        elif wanted.state == "open":
            query = query.where(r.c.state == "done", r.c.open_count > 0)
        elif wanted.state == "failed":
            query = query.where(r.c.state == "failed")
        total = int(
            self._connection.execute(
                select(func.count()).select_from(query.subquery())
            ).scalar_one()
        )
        rows = self._connection.execute(query.order_by(r.c.id.desc()).offset(offset).limit(limit))
        return list(rows), total

    def still_waiting(self, run_ids: Sequence[int], *, within: str) -> dict[int, int]:
        """Run id → how many of its differences in the subtree wait for a person now (open or
        waiting for a decision); runs with none are left out."""
        if not run_ids:
            return {}
        d, i = reconciliation_differences, reconciliation_items
        rows = self._connection.execute(
            select(d.c.run_id, func.count())
            .join(i, i.c.id == d.c.item_id)
            .where(
                d.c.run_id.in_(list(run_ids)),
                d.c.change != "cleared",
                d.c.org_path.like(f"{within}%"),
                i.c.state.in_(WAITING),
            )
            .group_by(d.c.run_id)
        )
        return {int(run_id): int(count) for run_id, count in rows}
