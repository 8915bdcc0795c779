"""Agents' cash handovers (T+1), and what an agent's payments and their undos come to per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select

from gridpos.adapters.db.tables import (
    agents,
    cash_handovers,
    operators,
    organisations,
    payment_undos,
    payments,
)


@dataclass(frozen=True, slots=True)
class AgentPlace:
    """An agent and where it stands in the tree."""

    id: int
    code: str
    name: str
    org_path: str


@dataclass(frozen=True, slots=True)
class HandoverRow:
    """One handover as recorded."""

    id: int
    covers_date: date
    amount: int
    received_on: date
    received_by_name: str
    recorded_at: datetime
    note: str


class HandoverStore:
    """Handovers and an agent's daily figures, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def agent(self, code: str) -> AgentPlace | None:
        """The agent with ``code``, or None."""
        row = self._connection.execute(
            select(agents.c.id, agents.c.code, agents.c.name, organisations.c.path)
            .join(organisations, organisations.c.id == agents.c.org_id)
            .where(agents.c.code == code)
        ).first()
        if row is None:
            return None
        return AgentPlace(id=int(row.id), code=row.code, name=row.name, org_path=row.path)

    def add(
        self,
        *,
        agent_id: int,
        covers_date: date,
        amount: int,
        received_on: date,
        received_by: int,
        now: datetime,
        note: str,
    ) -> int:
        """Record a handover; its id."""
        return int(
            self._connection.execute(
                insert(cash_handovers)
                .values(
                    agent_id=agent_id,
                    covers_date=covers_date,
                    amount=amount,
                    received_on=received_on,
                    received_by=received_by,
                    recorded_at=now,
                    note=note,
                )
                .returning(cash_handovers.c.id)
            ).scalar_one()
        )

    def of_agent(self, agent_id: int, date_from: date, date_to: date) -> list[HandoverRow]:
        """The agent's handovers covering days of the range, by day."""
        h = cash_handovers
        rows = self._connection.execute(
            select(h, operators.c.name.label("received_by_name"))
            .join(operators, operators.c.id == h.c.received_by)
            .where(h.c.agent_id == agent_id, h.c.covers_date.between(date_from, date_to))
            .order_by(h.c.covers_date, h.c.id)
        )
        return [
            HandoverRow(
                id=int(row.id),
                covers_date=row.covers_date,
                amount=int(row.amount),
                received_on=row.received_on,
                received_by_name=row.received_by_name,
                recorded_at=row.recorded_at,
                note=row.note,
            )
            for row in rows
        ]

    def collected(self, agent_id: int, date_from: date, date_to: date) -> dict[date, int]:
        """The cash of the agent's payments per business date (whatever became of them)."""
        rows = self._connection.execute(
            select(payments.c.business_date, func.sum(payments.c.cash))
            .where(
                payments.c.agent_id == agent_id,
                payments.c.business_date.between(date_from, date_to),
            )
            .group_by(payments.c.business_date)
        )
        return {day: int(total) for day, total in rows}

    def undone(self, agent_id: int, date_from: date, date_to: date) -> dict[date, int]:
        """The cash of the agent's payments undone per business date of the undo."""
        rows = self._connection.execute(
            select(payment_undos.c.business_date, func.sum(payments.c.cash))
            .join(payments, payments.c.id == payment_undos.c.payment_id)
            .where(
                payments.c.agent_id == agent_id,
                payment_undos.c.business_date.between(date_from, date_to),
            )
            .group_by(payment_undos.c.business_date)
        )
        return {day: int(total) for day, total in rows}
