"""收费明细's list: a page of payments in keyset order with a bounded count, and every payment
of a filter for the Excel export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.payment_search import PaymentKey, PaymentRow, PaymentSearch
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import InvalidFormError, field_error
from gridpos.application.console.payments.filters import PaymentQuery, county_today, read_filter

PAGE_SIZE: Final = 20
COUNT_CAP: Final = 1_000
EXPORT_MAX: Final = 20_000  # a busy county day; the workbook takes some 5 s to write


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """A page of payments; ``total`` counted no further than :data:`COUNT_CAP` (``capped``)."""

    items: tuple[PaymentRow, ...]
    total: int
    capped: bool
    date_from: date
    date_to: date
    newest_first: bool
    has_previous: bool
    has_next: bool

    @property
    def first_key(self) -> str:
        return self.items[0].key.token() if self.items else ""

    @property
    def last_key(self) -> str:
        return self.items[-1].key.token() if self.items else ""


@dataclass(frozen=True, slots=True)
class PaymentExport:
    """Every payment a filter keeps (at most :data:`EXPORT_MAX`), for the Excel export."""

    rows: tuple[PaymentRow, ...]
    date_from: date
    date_to: date


def payment_list(services: ConsoleServices, actor: Actor, query: PaymentQuery) -> PaymentPage:
    """One page of the payments of the actor's subtree that ``query`` keeps, in business date
    order (newest first unless ``query.order`` is ``asc``), after or before a key of the
    previous page.

    Raises :class:`AccessDeniedError` without ``payments.view``; :class:`InvalidFormError` for
    the filter's refusals (see :func:`read_filter`).
    """
    require(actor, Permission.PAYMENTS_VIEW)
    today = county_today(services)
    newest_first = query.order != "asc"
    after = PaymentKey.parse(query.after) if query.after else None
    before = PaymentKey.parse(query.before) if query.before and after is None else None
    with services.reading() as uow:
        search = PaymentSearch(uow.connection)
        wanted = read_filter(search, OrganisationAdmin(uow.connection), actor, query, today=today)
        rows = search.page(
            wanted, newest_first=newest_first, after=after, before=before, limit=PAGE_SIZE + 1
        )
        total = search.count(wanted, cap=COUNT_CAP + 1)
    more = len(rows) > PAGE_SIZE
    if before is not None:
        rows = rows[-PAGE_SIZE:] if more else rows
        has_previous, has_next = more, True
    else:
        rows = rows[:PAGE_SIZE]
        has_previous, has_next = after is not None, more
    return PaymentPage(
        items=tuple(rows),
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        date_from=wanted.date_from,
        date_to=wanted.date_to,
        newest_first=newest_first,
        has_previous=has_previous,
        has_next=has_next,
    )


def payment_export(services: ConsoleServices, actor: Actor, query: PaymentQuery) -> PaymentExport:
    """Every payment ``query`` keeps, in list order, for the Excel export.

    Raises :class:`AccessDeniedError` without ``payments.view``; :class:`InvalidFormError` for
    the filter's refusals, and ``export_too_large`` (field ``date_to``) when more than
    :data:`EXPORT_MAX` payments match.
    """
    require(actor, Permission.PAYMENTS_VIEW)
    today = county_today(services)
    with services.reading() as uow:
        search = PaymentSearch(uow.connection)
        wanted = read_filter(search, OrganisationAdmin(uow.connection), actor, query, today=today)
        if search.count(wanted, cap=EXPORT_MAX + 1) > EXPORT_MAX:
            raise InvalidFormError(
                [
                    field_error(
                        "export_too_large",
                        field="date_to",
                        message_zh=(
                            f"符合条件的收费记录超过 {EXPORT_MAX:,} 条：请缩小日期范围或加筛选条件"
                        ),
                        message_en=(
                            f"more than {EXPORT_MAX:,} payments match: narrow the dates or add"
                            " a filter"
                        ),
                    )
                ]
            )
        rows = search.rows(wanted, newest_first=query.order != "asc", limit=EXPORT_MAX)
    return PaymentExport(rows=tuple(rows), date_from=wanted.date_from, date_to=wanted.date_to)
