"""The figures of the console's 统计报表: payments summed in SQL by the place they were collected
at — collection point, agent, terminal — and state, over a range of business dates.

The sums are read from ``collection_day_totals`` (the day's payments by place and state, kept by
the triggers of migration 0012): a month is a few thousand of its rows along the primary key's
``business_date``, however many payments the month had. The caller rolls the groups up by
station, agent or terminal. The names of what the groups point at are read afterwards, a
handful of rows by primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from gridpos.adapters.db.console.payment_search import PaymentScope
from gridpos.adapters.db.tables import (
    agents,
    collection_day_totals,
    organisations,
    terminals,
)


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
        t = collection_day_totals
        how_many = func.sum(t.c.payments)
        query = (
            select(
                t.c.org_id,
                t.c.agent_id,
                t.c.terminal_id,
                t.c.state,
                how_many.label("how_many"),
                func.sum(t.c.cash).label("cash"),
                func.sum(t.c.penalty).label("penalty"),
                func.sum(t.c.principal).label("principal"),
            )
            .where(t.c.business_date >= date_from, t.c.business_date <= date_to)
            .where(scope.of(t.c.org_id))
            .group_by(t.c.org_id, t.c.agent_id, t.c.terminal_id, t.c.state)
            .having(how_many > 0)
        )
        if scope.by_path:
            query = query.select_from(t.join(organisations, organisations.c.id == t.c.org_id))
        if agent_id is not None:
            query = query.where(t.c.agent_id == agent_id)
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

    def organisations_under(self, root_path: str, *, limit: int) -> dict[int, NamedRow] | None:
        """The organisations under ``root_path`` (the root included), by id; None when there
        are more than ``limit`` of them."""
        rows = self._connection.execute(
            select(
                organisations.c.id,
                organisations.c.code,
                organisations.c.name,
                organisations.c.level,
                organisations.c.path,
            )
            .where(organisations.c.path.startswith(root_path, autoescape=True))
            .limit(limit + 1)
        ).all()
        if len(rows) > limit:
            return None
        return {
            int(r.id): NamedRow(id=int(r.id), code=r.code, name=r.name, level=r.level, path=r.path)
            for r in rows
        }

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
