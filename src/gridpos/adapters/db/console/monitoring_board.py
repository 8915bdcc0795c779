"""The figures of the live monitoring page, read in a handful of indexed queries.

- a page of collection points of a subtree (``organisations.path`` prefix, index with
  ``text_pattern_ops``), and for exactly those points: their terminals (index ``org_id``), today's
  confirmed payments, their agents' floats (index ``org_id``) and the open batch differences
  (partial index on open differences, migration 0006);
- the scope's totals and alerts: today's payments, terminals, agents with a float under their
  alert level, terminals silent too long, open differences;
- the MIS backlog: pending outbox rows (partial indexes on pending rows) and the oldest of them.

Today's payments are counted and summed from the collections kept per day and place
(``collection_day_totals``, migration 0012: a few hundred rows a day, kept by triggers in every
payment's transaction), not from the day's payments (20,000 on a busy county's day), so the page
and the live stream's once-a-second check stay cheap however busy the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select
from sqlalchemy.orm import aliased

from gridpos.adapters.db.tables import (
    agents,
    batch_differences,
    batches,
    collection_day_totals,
    organisations,
    outbox,
    payment_undos,
    terminals,
)

POINT_LEVEL = "collection_point"
ONE_SIDED = ("terminal_only", "server_only")
_station = aliased(organisations, name="station")
_day = collection_day_totals


@dataclass(frozen=True, slots=True)
class PointRow:
    """A collection point of the page, before its figures are added."""

    id: int
    code: str
    name: str
    station_name: str | None


@dataclass(frozen=True, slots=True)
class TerminalSeen:
    """One terminal's last contact and health."""

    org_id: int
    terminal_no: str
    last_seen_at: datetime | None
    signal: int | None
    queue_depth: int | None
    business_date: date | None


@dataclass(frozen=True, slots=True)
class Collected:
    """Confirmed payments: how many and how much."""

    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class FloatHeld:
    """The floats of a point's agents: available, held, and the alert level."""

    available: int
    held: int
    low_alert: int


@dataclass(frozen=True, slots=True)
class OpenDifferences:
    """Batches with differences still open, and how many of those are one-sided."""

    batches: int
    one_sided: int


@dataclass(frozen=True, slots=True)
class LowFloat:
    """An agent whose float is under its alert level."""

    agent_code: str
    agent_name: str
    point_name: str
    available: int
    low_alert: int


@dataclass(frozen=True, slots=True)
class SilentTerminal:
    """A terminal signed in for a business day but not heard from since ``last_seen_at``."""

    terminal_no: str
    point_name: str
    last_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class UnbalancedBatch:
    """A batch with differences still open."""

    terminal_no: str
    point_name: str
    business_date: date
    batch_no: int
    open_differences: int


@dataclass(frozen=True, slots=True)
class Backlog:
    """The outbox rows waiting for the MIS (counted up to a cap) and the oldest one."""

    pending: int
    oldest_at: datetime | None
    oldest_attempts: int
    oldest_error: str | None


class PointSort(StrEnum):
    """The orders a page of collection points can be read in."""

    CODE = "code"
    NAME = "name"
    QUIET = "quiet"  # the longest without contact first (never seen before all)
    AMOUNT = "amount"  # the most collected on the business date first


def _ordered(query: Any, sort: PointSort, on: date | None) -> Any:
    """``query`` of points in the ``sort`` order, then by code: each point's figure joined from
    one grouped pass (today's collections by point, kept per day and place; the active
    terminals by point), not a subquery per point."""
    if sort is PointSort.NAME:
        return query.order_by(organisations.c.name, organisations.c.code)
    if sort is PointSort.QUIET:
        seen = (
            select(terminals.c.org_id, func.max(terminals.c.last_seen_at).label("seen"))
            .where(terminals.c.state == "active")
            .group_by(terminals.c.org_id)
            .subquery("seen")
        )
        return query.outerjoin(seen, seen.c.org_id == organisations.c.id).order_by(
            seen.c.seen.is_not(None), seen.c.seen, organisations.c.code
        )
    if sort is PointSort.AMOUNT and on is not None:
        collected = (
            select(_day.c.org_id, func.sum(_day.c.cash).label("cash"))
            .where(_day.c.business_date == on, _day.c.state == "confirmed")
            .group_by(_day.c.org_id)
            .subquery("collected")
        )
        return query.outerjoin(collected, collected.c.org_id == organisations.c.id).order_by(
            func.coalesce(collected.c.cash, 0).desc(), organisations.c.code
        )
    return query.order_by(organisations.c.code)


def _in_subtree(path: str) -> ColumnElement[bool]:
    return organisations.c.path.startswith(path, autoescape=True)


class MonitoringBoard:
    """The monitoring page's queries through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- the page of collection points ---------------------------------------------------------

    def _points_query(
        self,
        *,
        path: str,
        search: str | None,
        online_since: datetime | None,
        offline_since: datetime | None,
    ) -> Any:
        query = (
            select(
                organisations.c.id,
                organisations.c.code,
                organisations.c.name,
                _station.c.name.label("station_name"),
            )
            .select_from(organisations)
            .outerjoin(_station, _station.c.id == organisations.c.parent_id)
            .where(organisations.c.level == POINT_LEVEL, _in_subtree(path))
        )
        if search:
            query = query.where(
                organisations.c.code.startswith(search, autoescape=True)
                | organisations.c.name.contains(search, autoescape=True)
            )
        active = and_(terminals.c.org_id == organisations.c.id, terminals.c.state == "active")
        if online_since is not None:
            query = query.where(
                select(terminals.c.id)
                .where(active, terminals.c.last_seen_at >= online_since)
                .exists()
            )
        if offline_since is not None:
            query = query.where(
                select(terminals.c.id).where(active).exists(),
                ~select(terminals.c.id)
                .where(active, terminals.c.last_seen_at >= offline_since)
                .exists(),
            )
        return query

    def points(
        self,
        *,
        path: str,
        search: str | None,
        offset: int,
        limit: int,
        sort: PointSort = PointSort.CODE,
        on: date | None = None,
        online_since: datetime | None = None,
        offline_since: datetime | None = None,
    ) -> list[PointRow]:
        """A page of the collection points of the subtree at ``path`` in the ``sort`` order
        (``on``: the business date of :attr:`PointSort.AMOUNT`), then by code."""
        query = self._points_query(
            path=path, search=search, online_since=online_since, offline_since=offline_since
        )
        rows = self._connection.execute(_ordered(query, sort, on).offset(offset).limit(limit))
        return [PointRow(int(row.id), row.code, row.name, row.station_name) for row in rows]

    def count_points(
        self,
        *,
        path: str,
        search: str | None,
        cap: int,
        online_since: datetime | None = None,
        offline_since: datetime | None = None,
    ) -> int:
        """How many points match, counted no further than ``cap`` + 1."""
        inner = (
            self._points_query(
                path=path, search=search, online_since=online_since, offline_since=offline_since
            )
            .limit(cap + 1)
            .subquery()
        )
        return int(self._connection.execute(select(func.count()).select_from(inner)).scalar_one())

    def terminals_of(self, point_ids: Sequence[int]) -> list[TerminalSeen]:
        """The active terminals of the points."""
        if not point_ids:
            return []
        rows = self._connection.execute(
            select(
                terminals.c.org_id,
                terminals.c.terminal_no,
                terminals.c.last_seen_at,
                terminals.c.signal,
                terminals.c.queue_depth,
                terminals.c.business_date,
            ).where(terminals.c.org_id.in_(list(point_ids)), terminals.c.state == "active")
        )
        return [
            TerminalSeen(
                int(row.org_id),
                row.terminal_no,
                row.last_seen_at,
                row.signal,
                row.queue_depth,
                row.business_date,
            )
            for row in rows
        ]

    def collected_by_point(self, point_ids: Sequence[int], *, on: date) -> dict[int, Collected]:
        """Confirmed payments of business date ``on`` by point."""
        if not point_ids:
            return {}
        count = func.sum(_day.c.payments)
        rows = self._connection.execute(
            select(_day.c.org_id, count, func.coalesce(func.sum(_day.c.cash), 0))
            .where(
                _day.c.org_id.in_(list(point_ids)),
                _day.c.business_date == on,
                _day.c.state == "confirmed",
            )
            .group_by(_day.c.org_id)
            .having(count > 0)
        )
        return {int(row[0]): Collected(int(row[1]), int(row[2])) for row in rows}

    def floats_by_point(self, point_ids: Sequence[int]) -> dict[int, FloatHeld]:
        """The floats of the points' agents (summed when a point has several)."""
        if not point_ids:
            return {}
        rows = self._connection.execute(
            select(
                agents.c.org_id,
                func.sum(agents.c.float_available),
                func.sum(agents.c.float_held),
                func.sum(agents.c.low_float_alert),
            )
            .where(agents.c.org_id.in_(list(point_ids)), agents.c.disabled.is_(False))
            .group_by(agents.c.org_id)
        )
        return {int(row[0]): FloatHeld(int(row[1]), int(row[2]), int(row[3])) for row in rows}

    def differences_by_point(self, point_ids: Sequence[int]) -> dict[int, OpenDifferences]:
        """Batches with open differences, and the open one-sided differences, by point."""
        if not point_ids:
            return {}
        d, b, t = batch_differences, batches, terminals
        rows = self._connection.execute(
            select(
                t.c.org_id,
                func.count(func.distinct(b.c.id)),
                func.count().filter(d.c.kind.in_(ONE_SIDED)),
            )
            .select_from(d.join(b, b.c.id == d.c.batch_id).join(t, t.c.id == b.c.terminal_id))
            .where(d.c.state == "open", t.c.org_id.in_(list(point_ids)))
            .group_by(t.c.org_id)
        )
        return {int(row[0]): OpenDifferences(int(row[1]), int(row[2])) for row in rows}

    # ---- the scope's totals -------------------------------------------------------------------

    def collected_in(self, *, path: str, on: date) -> Collected:
        """Confirmed payments of business date ``on`` in the subtree at ``path``."""
        row = self._connection.execute(
            select(
                func.coalesce(func.sum(_day.c.payments), 0), func.coalesce(func.sum(_day.c.cash), 0)
            )
            .select_from(_day.join(organisations, organisations.c.id == _day.c.org_id))
            .where(_day.c.business_date == on, _day.c.state == "confirmed", _in_subtree(path))
        ).one()
        return Collected(int(row[0]), int(row[1]))

    def terminal_figures(self, *, path: str, online_since: datetime) -> tuple[int, int, int]:
        """Active terminals of the subtree: how many, how many online, journal rows waiting."""
        row = self._connection.execute(
            select(
                func.count(),
                func.count().filter(terminals.c.last_seen_at >= online_since),
                func.coalesce(func.sum(terminals.c.queue_depth), 0),
            )
            .select_from(terminals.join(organisations, organisations.c.id == terminals.c.org_id))
            .where(terminals.c.state == "active", _in_subtree(path))
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    def float_figures(self, *, path: str) -> tuple[int, int]:
        """The floats of the subtree's agents: available and held."""
        row = self._connection.execute(
            select(
                func.coalesce(func.sum(agents.c.float_available), 0),
                func.coalesce(func.sum(agents.c.float_held), 0),
            )
            .select_from(agents.join(organisations, organisations.c.id == agents.c.org_id))
            .where(agents.c.disabled.is_(False), _in_subtree(path))
        ).one()
        return int(row[0]), int(row[1])

    def low_floats(self, *, path: str, limit: int) -> list[LowFloat]:
        """Agents of the subtree whose float is under their (non-zero) alert level."""
        rows = self._connection.execute(
            select(
                agents.c.code,
                agents.c.name,
                organisations.c.name.label("point_name"),
                agents.c.float_available,
                agents.c.low_float_alert,
            )
            .select_from(agents.join(organisations, organisations.c.id == agents.c.org_id))
            .where(
                agents.c.disabled.is_(False),
                agents.c.low_float_alert > 0,
                agents.c.float_available < agents.c.low_float_alert,
                _in_subtree(path),
            )
            .order_by(agents.c.code)
            .limit(limit)
        )
        return [
            LowFloat(
                row.code,
                row.name,
                row.point_name,
                int(row.float_available),
                int(row.low_float_alert),
            )
            for row in rows
        ]

    def silent_terminals(
        self, *, path: str, silent_since: datetime, limit: int
    ) -> list[SilentTerminal]:
        """Active terminals of the subtree signed in for a day but not heard from since
        ``silent_since``, the longest silent first."""
        rows = self._connection.execute(
            select(terminals.c.terminal_no, organisations.c.name, terminals.c.last_seen_at)
            .select_from(terminals.join(organisations, organisations.c.id == terminals.c.org_id))
            .where(
                terminals.c.state == "active",
                terminals.c.business_date.is_not(None),
                (terminals.c.last_seen_at < silent_since) | terminals.c.last_seen_at.is_(None),
                _in_subtree(path),
            )
            .order_by(terminals.c.last_seen_at)
            .limit(limit)
        )
        return [SilentTerminal(row[0], row[1], row[2]) for row in rows]

    def unbalanced_batches(self, *, path: str, limit: int) -> tuple[list[UnbalancedBatch], int]:
        """Batches of the subtree with open differences (oldest first, at most ``limit``), and
        how many open one-sided differences there are in all."""
        d, b, t = batch_differences, batches, terminals
        joined = (
            d.join(b, b.c.id == d.c.batch_id)
            .join(t, t.c.id == b.c.terminal_id)
            .join(organisations, organisations.c.id == t.c.org_id)
        )
        rows = self._connection.execute(
            select(
                t.c.terminal_no, organisations.c.name, b.c.business_date, b.c.batch_no, func.count()
            )
            .select_from(joined)
            .where(d.c.state == "open", _in_subtree(path))
            .group_by(t.c.terminal_no, organisations.c.name, b.c.business_date, b.c.batch_no)
            .order_by(b.c.business_date, t.c.terminal_no, b.c.batch_no)
            .limit(limit)
        )
        listed = [UnbalancedBatch(row[0], row[1], row[2], int(row[3]), int(row[4])) for row in rows]
        one_sided = self._connection.execute(
            select(func.count())
            .select_from(joined)
            .where(d.c.state == "open", d.c.kind.in_(ONE_SIDED), _in_subtree(path))
        ).scalar_one()
        return listed, int(one_sided)

    # ---- the MIS ---------------------------------------------------------------------------------

    def backlog(self, *, cap: int) -> Backlog:
        """The outbox rows waiting for the MIS (counted up to ``cap`` + 1) and the oldest."""
        pending = outbox.c.state == "pending"
        count = self._connection.execute(
            select(func.count()).select_from(
                select(outbox.c.id).where(pending).limit(cap + 1).subquery()
            )
        ).scalar_one()
        oldest = self._connection.execute(
            select(outbox.c.created_at, outbox.c.attempts, outbox.c.last_error)
            .where(pending)
            .order_by(outbox.c.created_at)
            .limit(1)
        ).first()
        if oldest is None:
            return Backlog(int(count), None, 0, None)
        return Backlog(int(count), oldest.created_at, int(oldest.attempts), oldest.last_error)

    # ---- what changed ----------------------------------------------------------------------------

    def change_marks(self, *, on: date) -> tuple[int, ...]:
        """Cheap figures that move whenever a payment, an undo, a batch or a difference is
        written: today's payments, the newest undo and batch, the open differences."""
        payments_today = self._connection.execute(
            select(func.coalesce(func.sum(_day.c.payments), 0)).where(_day.c.business_date == on)
        ).scalar_one()
        newest_batch = self._connection.execute(
            select(func.coalesce(func.max(batches.c.id), 0))
        ).scalar_one()
        newest_undo = self._connection.execute(
            select(func.coalesce(func.max(payment_undos.c.id), 0))
        ).scalar_one()
        open_differences = self._connection.execute(
            select(func.count()).where(batch_differences.c.state == "open")
        ).scalar_one()
        return int(payments_today), int(newest_batch), int(newest_undo), int(open_differences)
