"""Admin queries of the POS terminals: one page of a filtered, sorted list, and one terminal with
its last heartbeat, its key's version and its pending enrolment code (never the key itself).

Adding a terminal, its enrolment code and its state go through
:class:`~gridpos.adapters.db.terminal_store.TerminalStore`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select

from gridpos.adapters.db.tables import agents, organisations, terminals


class TerminalSort(StrEnum):
    """The orders a terminal list can be read in."""

    NUMBER = "number"
    LAST_SEEN = "last_seen"
    ORGANISATION = "organisation"
    STATE = "state"


@dataclass(frozen=True, slots=True)
class TerminalFilter:
    """Which terminals a list shows. ``root_path`` is always set: the subtree to look in."""

    root_path: str
    search: str | None = None  # terminal number (start) or agent code / name
    state: str | None = None
    agent_id: int | None = None  # only this agent's (an agent's own view)
    silent_since: datetime | None = None  # only those not seen since then (or never)


@dataclass(frozen=True, slots=True)
class TerminalRow:
    """A terminal as the console shows it."""

    id: int
    terminal_no: str
    state: str
    org_id: int
    org_code: str
    org_name: str
    org_path: str
    agent_id: int | None
    agent_code: str | None
    agent_name: str | None
    key_version: int
    enrolment_expires_at: datetime | None
    last_seen_at: datetime | None
    signal: int | None
    battery: int | None
    queue_depth: int | None
    program_version: str | None
    business_date: date | None

    @property
    def enrolled(self) -> bool:
        """Whether the terminal holds a key (it has enrolled at least once)."""
        return self.key_version > 0


_COLUMNS = (
    terminals.c.id,
    terminals.c.terminal_no,
    terminals.c.state,
    terminals.c.org_id,
    organisations.c.code.label("org_code"),
    organisations.c.name.label("org_name"),
    organisations.c.path.label("org_path"),
    terminals.c.agent_id,
    agents.c.code.label("agent_code"),
    agents.c.name.label("agent_name"),
    terminals.c.key_version,
    terminals.c.enrolment_expires_at,
    terminals.c.last_seen_at,
    terminals.c.signal,
    terminals.c.battery,
    terminals.c.queue_depth,
    terminals.c.program_version,
    terminals.c.business_date,
)
_FROM = terminals.join(organisations, organisations.c.id == terminals.c.org_id).outerjoin(
    agents, agents.c.id == terminals.c.agent_id
)
_SORT_COLUMNS: dict[TerminalSort, Any] = {
    TerminalSort.NUMBER: terminals.c.terminal_no,
    TerminalSort.LAST_SEEN: terminals.c.last_seen_at,
    TerminalSort.ORGANISATION: organisations.c.code,
    TerminalSort.STATE: terminals.c.state,
}


def _row(row: Any) -> TerminalRow:
    return TerminalRow(
        id=int(row.id),
        terminal_no=row.terminal_no,
        state=row.state,
        org_id=int(row.org_id),
        org_code=row.org_code,
        org_name=row.org_name,
        org_path=row.org_path,
        agent_id=None if row.agent_id is None else int(row.agent_id),
        agent_code=row.agent_code,
        agent_name=row.agent_name,
        key_version=int(row.key_version),
        enrolment_expires_at=row.enrolment_expires_at,
        last_seen_at=row.last_seen_at,
        signal=row.signal,
        battery=row.battery,
        queue_depth=row.queue_depth,
        program_version=row.program_version,
        business_date=row.business_date,
    )


def _conditions(wanted: TerminalFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [organisations.c.path.startswith(wanted.root_path)]
    if wanted.search:
        conditions.append(
            or_(
                terminals.c.terminal_no.startswith(wanted.search, autoescape=True),
                agents.c.code.icontains(wanted.search, autoescape=True),
                agents.c.name.icontains(wanted.search, autoescape=True),
            )
        )
    if wanted.state:
        conditions.append(terminals.c.state == wanted.state)
    if wanted.agent_id is not None:
        conditions.append(terminals.c.agent_id == wanted.agent_id)
    if wanted.silent_since is not None:
        conditions.append(
            or_(terminals.c.last_seen_at.is_(None), terminals.c.last_seen_at < wanted.silent_since)
        )
    return conditions


class TerminalAdmin:
    """Terminals for the console, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def page(
        self,
        wanted: TerminalFilter,
        *,
        sort: TerminalSort,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[list[TerminalRow], int]:
        """One page of the terminals ``wanted`` selects, and how many it selects."""
        conditions = _conditions(wanted)
        total = int(
            self._connection.execute(
                select(func.count()).select_from(_FROM).where(*conditions)
            ).scalar_one()
        )
        column = _SORT_COLUMNS[sort]
        order = column.desc() if descending else column.asc()
        if sort is TerminalSort.LAST_SEEN:  # never seen: last, whichever the direction
            order = order.nulls_last()
        rows = self._connection.execute(
            select(*_COLUMNS)
            .select_from(_FROM)
            .where(*conditions)
            .order_by(order, terminals.c.terminal_no)
            .offset(offset)
            .limit(limit)
        )
        return [_row(row) for row in rows], total

    def by_id(self, terminal_id: int) -> TerminalRow | None:
        """The terminal ``terminal_id``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(terminals.c.id == terminal_id)
        ).first()
        return None if row is None else _row(row)

    def number_taken(self, terminal_no: str) -> bool:
        """Whether a terminal already has this number."""
        return (
            self._connection.execute(
                select(terminals.c.id).where(terminals.c.terminal_no == terminal_no)
            ).first()
            is not None
        )
