"""Reading one account: the customer, its open receivables and its arrears as of a day.

The late penalty of an open receivable on day ``d`` is the domain's ``compute_penalty`` on its
unpaid principal from its due date to ``d``. The MIS recomputes it this way every time; a penalty
paid earlier on a partly paid receivable does not reduce the next computation (a partial payment
pays the penalty on the whole unpaid principal first).
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from typing import Final

from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import PenaltyRules, apply_payment_minimum, compute_penalty
from gridpos.domain.tariff import TariffSchedule
from gridpos.protocol.mis import Arrears, ArrearsLine, ChargeLineRecord, CustomerRecord
from gridpos.refmis.changes import customer_record
from gridpos.refmis.errors import account_not_found
from gridpos.refmis.tables import customers, receivables

# Business dates are Beijing time; China keeps no daylight saving time.
CHINA_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


def read_customer(
    connection: Connection, account_no: str, *, for_update: bool = False
) -> RowMapping:
    """The customer row; ``for_update`` locks it (PostgreSQL) for the rest of the transaction.

    Raises :class:`~gridpos.refmis.errors.MisError` ``account_not_found``.
    """
    query = select(customers).where(customers.c.account_no == account_no)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        raise account_not_found(account_no)
    return row


def read_customer_record(connection: Connection, account_no: str) -> CustomerRecord:
    """The customer as the HTTP interface shows it. Raises ``account_not_found``."""
    return customer_record(read_customer(connection, account_no))


def open_receivables(connection: Connection, account_no: str) -> list[RowMapping]:
    """The account's receivables with principal still unpaid, oldest first."""
    return list(
        connection.execute(
            select(receivables)
            .where(
                receivables.c.account_no == account_no,
                receivables.c.settle_state != "settled",
            )
            .order_by(receivables.c.period, receivables.c.run_no, receivables.c.id)
        )
        .mappings()
        .all()
    )


def penalty_on(
    receivable: RowMapping, *, category: CustomerCategory, pay_date: date, rules: PenaltyRules
) -> int:
    """The late penalty of an open receivable paid on ``pay_date``, fen."""
    return compute_penalty(
        principal_unpaid=receivable["principal"] - receivable["principal_paid"],
        due_date=receivable["due_date"],
        pay_date=pay_date,
        category=category,
        rules=rules,
    )


def read_arrears(
    connection: Connection,
    *,
    account_no: str,
    as_of: date,
    schedule: TariffSchedule,
    rules: PenaltyRules,
) -> Arrears:
    """One account's open receivables with penalties as of ``as_of``, and its credits.

    Raises :class:`~gridpos.refmis.errors.MisError` ``account_not_found``.
    """
    customer = read_customer(connection, account_no)
    category = CustomerCategory(customer["category"])
    lines: list[ArrearsLine] = []
    for row in open_receivables(connection, account_no):
        bill = schedule.bill(
            category=category,
            period=row["period"],
            kwh=row["kwh"],
            year_kwh_before=row["year_kwh_before"],
        )
        lines.append(
            ArrearsLine(
                period=row["period"],
                run_no=row["run_no"],
                kwh=row["kwh"],
                principal=row["principal"],
                principal_paid=row["principal_paid"],
                principal_unpaid=row["principal"] - row["principal_paid"],
                penalty=penalty_on(row, category=category, pay_date=as_of, rules=rules),
                due_date=row["due_date"],
                settle_state=row["settle_state"],
                charge_lines=[
                    ChargeLineRecord(
                        label_zh=line.label_zh,
                        label_en=line.label_en,
                        kwh=line.kwh,
                        unit_price_e4=line.unit_price_e4,
                        amount_fen=line.amount_fen,
                    )
                    for line in bill.lines
                ],
            )
        )
    principal_unpaid = sum(line.principal_unpaid for line in lines)
    penalty = apply_payment_minimum(
        penalty_total=sum(line.penalty for line in lines), pay_date=as_of, rules=rules
    )
    credits = customer["prepaid"] + customer["rounding_credit"]
    return Arrears(
        account_no=account_no,
        name=customer["name"],
        address=customer["address"],
        category=customer["category"],
        station_code=customer["station_code"],
        as_of=as_of,
        prepaid=customer["prepaid"],
        rounding_credit=customer["rounding_credit"],
        receivables=lines,
        principal_unpaid_total=principal_unpaid,
        penalty_total=penalty,
        total_due=max(principal_unpaid + penalty - credits, 0),
    )
