"""Meter readings and monthly billing runs (抄表, 核算): new receivables from the domain tariff.

A billing run for month ``P`` bills every active customer without a run-1 receivable for ``P``:
kWh = this reading − the last reading before ``P``. A customer without a reading for ``P`` gets an
estimated one from its consumption profile (``refmis.pricing``), marked ``estimated``. The bill is
``TariffSchedule.bill`` with ``year_kwh_before`` = the customer's kWh billed since the tariff's
``accumulation_start`` (chained from its latest receivable in that span). The new receivable is
due per :class:`~gridpos.refmis.pricing.BillingPolicy`; a bill of zero is settled at once. Credits
are not drawn here: a payment uses them, as the domain allocation does. The run is one transaction
and can be repeated: customers already billed are counted, not billed again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select
from sqlalchemy.engine import RowMapping

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.dates import PeriodError, add_months, parse_period, period_first_day
from gridpos.domain.tariff import TariffSchedule
from gridpos.protocol.mis import BillingRunResult, MeterReadingRecord, MeterReadingRequest
from gridpos.refmis.accounts import read_customer
from gridpos.refmis.changes import reserve_change_seqs
from gridpos.refmis.engine import write_transaction
from gridpos.refmis.errors import refusal
from gridpos.refmis.pricing import BillCache, BillingPolicy, estimated_noise, monthly_kwh
from gridpos.refmis.tables import customers, meter_readings, receivables


def _check_period_ended(period: str, today: date) -> None:
    try:
        parse_period(period)
    except PeriodError as exc:
        raise refusal("period_invalid", "period", exc.message_zh, exc.message_en) from exc
    if period_first_day(add_months(period, 1)) > today:
        raise refusal(
            "period_not_ended",
            "period",
            f"电费年月 {period} 尚未结束，不能抄表或核算",
            f"the billing month {period} has not ended yet",
        )


def _previous_reading(connection: Connection, account_no: str, period: str) -> int:
    last = connection.execute(
        select(meter_readings.c.reading)
        .where(meter_readings.c.account_no == account_no, meter_readings.c.period < period)
        .order_by(meter_readings.c.period.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(last or 0)


def record_meter_reading(
    engine: Engine, request: MeterReadingRequest, *, today: date
) -> MeterReadingRecord:
    """Record (or replace, before billing) a customer's reading for a month.

    Raises :class:`~gridpos.refmis.errors.MisError`: ``account_not_found``, ``period_invalid``,
    ``period_not_ended``, ``already_billed``, ``reading_below_previous``.
    """
    _check_period_ended(request.period, today)
    with write_transaction(engine) as connection:
        read_customer(connection, request.account_no, for_update=True)
        billed = connection.execute(
            select(receivables.c.id).where(
                receivables.c.account_no == request.account_no,
                receivables.c.period == request.period,
            )
        ).first()
        if billed is not None:
            raise refusal(
                "already_billed",
                "period",
                f"{request.period} 已经核算，不能再改抄表示数",
                f"{request.period} is already billed; its reading cannot change",
            )
        previous = _previous_reading(connection, request.account_no, request.period)
        if request.reading < previous:
            raise refusal(
                "reading_below_previous",
                "reading",
                f"示数 {request.reading} 小于上次示数 {previous}",
                f"the reading {request.reading} is below the previous {previous}",
                previous_reading=previous,
            )
        connection.execute(
            meter_readings.delete().where(
                meter_readings.c.account_no == request.account_no,
                meter_readings.c.period == request.period,
            )
        )
        record = MeterReadingRecord(
            account_no=request.account_no,
            period=request.period,
            previous_reading=previous,
            reading=request.reading,
            kwh=request.reading - previous,
            read_on=request.read_on,
        )
        connection.execute(insert(meter_readings).values(**record.model_dump(), estimated=False))
        return record


def _year_kwh_before(
    connection: Connection, schedule: TariffSchedule, period: str
) -> dict[str, int]:
    """Per account, kWh billed from the accumulation start up to (not including) ``period``."""
    starts: dict[str, set[str]] = defaultdict(set)
    for category in CustomerCategory:
        start = schedule.accumulation_start(category=category, period=period)
        if start != period:
            starts[start].add(category.value)
    result: dict[str, int] = {}
    for start, categories in starts.items():
        latest = (
            select(receivables.c.account_no, func.max(receivables.c.period).label("period"))
            .join(customers, customers.c.account_no == receivables.c.account_no)
            .where(
                receivables.c.period >= start,
                receivables.c.period < period,
                receivables.c.run_no == 1,
                customers.c.category.in_(sorted(categories)),
            )
            .group_by(receivables.c.account_no)
            .subquery()
        )
        rows = connection.execute(
            select(receivables.c.account_no, receivables.c.year_kwh_before + receivables.c.kwh)
            .join(
                latest,
                and_(
                    receivables.c.account_no == latest.c.account_no,
                    receivables.c.period == latest.c.period,
                ),
            )
            .where(receivables.c.run_no == 1)
        )
        result.update({account_no: int(total) for account_no, total in rows})
    return result


def _last_readings(connection: Connection, period: str) -> dict[str, int]:
    latest = (
        select(meter_readings.c.account_no, func.max(meter_readings.c.period).label("period"))
        .where(meter_readings.c.period < period)
        .group_by(meter_readings.c.account_no)
        .subquery()
    )
    rows = connection.execute(
        select(meter_readings.c.account_no, meter_readings.c.reading).join(
            latest,
            and_(
                meter_readings.c.account_no == latest.c.account_no,
                meter_readings.c.period == latest.c.period,
            ),
        )
    )
    return {account_no: int(reading) for account_no, reading in rows}


def _unbilled_customers(connection: Connection, period: str) -> list[RowMapping]:
    billed = select(receivables.c.account_no).where(
        receivables.c.period == period, receivables.c.run_no == 1
    )
    return list(
        connection.execute(
            select(customers.c.account_no, customers.c.category, customers.c.base_kwh)
            .where(customers.c.status == "active", customers.c.account_no.not_in(billed))
            .order_by(customers.c.account_no)
        )
        .mappings()
        .all()
    )


def run_billing(
    engine: Engine,
    *,
    period: str,
    today: date,
    schedule: TariffSchedule,
    policy: BillingPolicy,
) -> BillingRunResult:
    """Bill month ``period`` for every active customer not yet billed for it (see the docstring).

    Raises :class:`~gridpos.refmis.errors.MisError` ``period_invalid`` or ``period_not_ended``.
    """
    _check_period_ended(period, today)
    month = parse_period(period)[1]
    bills = BillCache(schedule)
    due_date = policy.due_date(period=period, billed_on=today)
    with write_transaction(engine) as connection:
        to_bill = _unbilled_customers(connection, period)
        active = connection.execute(
            select(func.count()).select_from(customers).where(customers.c.status == "active")
        ).scalar_one()
        readings = {
            row["account_no"]: row
            for row in connection.execute(
                select(meter_readings).where(meter_readings.c.period == period)
            ).mappings()
        }
        last = _last_readings(connection, period)
        year_before = _year_kwh_before(connection, schedule, period)
        seq = reserve_change_seqs(connection, len(to_bill)) if to_bill else 0
        new_readings: list[dict[str, Any]] = []
        new_receivables: list[dict[str, Any]] = []
        for offset, customer in enumerate(to_bill):
            account_no = customer["account_no"]
            reading = readings.get(account_no)
            if reading is None:
                kwh = monthly_kwh(
                    base_kwh=customer["base_kwh"],
                    month=month,
                    noise_per_mille=estimated_noise(account_no=account_no, period=period),
                )
                previous = last.get(account_no, 0)
                new_readings.append(
                    {
                        "account_no": account_no,
                        "period": period,
                        "previous_reading": previous,
                        "reading": previous + kwh,
                        "kwh": kwh,
                        "read_on": policy.read_on(period),
                        "estimated": True,
                    }
                )
            else:
                kwh = reading["kwh"]
            before = year_before.get(account_no, 0)
            bill = bills.bill(
                category=CustomerCategory(customer["category"]),
                period=period,
                kwh=kwh,
                year_kwh_before=before,
            )
            new_receivables.append(
                {
                    "account_no": account_no,
                    "period": period,
                    "run_no": 1,
                    "kwh": kwh,
                    "free_kwh": bill.free_kwh,
                    "year_kwh_before": before,
                    "principal": bill.amount_fen,
                    "principal_paid": 0,
                    "penalty_paid": 0,
                    "due_date": due_date,
                    "billed_on": today,
                    "settle_state": "settled" if bill.amount_fen == 0 else "unpaid",
                    "settled_on": today if bill.amount_fen == 0 else None,
                    "change_seq": seq + offset,
                }
            )
        if new_readings:
            connection.execute(insert(meter_readings), new_readings)
        if new_receivables:
            connection.execute(insert(receivables), new_receivables)
    return BillingRunResult(
        period=period,
        run_no=1,
        customers_billed=len(new_receivables),
        already_billed=active - len(to_bill),
        readings_estimated=len(new_readings),
        kwh_total=sum(row["kwh"] for row in new_receivables),
        principal_total=sum(row["principal"] for row in new_receivables),
    )
