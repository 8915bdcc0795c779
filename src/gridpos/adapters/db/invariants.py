"""The ledger's invariants, checked over the whole database with set-based SQL.

Each check is one or a few GROUP BY queries that return only the rows that break it, so the
work stays in the database and the cost grows with the size of the tables, not with Python
loops. Each returns at most ``limit`` breaks (and says when there were more).

- ``transaction_balanced``: every ledger transaction has entries and they sum to zero;
- ``kept_balance``: every kept balance equals minus the sum of its account's entries
  (agents' floats and commission, customers' prepaid and rounding credit, receivables' paid
  principal and penalty), and no entry names an owner row that does not exist;
- ``receivable_allocations``: each receivable's paid principal and penalty equal the sum of the
  allocations of its confirmed payments;
- ``payment_totals``: each payment's principal and penalty totals equal the sum of its
  allocations;
- ``payment_float``: the float entries of each payment's ledger transactions net to its cash
  while it is confirmed, and to zero in every other state (never posted, or undone);
- ``terminal_day_totals``: each terminal's kept cash and count of a business date (kept by a
  trigger, read by the per-day limit) equal its confirmed payments of that date, and no date with
  confirmed payments lacks its row;
- ``collection_day_totals`` (in :mod:`gridpos.adapters.db.collection_invariants`): the kept count,
  cash, penalty and principal of each business date, collection point, agent, terminal and state
  (kept by triggers, read by the collection reports) equal those payments' own sums.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, literal, or_, select

from gridpos.adapters.db.breaks import Break, CheckResult
from gridpos.adapters.db.collection_invariants import collection_day_totals, limited_rows
from gridpos.adapters.db.kept_balances import KEPT_BALANCES
from gridpos.adapters.db.tables import (
    ledger_entries,
    ledger_transactions,
    payment_allocations,
    payments,
    receivables,
)
from gridpos.adapters.db.tables import terminal_day_totals as day_totals
from gridpos.domain.accounts import AccountKind
from gridpos.domain.payment_state import PaymentState

_CONFIRMED = PaymentState.CONFIRMED.value
_FLOAT_KINDS = (AccountKind.AGENT_FLOAT.value, AccountKind.AGENT_FLOAT_HELD.value)


def check_ledger(connection: Connection, *, limit: int = 1_000) -> list[CheckResult]:
    """Run every ledger check (see the module docstring) and return their results, in order."""
    checks: Sequence[Callable[[Connection, int], CheckResult]] = (
        transaction_balanced,
        kept_balance,
        receivable_allocations,
        payment_totals,
        payment_float,
        terminal_day_totals,
        collection_day_totals,
    )
    return [check(connection, limit) for check in checks]


def transaction_balanced(connection: Connection, limit: int) -> CheckResult:
    """Every ledger transaction has at least one entry and its entries sum to zero."""
    t, e = ledger_transactions, ledger_entries
    total = func.coalesce(func.sum(e.c.amount), 0)
    count = func.count(e.c.id)
    query = (
        select(t.c.id, total.label("total"), count.label("entries"))
        .select_from(t.outerjoin(e, e.c.transaction_id == t.c.id))
        .group_by(t.c.id)
        .having(or_(total != 0, count == 0))
        .order_by(t.c.id)
    )
    breaks: list[Break] = []
    rows, truncated = limited_rows(connection, query, limit)
    for row in rows:
        if row.entries == 0:
            breaks.append(
                Break("transaction_balanced", "ledger_transactions", row.id, "entries", "≥ 1", 0)
            )
        else:
            breaks.append(
                Break(
                    "transaction_balanced",
                    "ledger_transactions",
                    row.id,
                    "sum of entries",
                    0,
                    int(row.total),
                )
            )
    return CheckResult(
        name="transaction_balanced",
        description="every ledger transaction has entries that sum to zero",
        breaks=tuple(breaks),
        truncated=truncated,
    )


def kept_balance(connection: Connection, limit: int) -> CheckResult:
    """Every kept balance equals minus the sum of its account's entries; no orphan entries."""
    e = ledger_entries
    breaks: list[Break] = []
    truncated = False
    for kind, kept in KEPT_BALANCES.items():
        sums = (
            select(e.c.owner_id, func.sum(e.c.amount).label("total"))
            .where(e.c.account_kind == kind.value)
            .group_by(e.c.owner_id)
            .subquery()
        )
        owner = kept.table
        from_entries = func.coalesce(-sums.c.total, 0)
        query = (
            select(owner.c.id, kept.column.label("kept"), from_entries.label("from_entries"))
            .select_from(owner.outerjoin(sums, sums.c.owner_id == owner.c.id))
            .where(kept.column != from_entries)
            .order_by(owner.c.id)
        )
        rows, more = limited_rows(connection, query, limit - len(breaks))
        truncated = truncated or more
        breaks.extend(
            Break(
                "kept_balance",
                owner.name,
                row.id,
                kept.column_name,
                int(row.from_entries),
                int(row.kept),
            )
            for row in rows
        )
        orphans = (
            select(e.c.owner_id, func.sum(e.c.amount).label("total"))
            .select_from(e.outerjoin(owner, owner.c.id == e.c.owner_id))
            .where(and_(e.c.account_kind == kind.value, owner.c.id.is_(None)))
            .group_by(e.c.owner_id)
            .order_by(e.c.owner_id)
        )
        rows, more = limited_rows(connection, orphans, limit - len(breaks))
        truncated = truncated or more
        breaks.extend(
            Break(
                "kept_balance",
                owner.name,
                row.owner_id,
                f"owner of {kind.value} entries (they sum to {int(row.total)})",
                "an existing row",
                "missing",
            )
            for row in rows
        )
    return CheckResult(
        name="kept_balance",
        description="every kept balance equals minus the sum of its account's entries",
        breaks=tuple(breaks),
        truncated=truncated,
    )


def receivable_allocations(connection: Connection, limit: int) -> CheckResult:
    """Each receivable's paid amounts equal the allocations of its confirmed payments."""
    r, a, p = receivables, payment_allocations, payments
    sums = (
        select(
            a.c.receivable_id,
            func.sum(a.c.principal_paid).label("principal"),
            func.sum(a.c.penalty_paid).label("penalty"),
        )
        .select_from(a.join(p, p.c.id == a.c.payment_id))
        .where(p.c.state == _CONFIRMED)
        .group_by(a.c.receivable_id)
        .subquery()
    )
    principal = func.coalesce(sums.c.principal, 0)
    penalty = func.coalesce(sums.c.penalty, 0)
    query = (
        select(
            r.c.id,
            r.c.principal_paid,
            r.c.penalty_paid,
            principal.label("allocated_principal"),
            penalty.label("allocated_penalty"),
        )
        .select_from(r.outerjoin(sums, sums.c.receivable_id == r.c.id))
        .where(or_(r.c.principal_paid != principal, r.c.penalty_paid != penalty))
        .order_by(r.c.id)
    )
    return _pairs_result(
        connection,
        query,
        limit,
        name="receivable_allocations",
        description="receivables' paid amounts equal the allocations of confirmed payments",
        table="receivables",
        pairs=(
            ("principal_paid", "allocated_principal", "principal_paid"),
            ("penalty_paid", "allocated_penalty", "penalty_paid"),
        ),
    )


def payment_totals(connection: Connection, limit: int) -> CheckResult:
    """Each payment's principal and penalty totals equal the sum of its allocations."""
    p, a = payments, payment_allocations
    sums = (
        select(
            a.c.payment_id,
            func.sum(a.c.principal_paid).label("principal"),
            func.sum(a.c.penalty_paid).label("penalty"),
        )
        .group_by(a.c.payment_id)
        .subquery()
    )
    principal = func.coalesce(sums.c.principal, 0)
    penalty = func.coalesce(sums.c.penalty, 0)
    query = (
        select(
            p.c.id,
            p.c.principal_total,
            p.c.penalty_total,
            principal.label("allocated_principal"),
            penalty.label("allocated_penalty"),
        )
        .select_from(p.outerjoin(sums, sums.c.payment_id == p.c.id))
        .where(or_(p.c.principal_total != principal, p.c.penalty_total != penalty))
        .order_by(p.c.id)
    )
    return _pairs_result(
        connection,
        query,
        limit,
        name="payment_totals",
        description="each payment's totals equal the sum of its allocations",
        table="payments",
        pairs=(
            ("principal_total", "allocated_principal", "principal_total"),
            ("penalty_total", "allocated_penalty", "penalty_total"),
        ),
    )


def payment_float(connection: Connection, limit: int) -> CheckResult:
    """The float entries of a payment's transactions net to its cash while confirmed, else 0."""
    p, t, e = payments, ledger_transactions, ledger_entries
    sums = (
        select(t.c.payment_id, func.sum(e.c.amount).label("total"))
        .select_from(t.join(e, e.c.transaction_id == t.c.id))
        .where(and_(t.c.payment_id.is_not(None), e.c.account_kind.in_(_FLOAT_KINDS)))
        .group_by(t.c.payment_id)
        .subquery()
    )
    posted = func.coalesce(sums.c.total, 0)
    expected = case((p.c.state == _CONFIRMED, p.c.cash), else_=literal(0))
    query = (
        select(p.c.id, p.c.state, expected.label("expected"), posted.label("posted"))
        .select_from(p.outerjoin(sums, sums.c.payment_id == p.c.id))
        .where(posted != expected)
        .order_by(p.c.id)
    )
    rows, truncated = limited_rows(connection, query, limit)
    breaks = tuple(
        Break(
            "payment_float",
            "payments",
            row.id,
            f"float debited by the ledger ({row.state})",
            int(row.expected),
            int(row.posted),
        )
        for row in rows
    )
    return CheckResult(
        name="payment_float",
        description="a confirmed payment's ledger debits the float by its cash; others net to 0",
        breaks=breaks,
        truncated=truncated,
    )


def terminal_day_totals(connection: Connection, limit: int) -> CheckResult:
    """Each kept day total of a terminal equals its confirmed payments of that business date."""
    p, t = payments, day_totals
    sums = (
        select(
            p.c.terminal_id,
            p.c.business_date,
            func.sum(p.c.cash).label("cash"),
            func.count().label("n"),
        )
        .where(p.c.state == _CONFIRMED)
        .group_by(p.c.terminal_id, p.c.business_date)
        .subquery()
    )
    joined = and_(sums.c.terminal_id == t.c.terminal_id, sums.c.business_date == t.c.business_date)
    cash, count = func.coalesce(sums.c.cash, 0), func.coalesce(sums.c.n, 0)
    kept = (
        select(
            t.c.terminal_id,
            t.c.business_date,
            t.c.confirmed_cash.label("kept_cash"),
            t.c.confirmed_count.label("kept_count"),
            cash.label("cash"),
            count.label("n"),
        )
        .select_from(t.outerjoin(sums, joined))
        .where(or_(t.c.confirmed_cash != cash, t.c.confirmed_count != count))
        .order_by(t.c.terminal_id, t.c.business_date)
    )
    missing = (
        select(
            sums.c.terminal_id,
            sums.c.business_date,
            literal(None).label("kept_cash"),
            literal(None).label("kept_count"),
            sums.c.cash,
            sums.c.n,
        )
        .select_from(sums.outerjoin(t, joined))
        .where(t.c.terminal_id.is_(None))
        .order_by(sums.c.terminal_id, sums.c.business_date)
    )
    rows, truncated = limited_rows(connection, kept, limit)
    more_rows, more = limited_rows(connection, missing, limit - len(rows))
    breaks = tuple(
        Break(
            "terminal_day_totals",
            "terminal_day_totals",
            int(row.terminal_id),
            f"confirmed cash and count on {row.business_date}",
            f"{int(row.cash)} fen in {int(row.n)}",
            "no row"
            if row.kept_cash is None
            else f"{int(row.kept_cash)} fen in {int(row.kept_count)}",
        )
        for row in [*rows, *more_rows]
    )
    return CheckResult(
        name="terminal_day_totals",
        description="each terminal's kept day total equals its confirmed payments of that day",
        breaks=breaks,
        truncated=truncated or more,
    )


def _pairs_result(
    connection: Connection,
    query: Select[Any],
    limit: int,
    *,
    name: str,
    description: str,
    table: str,
    pairs: tuple[tuple[str, str, str], ...],
) -> CheckResult:
    """Breaks from rows that compare (found column, expected column, label) pairs."""
    rows, truncated = limited_rows(connection, query, limit)
    breaks: list[Break] = []
    for row in rows:
        for found_key, expected_key, what in pairs:
            found, expected = int(row._mapping[found_key]), int(row._mapping[expected_key])
            if found != expected:
                breaks.append(Break(name, table, row.id, what, expected, found))
    return CheckResult(
        name=name, description=description, breaks=tuple(breaks), truncated=truncated
    )
