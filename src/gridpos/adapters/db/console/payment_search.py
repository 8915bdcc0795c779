"""Finding payments for the console's 收费明细, only ever along an index, newest first (or oldest
first) in keyset pages.

Every search is bounded by a range of business dates (the caller caps its length) and by an
organisation subtree; it may narrow to an agent, a terminal, a customer or a state. The order
is ``(business_date, id)``, read from the index of the same name; a page continues after (or
before) the last row seen, so page 500 costs what page 1 costs. The narrowest filter picks the
index: a customer's payments (``customer_id``), an agent's (``agent_id, business_date``), a
terminal's (``business_date, terminal_id``), the payments not confirmed (a partial index: they
are few), else the dates themselves (``business_date, id``).

The subtree is the organisations under ``root_path``. When it holds few nodes (a county, a
station) the payments are matched by ``org_id IN (…)``; a larger one (a province) is joined to
its organisations by path prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Select, func, select, tuple_

from gridpos.adapters.db.tables import (
    agents,
    customers,
    organisations,
    payments,
    terminals,
)

SCOPE_IDS_MAX: Final = 2_000  # above this many nodes, the subtree is matched by path
NOT_CONFIRMED: Final = ("pending", "unknown", "rejected", "reversed", "voided", "cancelled")


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """What a payment search keeps: business dates ``date_from``..``date_to`` (inclusive), the
    organisation subtree at ``root_path``, and optionally one agent, terminal, customer or
    state."""

    date_from: date
    date_to: date
    root_path: str
    agent_id: int | None = None
    terminal_id: int | None = None
    customer_id: int | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentKey:
    """Where a payment stands in the list's order."""

    business_date: date
    id: int

    def token(self) -> str:
        """The key as it travels in a link: ``2024-05-01.123``."""
        return f"{self.business_date.isoformat()}.{self.id}"

    @classmethod
    def parse(cls, token: str) -> PaymentKey | None:
        """The key a link carried, or None when it is not one."""
        day, _, number = (token or "").partition(".")
        if not number.isdigit() or len(number) > 18:
            return None
        try:
            return cls(business_date=date.fromisoformat(day), id=int(number))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A payment as the list shows it (fen)."""

    id: int
    txn_id: str
    business_date: date
    recorded_at: datetime
    trace_no: int
    terminal_no: str
    agent_code: str
    agent_name: str
    org_code: str
    org_name: str
    account_no: str
    customer_name: str
    cash: int
    penalty_total: int
    principal_total: int
    prepaid_net: int  # prepaid and rounding credit added, less used
    state: str
    offline: bool
    mis_state: str

    @property
    def key(self) -> PaymentKey:
        return PaymentKey(self.business_date, self.id)


_COLUMNS = (
    payments.c.id,
    payments.c.txn_id,
    payments.c.business_date,
    payments.c.recorded_at,
    payments.c.trace_no,
    terminals.c.terminal_no,
    agents.c.code.label("agent_code"),
    agents.c.name.label("agent_name"),
    organisations.c.code.label("org_code"),
    organisations.c.name.label("org_name"),
    customers.c.account_no,
    customers.c.name.label("customer_name"),
    payments.c.cash,
    payments.c.penalty_total,
    payments.c.principal_total,
    payments.c.prepaid_added,
    payments.c.prepaid_used,
    payments.c.rounding_added,
    payments.c.rounding_used,
    payments.c.state,
    payments.c.offline,
    payments.c.mis_state,
)
_FROM = (
    payments.join(terminals, terminals.c.id == payments.c.terminal_id)
    .join(agents, agents.c.id == payments.c.agent_id)
    .join(organisations, organisations.c.id == payments.c.org_id)
    .join(customers, customers.c.id == payments.c.customer_id)
)


def _row(row: Any) -> PaymentRow:
    return PaymentRow(
        id=int(row.id),
        txn_id=row.txn_id,
        business_date=row.business_date,
        recorded_at=row.recorded_at,
        trace_no=int(row.trace_no),
        terminal_no=row.terminal_no,
        agent_code=row.agent_code,
        agent_name=row.agent_name,
        org_code=row.org_code,
        org_name=row.org_name,
        account_no=row.account_no,
        customer_name=row.customer_name,
        cash=int(row.cash),
        penalty_total=int(row.penalty_total),
        principal_total=int(row.principal_total),
        prepaid_net=int(row.prepaid_added)
        + int(row.rounding_added)
        - int(row.prepaid_used)
        - int(row.rounding_used),
        state=row.state,
        offline=bool(row.offline),
        mis_state=row.mis_state,
    )


def subtree_ids(connection: Connection, root_path: str, *, limit: int) -> list[int] | None:
    """The ids of the organisations under ``root_path`` (the root included), or None when
    there are more than ``limit`` of them."""
    ids = list(
        connection.execute(
            select(organisations.c.id)
            .where(organisations.c.path.startswith(root_path, autoescape=True))
            .limit(limit + 1)
        ).scalars()
    )
    return None if len(ids) > limit else [int(i) for i in ids]


@dataclass(frozen=True, slots=True)
class PaymentScope:
    """The payments of the organisation subtree at ``root_path``: by the ``ids`` of its nodes,
    or (``ids`` None: too many) by the path of the payment's organisation, which the query must
    then join (``by_path``)."""

    root_path: str
    ids: tuple[int, ...] | None

    @property
    def by_path(self) -> bool:
        return self.ids is None

    def of(self, org_id: ColumnElement[int]) -> ColumnElement[bool]:
        """The condition on ``org_id``, a column naming the collection point."""
        if self.ids is None:
            return organisations.c.path.startswith(self.root_path, autoescape=True)
        return org_id.in_(self.ids)

    @property
    def condition(self) -> ColumnElement[bool]:
        """The condition on ``payments.org_id``."""
        return self.of(payments.c.org_id)


def payment_scope(connection: Connection, root_path: str) -> PaymentScope:
    """The payments collected under ``root_path``: ``org_id IN (…)`` for a subtree of at most
    :data:`SCOPE_IDS_MAX` nodes, else by the path of the payment's organisation."""
    ids = subtree_ids(connection, root_path, limit=SCOPE_IDS_MAX)
    return PaymentScope(root_path=root_path, ids=None if ids is None else tuple(ids))


class PaymentSearch:
    """Payment searches through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._scopes: dict[str, PaymentScope] = {}

    def _scope(self, root_path: str) -> PaymentScope:
        if root_path not in self._scopes:
            self._scopes[root_path] = payment_scope(self._connection, root_path)
        return self._scopes[root_path]

    def _matching(self, wanted: PaymentFilter) -> Select[Any]:
        """The ids of the payments ``wanted`` keeps (from ``payments`` alone, or joined to their
        organisations when the subtree is matched by path)."""
        scope = self._scope(wanted.root_path)
        conditions = [
            payments.c.business_date >= wanted.date_from,
            payments.c.business_date <= wanted.date_to,
            scope.condition,
        ]
        if wanted.agent_id is not None:
            conditions.append(payments.c.agent_id == wanted.agent_id)
        if wanted.terminal_id is not None:
            conditions.append(payments.c.terminal_id == wanted.terminal_id)
        if wanted.customer_id is not None:
            conditions.append(payments.c.customer_id == wanted.customer_id)
        if wanted.state is not None:
            conditions.append(payments.c.state == wanted.state)
            if wanted.state in NOT_CONFIRMED:
                # the same predicate as the partial index of the payments not confirmed
                conditions.append(payments.c.state != "confirmed")
        source = (
            payments.join(organisations, organisations.c.id == payments.c.org_id)
            if scope.by_path
            else payments
        )
        return select(payments.c.id).select_from(source).where(*conditions)

    def page(
        self,
        wanted: PaymentFilter,
        *,
        newest_first: bool = True,
        after: PaymentKey | None = None,
        before: PaymentKey | None = None,
        limit: int,
    ) -> list[PaymentRow]:
        """Up to ``limit`` payments in list order: the first ones, those following ``after``,
        or (read backwards, returned in list order) those preceding ``before``.

        The page is cut from ``payments`` alone first, and only its rows are joined to their
        names: a filter the planner misjudges can never make it join every match.
        """
        query = self._matching(wanted)
        key = tuple_(payments.c.business_date, payments.c.id)
        backwards = before is not None and after is None
        if after is not None:
            point = tuple_(after.business_date, after.id)
            query = query.where(key < point if newest_first else key > point)
        elif before is not None:
            point = tuple_(before.business_date, before.id)
            query = query.where(key > point if newest_first else key < point)
        descending = newest_first != backwards
        if descending:
            order = (payments.c.business_date.desc(), payments.c.id.desc())
        else:
            order = (payments.c.business_date.asc(), payments.c.id.asc())
        cut = query.order_by(*order).limit(limit).subquery("page")
        rows = self._connection.execute(
            select(*_COLUMNS)
            .select_from(_FROM.join(cut, cut.c.id == payments.c.id))
            .order_by(*order)
        )
        found = [_row(row) for row in rows]
        return found[::-1] if backwards else found

    def count(self, wanted: PaymentFilter, *, cap: int) -> int:
        """How many payments ``wanted`` keeps, counting no further than ``cap``."""
        bounded = self._matching(wanted).limit(cap).subquery()
        return int(self._connection.execute(select(func.count()).select_from(bounded)).scalar_one())

    def rows(self, wanted: PaymentFilter, *, newest_first: bool, limit: int) -> list[PaymentRow]:
        """Every payment ``wanted`` keeps, in list order, at most ``limit`` (an export)."""
        return self.page(wanted, newest_first=newest_first, limit=limit)

    def terminal_id(self, terminal_no: str) -> tuple[int, str] | None:
        """The id and organisation path of terminal ``terminal_no``, or None."""
        row = self._connection.execute(
            select(terminals.c.id, organisations.c.path)
            .select_from(terminals.join(organisations, organisations.c.id == terminals.c.org_id))
            .where(terminals.c.terminal_no == terminal_no)
        ).first()
        return None if row is None else (int(row.id), row.path)

    def agent_id(self, agent_code: str) -> tuple[int, str] | None:
        """The id and organisation path of agent ``agent_code``, or None."""
        row = self._connection.execute(
            select(agents.c.id, organisations.c.path)
            .select_from(agents.join(organisations, organisations.c.id == agents.c.org_id))
            .where(agents.c.code == agent_code)
        ).first()
        return None if row is None else (int(row.id), row.path)

    def customer_id(self, account_no: str) -> int | None:
        """The id of customer ``account_no``, or None."""
        found = self._connection.execute(
            select(customers.c.id).where(customers.c.account_no == account_no)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def payment_by_txn(self, txn_id: str) -> int | None:
        """The id of the payment whose transaction id is ``txn_id`` (found through its
        terminal: a transaction id starts with the terminal's number), or None."""
        terminal_no = txn_id.split("-", 1)[0]
        found = self._connection.execute(
            select(payments.c.id)
            .select_from(payments.join(terminals, terminals.c.id == payments.c.terminal_id))
            .where(terminals.c.terminal_no == terminal_no, payments.c.txn_id == txn_id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def txn_ids_of_agent(
        self, agent_id: int, txn_ids: Sequence[str], *, date_from: date, date_to: date
    ) -> set[str]:
        """Those of ``txn_ids`` that are payments of agent ``agent_id`` made on business dates
        ``date_from``..``date_to`` (index ``agent_id, business_date``)."""
        wanted = set(txn_ids)
        if not wanted:
            return set()
        found = self._connection.execute(
            select(payments.c.txn_id).where(
                payments.c.agent_id == agent_id,
                payments.c.business_date >= date_from,
                payments.c.business_date <= date_to,
            )
        ).scalars()
        return {txn for txn in found if txn in wanted}
