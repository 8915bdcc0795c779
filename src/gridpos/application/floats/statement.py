"""The agent's float statement (代理商备付金对账单) for a range of business dates, from the ledger.

The float is the agent's available and held float together (a hold or release moves money between
the two and leaves the float as it was). For the range ``date_from``..``date_to``::

    opening + top-ups − collections + undos = closing

*opening* is the credit balance of the agent's float accounts before ``date_from``, summed from
the journal; *top-ups*, *collections* (payments, offline ones included) and *undos* (reversals,
voids, cancellations) are the journal's movements in the range, by kind; *closing* is taken from
the kept balances (``float_available + float_held`` now) less every movement after ``date_to``.
The two sides come from different records, so :attr:`FloatStatement.balanced` is a real check: it
fails if a kept balance ever drifted from the journal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Engine, func, select

from gridpos.adapters.db.tables import agents, ledger_entries, ledger_transactions
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.floats._access import FloatError
from gridpos.domain.accounts import AccountKind
from gridpos.domain.ledger import EventKind

MAX_DAYS: Final = 366
_FLOAT_ACCOUNTS: Final = (AccountKind.AGENT_FLOAT.value, AccountKind.AGENT_FLOAT_HELD.value)
_TOPUPS: Final = frozenset({EventKind.FLOAT_TOPUP.value})
_COLLECTIONS: Final = frozenset({EventKind.PAYMENT.value, EventKind.OFFLINE_PAYMENT.value})
_UNDOS: Final = frozenset(
    {EventKind.REVERSAL.value, EventKind.VOID.value, EventKind.CANCELLATION.value}
)


@dataclass(frozen=True, slots=True)
class StatementDay:
    """One business date of the statement: its movements and the float at its end."""

    business_date: date
    topups: int
    collections: int
    undos: int
    other: int
    closing: int


@dataclass(frozen=True, slots=True)
class FloatStatement:
    """An agent's float over a range of business dates, fen."""

    agent_id: int
    agent_code: str
    agent_name: str
    date_from: date
    date_to: date
    opening: int
    topups: int
    collections: int  # money collected from customers: the float went down by it
    undos: int  # reversals, voids and cancellations: the float came back up by it
    other: int  # any other movement of the float (none in the chart of accounts today)
    closing: int
    held_closing: int  # of the closing float, how much was held for offline collection
    days: tuple[StatementDay, ...]

    @property
    def expected_closing(self) -> int:
        return self.opening + self.topups - self.collections + self.undos + self.other

    @property
    def balanced(self) -> bool:
        """opening + top-ups − collections + undos = closing."""
        return self.expected_closing == self.closing


def float_statement(
    engine: Engine, *, agent_id: int, date_from: date, date_to: date
) -> FloatStatement:
    """The agent's float statement from ``date_from`` to ``date_to`` (business dates, inclusive).

    Raises :class:`~gridpos.application.floats.FloatError`: ``date_range_invalid`` (the end
    before the start, or more than 366 days), ``agent_unknown``.
    """
    if date_to < date_from or (date_to - date_from).days >= MAX_DAYS:
        raise FloatError(
            code="date_range_invalid",
            field="date_to",
            message_zh=f"日期范围无效：须从早到晚且不超过 {MAX_DAYS} 天",
            message_en=f"the date range must run forwards and span at most {MAX_DAYS} days",
            details={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        )
    t, e = ledger_transactions, ledger_entries
    with SqlUnitOfWork(engine, write=False) as uow:
        agent = uow.connection.execute(
            select(agents.c.code, agents.c.name, agents.c.float_available, agents.c.float_held)
            .where(agents.c.id == agent_id)
        ).first()  # fmt: skip
        if agent is None:
            raise FloatError(
                code="agent_unknown",
                field="agent_id",
                message_zh=f"代理商 {agent_id} 不存在",
                message_en=f"there is no agent {agent_id}",
                details={"agent_id": agent_id},
            )
        float_entries = (
            e.c.account_kind.in_(_FLOAT_ACCOUNTS),
            e.c.owner_id == agent_id,
        )
        before = uow.connection.execute(
            select(func.coalesce(func.sum(e.c.amount), 0))
            .join(t, t.c.id == e.c.transaction_id)
            .where(*float_entries, t.c.business_date < date_from)
        ).scalar_one()
        after = uow.connection.execute(
            select(
                func.coalesce(func.sum(e.c.amount), 0),
                func.coalesce(
                    func.sum(e.c.amount).filter(
                        e.c.account_kind == AccountKind.AGENT_FLOAT_HELD.value
                    ),
                    0,
                ),
            )
            .join(t, t.c.id == e.c.transaction_id)
            .where(*float_entries, t.c.business_date > date_to)
        ).one()
        movements = uow.connection.execute(
            select(t.c.business_date, t.c.kind, func.sum(e.c.amount))
            .join(t, t.c.id == e.c.transaction_id)
            .where(*float_entries, t.c.business_date.between(date_from, date_to))
            .group_by(t.c.business_date, t.c.kind)
            .order_by(t.c.business_date)
        ).all()
    # an entry is a debit when positive; the float is a credit balance: minus the entries
    opening = -int(before)
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for business_date, kind, total in movements:
        by_day[business_date][_column(kind)] += -int(total)
    days: list[StatementDay] = []
    running = opening
    for business_date in sorted(by_day):
        moved = by_day[business_date]
        collections = -moved["collections"]
        running += moved["topups"] - collections + moved["undos"] + moved["other"]
        days.append(
            StatementDay(
                business_date=business_date,
                topups=moved["topups"],
                collections=collections,
                undos=moved["undos"],
                other=moved["other"],
                closing=running,
            )
        )
    return FloatStatement(
        agent_id=agent_id,
        agent_code=agent.code,
        agent_name=agent.name,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        topups=sum(day.topups for day in days),
        collections=sum(day.collections for day in days),
        undos=sum(day.undos for day in days),
        other=sum(day.other for day in days),
        closing=int(agent.float_available) + int(agent.float_held) + int(after[0]),
        held_closing=int(agent.float_held) + int(after[1]),
        days=tuple(days),
    )


def _column(kind: str) -> str:
    if kind in _TOPUPS:
        return "topups"
    if kind in _COLLECTIONS:
        return "collections"
    if kind in _UNDOS:
        return "undos"
    return "other"  # holds and releases net to zero over the two float accounts
