"""The figures of the console's 统计报表: payments summed in SQL by the place they were collected
at — collection point, agent, terminal — and state, over a range of business dates.

One aggregation reads the range along the ``business_date`` index and hashes it into a few
hundred groups (on PostgreSQL the extended statistics of migration 0009 tell the planner how few
there are); the caller rolls the groups up by station, agent or terminal. The names of what the
groups point at are read afterwards, a handful of rows by primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from gridpos.adapters.db.console.payment_search import PaymentScope
from gridpos.adapters.db.tables import agents, organisations, payments, terminals


@dataclass(frozen=True, slots=True)
class PlaceFigures:
    """The payments of one collection point, agent, terminal and state: how many, their cash,
    and how the cash was split (fen)."""

    org_id: int
    agent_id: int
    terminal_id: int
    state: str
    count: int
    cash: int
    penalty: int
    principal: int
    prepaid: int  # prepaid and rounding credit added, less used


@dataclass(frozen=True, slots=True)
class NamedRow:
    """An organisation, agent or terminal by id: its code, name (and, for an organisation, its
    level and path; for the others, the organisation they belong to)."""

    id: int
    code: str
    name: str
    level: str = ""
    path: str = ""
    org_id: int | None = None


class CollectionReports:
    """The aggregations of the collection reports, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def figures(
        self,
        *,
        date_from: date,
        date_to: date,
        scope: PaymentScope,
        agent_id: int | None = None,
    ) -> list[PlaceFigures]:
        """The payments of business dates ``date_from``..``date_to`` that ``scope`` keeps (and
        of one agent when ``agent_id``), summed by collection point, agent, terminal and
        state."""
        p = payments
        query = (
            select(
                p.c.org_id,
                p.c.agent_id,
                p.c.terminal_id,
                p.c.state,
                func.count().label("how_many"),
                func.sum(p.c.cash).label("cash"),
                func.sum(p.c.penalty_total).label("penalty"),
                func.sum(p.c.principal_total).label("principal"),
            )
            .where(p.c.business_date >= date_from, p.c.business_date <= date_to)
            .where(scope.condition)
            .group_by(p.c.org_id, p.c.agent_id, p.c.terminal_id, p.c.state)
        )
        if scope.by_path:
            query = query.select_from(p.join(organisations, organisations.c.id == p.c.org_id))
        if agent_id is not None:
            query = query.where(p.c.agent_id == agent_id)
        return [
            PlaceFigures(
                org_id=int(row.org_id),
                agent_id=int(row.agent_id),
                terminal_id=int(row.terminal_id),
                state=row.state,
                count=int(row.how_many),
                cash=int(row.cash or 0),
                penalty=int(row.penalty or 0),
                principal=int(row.principal or 0),
                # the table's money_conserved check: what was not penalty or principal is the
                # prepaid balance and rounding credit added, less what was used of them
                prepaid=int(row.cash or 0) - int(row.penalty or 0) - int(row.principal or 0),
            )
            for row in self._connection.execute(query)
        ]

    def organisations(self, ids: Iterable[int]) -> dict[int, NamedRow]:
        """The organisations ``ids``, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._connection.execute(
            select(
                organisations.c.id,
                organisations.c.code,
                organisations.c.name,
                organisations.c.level,
                organisations.c.path,
            ).where(organisations.c.id.in_(wanted))
        )
        return {
            int(r.id): NamedRow(id=int(r.id), code=r.code, name=r.name, level=r.level, path=r.path)
            for r in rows
        }

    def agents(self, ids: Iterable[int]) -> dict[int, NamedRow]:
        """The agents ``ids``, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._connection.execute(
            select(agents.c.id, agents.c.code, agents.c.name, agents.c.org_id).where(
                agents.c.id.in_(wanted)
            )
        )
        return {
            int(r.id): NamedRow(id=int(r.id), code=r.code, name=r.name, org_id=int(r.org_id))
            for r in rows
        }

    def terminals(self, ids: Iterable[int]) -> dict[int, NamedRow]:
        """The terminals ``ids``, by id (their code is the terminal number)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._connection.execute(
            select(terminals.c.id, terminals.c.terminal_no, terminals.c.org_id).where(
                terminals.c.id.in_(wanted)
            )
        )
        return {
            int(r.id): NamedRow(
                id=int(r.id), code=r.terminal_no, name=r.terminal_no, org_id=int(r.org_id)
            )
            for r in rows
        }
