"""The check of ``collection_day_totals`` against the payments it sums, and the row limit the
ledger's checks share.

``collection_day_totals`` (kept by triggers on ``payments``, read by the console's collection
reports) must hold, for each business date, collection point, agent, terminal and state, the
count, cash, penalty and principal of exactly those payments. A row left at zero by payments
undone or moved away counts as no row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal, or_, select

from gridpos.adapters.db.breaks import Break, CheckResult
from gridpos.adapters.db.tables import collection_day_totals as totals
from gridpos.adapters.db.tables import payments

_KEY = ("business_date", "org_id", "agent_id", "terminal_id", "state")


def collection_day_totals(connection: Connection, limit: int) -> CheckResult:
    """Each kept collection total equals the sums of its payments, and every group of payments
    has its row. Breaks name the terminal's id as the row and the group's date, state, point and
    agent in ``what``."""
    p, t = payments, totals
    sums = (
        select(
            *(p.c[name] for name in _KEY),
            func.count().label("n"),
            func.sum(p.c.cash).label("cash"),
            func.sum(p.c.penalty_total).label("penalty"),
            func.sum(p.c.principal_total).label("principal"),
        )
        .group_by(*(p.c[name] for name in _KEY))
        .subquery()
    )
    joined = and_(*(sums.c[name] == t.c[name] for name in _KEY))
    n, cash = func.coalesce(sums.c.n, 0), func.coalesce(sums.c.cash, 0)
    penalty, principal = func.coalesce(sums.c.penalty, 0), func.coalesce(sums.c.principal, 0)
    kept = (
        select(
            *(t.c[name] for name in _KEY),
            t.c.payments.label("kept_n"),
            t.c.cash.label("kept_cash"),
            t.c.penalty.label("kept_penalty"),
            t.c.principal.label("kept_principal"),
            n.label("n"),
            cash.label("cash"),
            penalty.label("penalty"),
            principal.label("principal"),
        )
        .select_from(t.outerjoin(sums, joined))
        .where(
            or_(
                t.c.payments != n,
                t.c.cash != cash,
                t.c.penalty != penalty,
                t.c.principal != principal,
            )
        )
        .order_by(*(t.c[name] for name in _KEY))
    )
    missing = (
        select(
            *(sums.c[name] for name in _KEY),
            literal(None).label("kept_n"),
            literal(None).label("kept_cash"),
            literal(None).label("kept_penalty"),
            literal(None).label("kept_principal"),
            sums.c.n,
            sums.c.cash,
            sums.c.penalty,
            sums.c.principal,
        )
        .select_from(sums.outerjoin(t, joined))
        .where(t.c.terminal_id.is_(None))
        .order_by(*(sums.c[name] for name in _KEY))
    )
    rows, truncated = limited_rows(connection, kept, limit)
    more_rows, more = limited_rows(connection, missing, limit - len(rows))
    breaks = tuple(
        Break(
            "collection_day_totals",
            "collection_day_totals",
            int(row.terminal_id),
            f"{row.state} payments on {row.business_date} at point {int(row.org_id)},"
            f" agent {int(row.agent_id)}",
            _figures(row.n, row.cash, row.penalty, row.principal),
            "no row"
            if row.kept_n is None
            else _figures(row.kept_n, row.kept_cash, row.kept_penalty, row.kept_principal),
        )
        for row in [*rows, *more_rows]
    )
    return CheckResult(
        name="collection_day_totals",
        description="each kept collection total equals the sums of its payments of that day",
        breaks=breaks,
        truncated=truncated or more,
    )


def _figures(n: int, cash: int, penalty: int, principal: int) -> str:
    return f"{int(n)} for {int(cash)} fen (penalty {int(penalty)}, principal {int(principal)})"


def limited_rows(connection: Connection, query: Select[Any], limit: int) -> tuple[list[Any], bool]:
    """At most ``limit`` rows of ``query``, and whether there were more."""
    if limit <= 0:
        more = connection.execute(query.limit(1)).first() is not None
        return [], more
    rows = list(connection.execute(query.limit(limit + 1)))
    return rows[:limit], len(rows) > limit
