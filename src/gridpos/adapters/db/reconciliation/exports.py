"""Our side of a business date as the 银电联网 reconciliation file lists it: the payments that
stood at the end of the day, with what each paid, where and by whom."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, or_, select

from gridpos.adapters.db.tables import (
    customers,
    operators,
    organisations,
    payment_undos,
    payments,
    terminals,
)


@dataclass(frozen=True, slots=True)
class DayPayment:
    """One payment that stood at the end of its business date."""

    id: int
    txn_id: str
    account_no: str
    cash: int
    penalty: int
    principal: int
    prepaid_net: int
    offline: bool
    cash_time: datetime
    station_code: str
    point_code: str
    terminal_no: str
    operator_account: str


def day_payments(
    connection: Connection,
    business_date: date,
    *,
    org_prefix: str | None = None,
    agent_id: int | None = None,
    terminal_id: int | None = None,
) -> Iterable[DayPayment]:
    """The payments of ``business_date`` (of a node) standing at its end, in the order taken."""
    station = organisations.alias("station")
    point = organisations.alias("point")
    query = (
        select(
            payments.c.id,
            payments.c.txn_id,
            customers.c.account_no,
            payments.c.cash,
            payments.c.penalty_total,
            payments.c.principal_total,
            (
                payments.c.prepaid_added
                + payments.c.rounding_added
                - payments.c.prepaid_used
                - payments.c.rounding_used
            ).label("prepaid_net"),
            payments.c.offline,
            payments.c.cash_time,
            station.c.code.label("station_code"),
            point.c.code.label("point_code"),
            point.c.path.label("point_path"),
            terminals.c.terminal_no,
            operators.c.account.label("operator_account"),
        )
        .join(customers, customers.c.id == payments.c.customer_id)
        .join(station, station.c.id == customers.c.station_org_id)
        .join(point, point.c.id == payments.c.org_id)
        .join(terminals, terminals.c.id == payments.c.terminal_id)
        .join(operators, operators.c.id == payments.c.operator_id)
        .outerjoin(payment_undos, payment_undos.c.payment_id == payments.c.id)
        .where(
            payments.c.business_date == business_date,
            or_(
                payments.c.state == "confirmed",
                payment_undos.c.business_date > business_date,
            ),
        )
        .order_by(payments.c.id)
    )
    if terminal_id is not None:
        query = query.where(payments.c.terminal_id == terminal_id)
    elif agent_id is not None:
        query = query.where(payments.c.agent_id == agent_id)
    elif org_prefix:
        query = query.where(point.c.path.like(f"{org_prefix}%"))
    for row in connection.execute(query):
        yield DayPayment(
            id=int(row.id),
            txn_id=row.txn_id,
            account_no=row.account_no,
            cash=int(row.cash),
            penalty=int(row.penalty_total),
            principal=int(row.principal_total),
            prepaid_net=int(row.prepaid_net),
            offline=bool(row.offline),
            cash_time=row.cash_time,
            station_code=row.station_code,
            point_code=row.point_code,
            terminal_no=row.terminal_no,
            operator_account=row.operator_account,
        )


def known_accounts(connection: Connection, account_nos: Iterable[str]) -> set[str]:
    """Which of these customer numbers the replica knows."""
    wanted = sorted(set(account_nos))
    found: set[str] = set()
    for start in range(0, len(wanted), 2_000):
        part = wanted[start : start + 2_000]
        found.update(
            connection.execute(
                select(customers.c.account_no).where(customers.c.account_no.in_(part))
            ).scalars()
        )
    return found
