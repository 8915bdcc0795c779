"""The series of the monitoring page's charts: confirmed payments of a subtree today by hour of
the county's day, this month by business date, and today by supply station.

Each query is bounded by business date and joined to the organisation tree for the subtree
(``path`` prefix). The hours are read from today's payments (index ``payments (business_date,
terminal_id)``); the days and the stations from the collections kept per day and place
(``collection_day_totals``, migration 0012): a month is a few thousand of those rows instead of
600,000 payments on a busy county.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, cast, func, literal_column, select
from sqlalchemy.orm import aliased

from gridpos.adapters.db.tables import collection_day_totals, organisations, payments

_station = aliased(organisations, name="station")
_day = collection_day_totals
COUNTY_TZ_NAME = "Asia/Shanghai"
COUNTY_UTC_OFFSET_HOURS = 8


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One bar or point: its label (hour, date or station), count and amount in fen."""

    label: str
    count: int
    amount: int


def _hour_of_cash_time(dialect: str) -> ColumnElement[Any]:
    """The hour (0–23) of a payment's cash time in the county."""
    if dialect == "postgresql":
        local = func.timezone(COUNTY_TZ_NAME, payments.c.cash_time)
        return cast(func.extract("hour", local), Integer)
    # SQLite keeps UTC as text: shift it by the county's fixed offset (no summer time)
    shifted = func.strftime("%H", payments.c.cash_time, f"+{COUNTY_UTC_OFFSET_HOURS} hours")
    return cast(shifted, Integer)


class MonitoringCharts:
    """The charts' series through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _scope(self, path: str) -> ColumnElement[bool]:
        return organisations.c.path.startswith(path, autoescape=True)

    def by_hour(self, *, path: str, on: date) -> list[SeriesPoint]:
        """Business date ``on`` by hour of the cash time (hours without payments left out)."""
        hour = _hour_of_cash_time(self._connection.dialect.name).label("hour")
        rows = self._connection.execute(
            select(hour, func.count(), func.sum(payments.c.cash))
            .select_from(payments.join(organisations, organisations.c.id == payments.c.org_id))
            .where(
                payments.c.business_date == on, payments.c.state == "confirmed", self._scope(path)
            )
            .group_by(literal_column("hour"))
            .order_by(literal_column("hour"))
        )
        return [SeriesPoint(f"{int(row[0]):02d}", int(row[1]), int(row[2])) for row in rows]

    def by_day(self, *, path: str, first: date, last: date) -> list[SeriesPoint]:
        """Business dates ``first`` to ``last`` (both included) by date (dates without
        payments left out)."""
        count = func.sum(_day.c.payments)
        rows = self._connection.execute(
            select(_day.c.business_date, count, func.sum(_day.c.cash))
            .select_from(_day.join(organisations, organisations.c.id == _day.c.org_id))
            .where(
                _day.c.business_date >= first,
                _day.c.business_date <= last,
                _day.c.state == "confirmed",
                self._scope(path),
            )
            .group_by(_day.c.business_date)
            .having(count > 0)
            .order_by(_day.c.business_date)
        )
        return [SeriesPoint(row[0].isoformat(), int(row[1]), int(row[2])) for row in rows]

    def by_station(self, *, path: str, on: date) -> list[SeriesPoint]:
        """Business date ``on`` by supply station (the collection point's parent), most first
        (stations without payments left out)."""
        count, cash = func.sum(_day.c.payments), func.sum(_day.c.cash)
        rows = self._connection.execute(
            select(_station.c.name, count, cash)
            .select_from(
                _day.join(organisations, organisations.c.id == _day.c.org_id).join(
                    _station, _station.c.id == organisations.c.parent_id
                )
            )
            .where(_day.c.business_date == on, _day.c.state == "confirmed", self._scope(path))
            .group_by(_station.c.id, _station.c.name)
            .having(count > 0)
            .order_by(cash.desc(), _station.c.name)
        )
        return [SeriesPoint(str(row[0]), int(row[1]), int(row[2])) for row in rows]
