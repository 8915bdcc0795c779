"""Admin queries of the agents (代理商): one page of a filtered, sorted list; an agent with its
operators, terminals, top-up requests and recent collections; create, edit, disable.

Every list is limited to a subtree of the organisation tree (``root_path``). Agents are few (a
few hundred a county), so a page is an offset page over the ``org_id`` index with an exact count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from gridpos.adapters.db.tables import (
    agents,
    customers,
    float_topups,
    operators,
    organisations,
    payments,
    terminals,
)


class AgentSort(StrEnum):
    """The orders an agent list can be read in."""

    CODE = "code"
    NAME = "name"
    FLOAT = "float"
    ORGANISATION = "organisation"


@dataclass(frozen=True, slots=True)
class AgentFilter:
    """Which agents a list shows. ``root_path`` is always set: the subtree to look in."""

    root_path: str
    search: str | None = None  # code or name, anywhere
    disabled: bool | None = None
    float_low: bool = False  # float available below the agent's alert level
    pending_topup: bool = False  # a top-up request waits for a decision
    agent_id: int | None = None  # only this agent (an agent's own view)


@dataclass(frozen=True, slots=True)
class AgentRow:
    """An agent as the list and the detail page show it (amounts in fen)."""

    id: int
    code: str
    name: str
    phone: str | None
    org_id: int
    org_code: str
    org_name: str
    org_path: str
    float_available: int
    float_held: int
    commission_accrued: int
    low_float_alert: int
    disabled: bool

    @property
    def float_low(self) -> bool:
        return self.float_available < self.low_float_alert


@dataclass(frozen=True, slots=True)
class AgentOperatorRow:
    """An operator account acting for an agent (signs in on terminals)."""

    id: int
    account: str
    name: str
    disabled: bool


@dataclass(frozen=True, slots=True)
class AgentTerminalRow:
    """A terminal collecting for an agent."""

    id: int
    terminal_no: str
    state: str
    last_seen_at: datetime | None
    org_name: str


@dataclass(frozen=True, slots=True)
class TopupRow:
    """A float top-up request and its decision."""

    id: int
    agent_id: int
    amount: int
    state: str
    note: str
    requested_by: int
    requested_by_name: str
    requested_at: datetime
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class CollectionRow:
    """One payment an agent's terminal collected."""

    id: int
    business_date: date
    recorded_at: datetime
    trace_no: int
    terminal_no: str
    account_no: str
    customer_name: str
    cash: int
    state: str
    offline: bool


_COLUMNS = (
    agents.c.id,
    agents.c.code,
    agents.c.name,
    agents.c.phone,
    agents.c.org_id,
    organisations.c.code.label("org_code"),
    organisations.c.name.label("org_name"),
    organisations.c.path.label("org_path"),
    agents.c.float_available,
    agents.c.float_held,
    agents.c.commission_accrued,
    agents.c.low_float_alert,
    agents.c.disabled,
)
_FROM = agents.join(organisations, organisations.c.id == agents.c.org_id)
_SORT_COLUMNS: dict[AgentSort, Any] = {
    AgentSort.CODE: agents.c.code,
    AgentSort.NAME: agents.c.name,
    AgentSort.FLOAT: agents.c.float_available,
    AgentSort.ORGANISATION: organisations.c.code,
}


def _row(row: Any) -> AgentRow:
    return AgentRow(
        id=int(row.id),
        code=row.code,
        name=row.name,
        phone=row.phone,
        org_id=int(row.org_id),
        org_code=row.org_code,
        org_name=row.org_name,
        org_path=row.org_path,
        float_available=int(row.float_available),
        float_held=int(row.float_held),
        commission_accrued=int(row.commission_accrued),
        low_float_alert=int(row.low_float_alert),
        disabled=bool(row.disabled),
    )


def _conditions(wanted: AgentFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [organisations.c.path.startswith(wanted.root_path)]
    if wanted.search:
        conditions.append(
            or_(
                agents.c.code.icontains(wanted.search, autoescape=True),
                agents.c.name.icontains(wanted.search, autoescape=True),
            )
        )
    if wanted.disabled is not None:
        conditions.append(agents.c.disabled.is_(wanted.disabled))
    if wanted.float_low:
        conditions.append(agents.c.float_available < agents.c.low_float_alert)
    if wanted.pending_topup:
        conditions.append(
            agents.c.id.in_(
                select(float_topups.c.agent_id).where(float_topups.c.state == "requested")
            )
        )
    if wanted.agent_id is not None:
        conditions.append(agents.c.id == wanted.agent_id)
    return conditions


class AgentAdmin:
    """Agents for the console, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- reading ---------------------------------------------------------------------------

    def page(
        self, wanted: AgentFilter, *, sort: AgentSort, descending: bool, offset: int, limit: int
    ) -> tuple[list[AgentRow], int]:
        """One page of the agents ``wanted`` selects, and how many it selects."""
        conditions = _conditions(wanted)
        total = int(
            self._connection.execute(
                select(func.count()).select_from(_FROM).where(*conditions)
            ).scalar_one()
        )
        column = _SORT_COLUMNS[sort]
        rows = self._connection.execute(
            select(*_COLUMNS)
            .select_from(_FROM)
            .where(*conditions)
            .order_by(column.desc() if descending else column.asc(), agents.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_row(row) for row in rows], total

    def by_id(self, agent_id: int) -> AgentRow | None:
        """The agent ``agent_id``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(agents.c.id == agent_id)
        ).first()
        return None if row is None else _row(row)

    def by_code(self, code: str) -> AgentRow | None:
        """The agent with ``code``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(agents.c.code == code)
        ).first()
        return None if row is None else _row(row)

    def pending_topups(self, agent_ids: Sequence[int]) -> dict[int, int]:
        """How many top-up requests wait for a decision, by agent (only agents with some)."""
        if not agent_ids:
            return {}
        rows = self._connection.execute(
            select(float_topups.c.agent_id, func.count())
            .where(float_topups.c.agent_id.in_(list(agent_ids)))
            .where(float_topups.c.state == "requested")
            .group_by(float_topups.c.agent_id)
        )
        return {int(agent_id): int(count) for agent_id, count in rows}

    def operators_of(self, agent_id: int) -> list[AgentOperatorRow]:
        """The operator accounts acting for the agent, by account."""
        rows = self._connection.execute(
            select(operators.c.id, operators.c.account, operators.c.name, operators.c.disabled)
            .where(operators.c.agent_id == agent_id)
            .where(operators.c.role == "agent")
            .order_by(operators.c.account, operators.c.id)
        )
        return [
            AgentOperatorRow(
                id=int(r.id), account=r.account, name=r.name, disabled=bool(r.disabled)
            )
            for r in rows
        ]

    def terminals_of(self, agent_id: int, *, limit: int) -> list[AgentTerminalRow]:
        """The agent's terminals by number, at most ``limit``."""
        rows = self._connection.execute(
            select(
                terminals.c.id,
                terminals.c.terminal_no,
                terminals.c.state,
                terminals.c.last_seen_at,
                organisations.c.name.label("org_name"),
            )
            .select_from(terminals.join(organisations, organisations.c.id == terminals.c.org_id))
            .where(terminals.c.agent_id == agent_id)
            .order_by(terminals.c.terminal_no)
            .limit(limit)
        )
        return [
            AgentTerminalRow(
                id=int(r.id),
                terminal_no=r.terminal_no,
                state=r.state,
                last_seen_at=r.last_seen_at,
                org_name=r.org_name,
            )
            for r in rows
        ]

    def topups_of(self, agent_id: int, *, limit: int) -> list[TopupRow]:
        """The agent's top-up requests, newest first, at most ``limit`` (waiting ones first)."""
        requester = aliased(operators)
        decider = aliased(operators)
        rows = self._connection.execute(
            select(
                float_topups,
                requester.c.name.label("requested_by_name"),
                decider.c.name.label("decided_by_name"),
            )
            .select_from(
                float_topups.join(
                    requester, requester.c.id == float_topups.c.requested_by
                ).outerjoin(decider, decider.c.id == float_topups.c.decided_by)
            )
            .where(float_topups.c.agent_id == agent_id)
            .order_by(
                (float_topups.c.state == "requested").desc(),
                float_topups.c.requested_at.desc(),
                float_topups.c.id.desc(),
            )
            .limit(limit)
        )
        return [
            TopupRow(
                id=int(r.id),
                agent_id=int(r.agent_id),
                amount=int(r.amount),
                state=r.state,
                note=r.note,
                requested_by=int(r.requested_by),
                requested_by_name=r.requested_by_name,
                requested_at=r.requested_at,
                decided_by=None if r.decided_by is None else int(r.decided_by),
                decided_by_name=r.decided_by_name,
                decided_at=r.decided_at,
            )
            for r in rows
        ]

    def topup_agent(self, topup_id: int) -> int | None:
        """The agent a top-up request is for, or None for an unknown request."""
        found = self._connection.execute(
            select(float_topups.c.agent_id).where(float_topups.c.id == topup_id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def collections(
        self, agent_id: int, *, date_from: date, date_to: date, offset: int, limit: int
    ) -> list[CollectionRow]:
        """The agent's payments between two business dates, newest first (index ``agent_id,
        business_date``); at most ``limit`` from ``offset``."""
        rows = self._connection.execute(
            select(
                payments.c.id,
                payments.c.business_date,
                payments.c.recorded_at,
                payments.c.trace_no,
                terminals.c.terminal_no,
                customers.c.account_no,
                customers.c.name.label("customer_name"),
                payments.c.cash,
                payments.c.state,
                payments.c.offline,
            )
            .select_from(
                payments.join(terminals, terminals.c.id == payments.c.terminal_id).join(
                    customers, customers.c.id == payments.c.customer_id
                )
            )
            .where(payments.c.agent_id == agent_id)
            .where(payments.c.business_date.between(date_from, date_to))
            .order_by(payments.c.business_date.desc(), payments.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            CollectionRow(
                id=int(r.id),
                business_date=r.business_date,
                recorded_at=r.recorded_at,
                trace_no=int(r.trace_no),
                terminal_no=r.terminal_no,
                account_no=r.account_no,
                customer_name=r.customer_name,
                cash=int(r.cash),
                state=r.state,
                offline=bool(r.offline),
            )
            for r in rows
        ]

    # ---- writing ---------------------------------------------------------------------------

    def add(
        self, *, org_id: int, code: str, name: str, phone: str | None, low_float_alert: int
    ) -> int:
        """A new agent with an empty float; its id."""
        return int(
            self._connection.execute(
                insert(agents)
                .values(
                    org_id=org_id,
                    code=code,
                    name=name,
                    phone=phone,
                    low_float_alert=low_float_alert,
                )
                .returning(agents.c.id)
            ).scalar_one()
        )

    def edit(self, agent_id: int, *, name: str, phone: str | None, low_float_alert: int) -> None:
        """Change the agent's name, phone and float alert level."""
        self._connection.execute(
            update(agents)
            .where(agents.c.id == agent_id)
            .values(name=name, phone=phone, low_float_alert=low_float_alert)
        )

    def set_disabled(self, agent_id: int, *, disabled: bool) -> None:
        """Disable or enable the agent."""
        self._connection.execute(
            update(agents).where(agents.c.id == agent_id).values(disabled=disabled)
        )

    def disable_operators(self, agent_id: int) -> list[int]:
        """Disable every enabled operator acting for the agent; their ids."""
        ids = [
            int(found)
            for found in self._connection.execute(
                select(operators.c.id)
                .where(operators.c.agent_id == agent_id)
                .where(operators.c.disabled.is_(False))
            ).scalars()
        ]
        if ids:
            self._connection.execute(
                update(operators).where(operators.c.id.in_(ids)).values(disabled=True)
            )
        return ids
