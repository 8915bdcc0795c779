"""统计报表: the collections of one business date (daily) or one month (monthly) in the actor's
subtree, by supply station, agent or terminal — how many payments and how much cash stand,
split into late penalty, principal and prepaid balance, and how many were undone (reversed,
voided or cancelled) and for how much — printable and exportable.

The sums are made in SQL over the dates' index range (see
:mod:`~gridpos.adapters.db.console.collection_reports`); here they are rolled up by the chosen
grouping. For every line and the total, ``amount = penalty + principal + prepaid``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.collection_reports import (
    CollectionReports,
    NamedRow,
    PlaceFigures,
)
from gridpos.adapters.db.console.payment_search import SCOPE_IDS_MAX, PaymentScope
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import field_error
from gridpos.application.console.payments import county_today
from gridpos.domain.dates import PeriodError, parse_period

UNDONE_STATES: Final = frozenset({"reversed", "voided", "cancelled"})


class ReportKind(StrEnum):
    """How long a report runs."""

    DAILY = "daily"
    MONTHLY = "monthly"


class Grouping(StrEnum):
    """What a report's lines are."""

    STATION = "station"
    AGENT = "agent"
    TERMINAL = "terminal"


@dataclass(slots=True)
class Figures:
    """Collections summed (fen): ``count`` payments standing for ``amount`` cash, split into
    ``penalty``, ``principal`` and ``prepaid``; ``undone_count`` payments undone for
    ``undone_amount``."""

    count: int = 0
    amount: int = 0
    penalty: int = 0
    principal: int = 0
    prepaid: int = 0
    undone_count: int = 0
    undone_amount: int = 0

    def add(self, place: PlaceFigures) -> None:
        """Count one group of payments in (only confirmed and undone ones count)."""
        if place.state == "confirmed":
            self.count += place.count
            self.amount += place.cash
            self.penalty += place.penalty
            self.principal += place.principal
            self.prepaid += place.prepaid
        elif place.state in UNDONE_STATES:
            self.undone_count += place.count
            self.undone_amount += place.cash


@dataclass(slots=True)
class ReportLine:
    """One station, agent or terminal of the report; ``place`` names where it belongs."""

    code: str
    name: str
    place: str
    figures: Figures = field(default_factory=Figures)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A report as asked for in the form (empty: today's, or this month's)."""

    kind: str = ReportKind.DAILY.value
    day: str = ""
    month: str = ""
    group: str = Grouping.STATION.value
    org_code: str = ""


@dataclass(frozen=True, slots=True)
class CollectionReport:
    """The report: its dates, grouping, scope, lines (by code) and total."""

    kind: ReportKind
    group: Grouping
    date_from: date
    date_to: date
    scope_code: str
    scope_name: str
    lines: tuple[ReportLine, ...]
    total: Figures

    @property
    def period_label(self) -> str:
        """The day (2024-05-01) or the month (2024-05) the report covers."""
        if self.kind is ReportKind.MONTHLY:
            return f"{self.date_from:%Y-%m}"
        return self.date_from.isoformat()


def _read_dates(
    check: FieldChecks, query: ReportQuery, today: date
) -> tuple[ReportKind, date, date]:
    kind = ReportKind(query.kind) if query.kind in set(ReportKind) else ReportKind.DAILY
    if kind is ReportKind.DAILY:
        text = (query.day or "").strip()
        if not text:
            return kind, today, today
        try:
            day = date.fromisoformat(text)
        except ValueError:
            check.add(
                field_error(
                    "date_invalid",
                    field="day",
                    message_zh="日期格式应为 年-月-日，如 2024-05-01",
                    message_en="a date is written year-month-day, like 2024-05-01",
                )
            )
            return kind, today, today
        return kind, day, day
    text = (query.month or "").strip().replace("-", "")
    if not text:
        text = f"{today:%Y%m}"
    try:
        year, month = parse_period(text)
    except PeriodError:
        check.add(
            field_error(
                "period_invalid",
                field="month",
                message_zh="月份应写作 YYYYMM，如 202405",
                message_en="a month is written YYYYMM, like 202405",
            )
        )
        return kind, today.replace(day=1), today
    last = calendar.monthrange(year, month)[1]
    return kind, date(year, month, 1), date(year, month, last)


def _station_of(org: NamedRow, orgs: dict[int, NamedRow]) -> NamedRow:
    """The supply station ``org`` belongs to (itself when it is one, or when it lies above any
    station)."""
    if org.level == "station":
        return org
    for part in org.path.strip("/").split("/"):
        above = orgs.get(int(part))
        if above is not None and above.level == "station":
            return above
    return org


def _path_ids(paths: Iterable[str]) -> set[int]:
    return {int(part) for path in paths for part in path.strip("/").split("/") if part}


def collection_report(
    services: ConsoleServices, actor: Actor, query: ReportQuery
) -> CollectionReport:
    """The daily or monthly collections of the actor's subtree (or of the organisation
    ``query.org_code`` within it), by station, agent or terminal.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reports.view``; :class:`~gridpos.application.console.errors.InvalidFormError` for a day
    that is not ``YYYY-MM-DD`` (field ``day``), a month that is not ``YYYYMM`` (field
    ``month``), an organisation unknown or outside the subtree (field ``org``).
    """
    require(actor, Permission.REPORTS_VIEW)
    check = FieldChecks()
    kind, date_from, date_to = _read_dates(check, query, county_today(services))
    group = Grouping(query.group) if query.group in set(Grouping) else Grouping.STATION
    with services.reading() as uow:
        root_path, scope_code, scope_name = actor.org_path, actor.org_code, actor.org_name
        org_code = (query.org_code or "").strip()
        if org_code:
            node = OrganisationAdmin(uow.connection).by_code(org_code[:32])
            if node is None or not actor.covers(node.path):
                check.add(
                    field_error(
                        "organisation_unknown",
                        field="org",
                        message_zh=f"您的管辖范围内没有编码为 {org_code[:32]} 的单位",
                        message_en=f"there is no organisation {org_code[:32]} within your scope",
                    )
                )
            else:
                root_path, scope_code, scope_name = node.path, node.code, node.name
        check.done()
        reports = CollectionReports(uow.connection)
        # the subtree's nodes at once: the scope of the sums and the names of their places
        orgs = reports.organisations_under(root_path, limit=SCOPE_IDS_MAX)
        scope = PaymentScope(root_path=root_path, ids=None if orgs is None else tuple(orgs))
        places = reports.figures(
            date_from=date_from, date_to=date_to, scope=scope, agent_id=actor.own_agent_id
        )
        orgs = orgs or {}
        missing = {place.org_id for place in places} - set(orgs)
        orgs.update(reports.organisations(missing))
        above = _path_ids(orgs[org_id].path for org_id in {place.org_id for place in places})
        orgs.update(reports.organisations(above - set(orgs)))
        named = group is not Grouping.STATION
        agent_rows = reports.agents({place.agent_id for place in places} if named else ())
        terminal_rows = reports.terminals(
            {place.terminal_id for place in places} if group is Grouping.TERMINAL else ()
        )
    lines: dict[str, ReportLine] = {}
    total = Figures()
    for place in places:
        org = orgs[place.org_id]
        station = _station_of(org, orgs)
        if group is Grouping.STATION:
            key, line = station.code, (station.code, station.name, "")
        elif group is Grouping.AGENT:
            agent = agent_rows[place.agent_id]
            key, line = agent.code, (agent.code, agent.name, f"{station.name} · {org.name}")
        else:
            terminal = terminal_rows[place.terminal_id]
            agent = agent_rows[place.agent_id]
            key = terminal.code
            line = (terminal.code, agent.name, f"{station.name} · {org.name}")
        if key not in lines:
            lines[key] = ReportLine(code=line[0], name=line[1], place=line[2])
        lines[key].figures.add(place)
        total.add(place)
    return CollectionReport(
        kind=kind,
        group=group,
        date_from=date_from,
        date_to=date_to,
        scope_code=scope_code,
        scope_name=scope_name,
        lines=tuple(lines[key] for key in sorted(lines)),
        total=total,
    )
