"""Finding customers in the replica for the console, only ever along an index, and one customer
with their receivables and payments.

- by number: exact (the unique index) or by its start;
- by the start of the name or of the address: an index range scan (``text_pattern_ops`` on
  PostgreSQL, migration 0005), whatever the database's collation;
- by a part of the name or address anywhere: only within one supply station, read through the
  ``station_org_id`` index (a few thousand rows), never across the whole table.

A prefix is matched as the byte range ``[prefix, next)`` where *next* is the prefix with its
last character advanced — the same on both databases, and usable by a generic plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select, text

from gridpos.adapters.db.tables import (
    agents,
    customers,
    organisations,
    payments,
    receivables,
    terminals,
)


class SearchField(StrEnum):
    """What a customer search looks at."""

    ACCOUNT_NO = "account_no"
    NAME = "name"
    ADDRESS = "address"


class MatchMode(StrEnum):
    """How the search term is matched."""

    EXACT = "exact"
    PREFIX = "prefix"
    CONTAINS = "contains"


@dataclass(frozen=True, slots=True)
class CustomerSearch:
    """One customer search. ``root_path`` is always set: the subtree whose stations count.
    ``station_id`` narrows to one station (required for :attr:`MatchMode.CONTAINS`)."""

    root_path: str
    field: SearchField
    mode: MatchMode
    term: str = ""
    station_id: int | None = None


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """A customer as the list and the detail page show them."""

    id: int
    account_no: str
    name: str
    address: str
    category: str
    station_id: int
    station_code: str
    station_name: str
    station_path: str
    segment: str | None
    prepaid: int
    rounding_credit: int
    mis_status: str | None
    mis_updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReceivableRow:
    """A receivable as the customer's page lists it (fen)."""

    id: int
    period: str
    run_no: int
    kwh: int
    principal: int
    principal_paid: int
    penalty_paid: int
    due_date: date
    settle_state: str

    @property
    def principal_unpaid(self) -> int:
        return self.principal - self.principal_paid


@dataclass(frozen=True, slots=True)
class CustomerPaymentRow:
    """A payment of the customer (fen)."""

    id: int
    business_date: date
    recorded_at: datetime
    trace_no: int
    terminal_no: str
    agent_name: str
    cash: int
    penalty_total: int
    principal_total: int
    prepaid_added: int
    rounding_added: int
    state: str
    offline: bool


_COLUMNS = (
    customers.c.id,
    customers.c.account_no,
    customers.c.name,
    customers.c.address,
    customers.c.category,
    customers.c.station_org_id,
    organisations.c.code.label("station_code"),
    organisations.c.name.label("station_name"),
    organisations.c.path.label("station_path"),
    customers.c.segment,
    customers.c.prepaid,
    customers.c.rounding_credit,
    customers.c.mis_status,
    customers.c.mis_updated_at,
)
_FROM = customers.join(organisations, organisations.c.id == customers.c.station_org_id)
_SEARCHED = {
    SearchField.ACCOUNT_NO: customers.c.account_no,
    SearchField.NAME: customers.c.name,
    SearchField.ADDRESS: customers.c.address,
}


def _row(row: Any) -> CustomerRow:
    return CustomerRow(
        id=int(row.id),
        account_no=row.account_no,
        name=row.name,
        address=row.address,
        category=row.category,
        station_id=int(row.station_org_id),
        station_code=row.station_code,
        station_name=row.station_name,
        station_path=row.station_path,
        segment=row.segment,
        prepaid=int(row.prepaid),
        rounding_credit=int(row.rounding_credit),
        mis_status=row.mis_status,
        mis_updated_at=row.mis_updated_at,
    )


def prefix_end(prefix: str) -> str | None:
    """The least string above every string starting with ``prefix`` (None: no bound)."""
    for cut in range(len(prefix), 0, -1):
        last = ord(prefix[cut - 1]) + 1
        if 0xD800 <= last <= 0xDFFF:  # surrogates are no characters: step over them
            last = 0xE000
        if last <= 0x10FFFF:
            return prefix[: cut - 1] + chr(last)
    return None


class CustomerSearchStore:
    """Customer searches and a customer's page, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _starts_with(self, column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
        end = prefix_end(prefix)
        if self._connection.dialect.name == "postgresql":
            # the operators of text_pattern_ops: byte order, served by the index
            low: ColumnElement[bool] = column.op("~>=~", is_comparison=True)(prefix)
            if end is None:
                return low
            high: ColumnElement[bool] = column.op("~<~", is_comparison=True)(end)
            return low & high
        low = column >= prefix
        return low if end is None else low & (column < end)

    def _query(self, search: CustomerSearch) -> tuple[Select[Any], Any]:
        conditions: list[ColumnElement[bool]] = [organisations.c.path.startswith(search.root_path)]
        column = _SEARCHED[search.field]
        order = column
        if search.station_id is not None:
            conditions.append(customers.c.station_org_id == search.station_id)
        if search.term:
            if search.mode is MatchMode.EXACT:
                conditions.append(column == search.term)
            elif search.mode is MatchMode.PREFIX:
                conditions.append(self._starts_with(column, search.term))
            else:  # within one station only: the caller made sure of it
                conditions.append(column.icontains(search.term, autoescape=True))
                order = customers.c.account_no
        else:
            order = customers.c.account_no
        query = select(*_COLUMNS).select_from(_FROM).where(*conditions)
        return query, order

    def search(self, search: CustomerSearch, *, offset: int, limit: int) -> list[CustomerRow]:
        """A page of the customers ``search`` finds, in the order of the searched column."""
        query, order = self._query(search)
        ordering: Any = order
        if order is not customers.c.account_no and self._connection.dialect.name == "postgresql":
            # the order of the text_pattern_ops index (byte order), so a broad prefix is read
            # along the index up to the page instead of sorting every match
            ordering = text(f"customers.{order.name} USING ~<~")
        elif (
            search.term
            and search.mode is not MatchMode.CONTAINS
            and self._connection.dialect.name == "postgresql"
        ):
            ordering = text("customers.account_no USING ~<~")
        rows = self._connection.execute(
            query.order_by(ordering, customers.c.id).offset(offset).limit(limit)
        )
        return [_row(row) for row in rows]

    def count(self, search: CustomerSearch, *, cap: int) -> int:
        """How many customers ``search`` finds, counting no further than ``cap``."""
        query, _ = self._query(search)
        bounded = query.with_only_columns(customers.c.id).limit(cap).subquery()
        return int(self._connection.execute(select(func.count()).select_from(bounded)).scalar_one())

    def by_id(self, customer_id: int) -> CustomerRow | None:
        """The customer ``customer_id``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(customers.c.id == customer_id)
        ).first()
        return None if row is None else _row(row)

    def receivables_of(self, customer_id: int, *, limit: int) -> list[ReceivableRow]:
        """The customer's receivables, newest billing month first, at most ``limit``."""
        rows = self._connection.execute(
            select(receivables)
            .where(receivables.c.customer_id == customer_id)
            .order_by(
                receivables.c.period.desc(), receivables.c.run_no.desc(), receivables.c.id.desc()
            )
            .limit(limit)
        )
        return [
            ReceivableRow(
                id=int(r.id),
                period=r.period,
                run_no=int(r.run_no),
                kwh=int(r.kwh),
                principal=int(r.principal),
                principal_paid=int(r.principal_paid),
                penalty_paid=int(r.penalty_paid),
                due_date=r.due_date,
                settle_state=r.settle_state,
            )
            for r in rows
        ]

    def payments_of(
        self, customer_id: int, *, offset: int, limit: int
    ) -> tuple[list[CustomerPaymentRow], int]:
        """A page of the customer's payments, newest first (index ``customer_id``), and how
        many there are."""
        total = int(
            self._connection.execute(
                select(func.count())
                .select_from(payments)
                .where(payments.c.customer_id == customer_id)
            ).scalar_one()
        )
        rows = self._connection.execute(
            select(
                payments.c.id,
                payments.c.business_date,
                payments.c.recorded_at,
                payments.c.trace_no,
                terminals.c.terminal_no,
                agents.c.name.label("agent_name"),
                payments.c.cash,
                payments.c.penalty_total,
                payments.c.principal_total,
                payments.c.prepaid_added,
                payments.c.rounding_added,
                payments.c.state,
                payments.c.offline,
            )
            .select_from(
                payments.join(terminals, terminals.c.id == payments.c.terminal_id).join(
                    agents, agents.c.id == payments.c.agent_id
                )
            )
            .where(payments.c.customer_id == customer_id)
            .order_by(payments.c.recorded_at.desc(), payments.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            CustomerPaymentRow(
                id=int(r.id),
                business_date=r.business_date,
                recorded_at=r.recorded_at,
                trace_no=int(r.trace_no),
                terminal_no=r.terminal_no,
                agent_name=r.agent_name,
                cash=int(r.cash),
                penalty_total=int(r.penalty_total),
                principal_total=int(r.principal_total),
                prepaid_added=int(r.prepaid_added),
                rounding_added=int(r.rounding_added),
                state=r.state,
                offline=bool(r.offline),
            )
            for r in rows
        ], total
