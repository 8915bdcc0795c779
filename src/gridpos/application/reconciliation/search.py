"""The console's searches of reconciliation: runs by dates, organisation and state; the
differences across runs (the work queue's items, one per distinct difference) by kind, state,
dates and organisation — each within the operator's subtree, a page at a time.

Who: ``reconciliation.view`` in their subtree; an organisation named outside it is refused like
one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.reconciliation.reading import ItemFilter, ReconciliationReading
from gridpos.adapters.db.reconciliation.run_search import RUN_STATES, RunFilter, RunSearch
from gridpos.adapters.db.tables.reconciliation import ITEM_STATES
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.errors import field_error
from gridpos.application.console.paging import Paged, offset_of
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.views import (
    KINDS,
    PAGE_SIZE,
    QueueItem,
    RunSummary,
    queue_item,
    run_summary,
)

WAITING_STATES: Final = ("open", "requested")


@dataclass(frozen=True, slots=True)
class SearchForm:
    """A search as typed (every part optional): business dates ``YYYY-MM-DD``, an organisation
    code, a state, a kind of difference, the page."""

    date_from: str = ""
    date_to: str = ""
    org: str = ""
    state: str = ""
    kind: str = ""
    page: int = 1


@dataclass(frozen=True, slots=True)
class ListedRun:
    """A run of the list, with how many of its differences still wait for a person now."""

    summary: RunSummary
    still_waiting: int


def _date(check: FieldChecks, typed: str, field: str) -> date | None:
    text = (typed or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        check.add(
            field_error(
                "date_invalid",
                field=field,
                message_zh="日期格式应为 年-月-日，如 2024-05-01",
                message_en="a date is written year-month-day, like 2024-05-01",
            )
        )
        return None


def _choice(check: FieldChecks, typed: str, allowed: tuple[str, ...], field: str) -> str | None:
    value = (typed or "").strip()
    if value and value not in allowed:
        check.add(
            field_error(
                "choice_invalid",
                field=field,
                message_zh="所选内容不在可选范围内",
                message_en="this is not one of the choices",
            )
        )
        return None
    return value or None


def _within(uow: SqlUnitOfWork, check: FieldChecks, actor: Actor, typed: str) -> str:
    code = (typed or "").strip()[:32]
    if not code:
        return actor.org_path
    node = OrganisationAdmin(uow.connection).by_code(code)
    if node is None or not actor.covers(node.path):
        check.add(
            field_error(
                "organisation_unknown",
                field="org",
                message_zh=f"您的管辖范围内没有编码为 {code} 的单位",
                message_en=f"there is no organisation {code} within your scope",
            )
        )
        return actor.org_path
    return node.path


def find_runs(services: ReconciliationServices, actor: Actor, form: SearchForm) -> Paged[ListedRun]:
    """A page of the runs of the actor's subtree (newest first) that overlap the dates, cover a
    node under the organisation and are in the state (``clean``, ``open``: differences left
    for a person, ``failed``).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reconciliation.view``; :class:`~gridpos.application.console.errors.InvalidFormError`:
    ``date_invalid``, ``organisation_unknown`` (field ``org``), ``choice_invalid`` (``state``).
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    check = FieldChecks()
    first = _date(check, form.date_from, "date_from")
    last = _date(check, form.date_to, "date_to")
    state = _choice(check, form.state, RUN_STATES, "state")
    page = max(form.page, 1)
    with services.reading() as uow:
        within = _within(uow, check, actor, form.org)
        check.done()
        search = RunSearch(uow.connection)
        rows, total = search.runs(
            RunFilter(within=within, date_from=first, date_to=last, state=state),
            offset=offset_of(page, PAGE_SIZE),
            limit=PAGE_SIZE,
        )
        waiting = search.still_waiting([int(row.id) for row in rows], within=actor.org_path)
    return Paged(
        items=[ListedRun(run_summary(row), waiting.get(int(row.id), 0)) for row in rows],
        total=total,
        page=page,
        per_page=PAGE_SIZE,
    )


def find_items(
    services: ReconciliationServices,
    actor: Actor,
    form: SearchForm,
    *,
    states: tuple[str, ...] = ITEM_STATES,
) -> Paged[QueueItem]:
    """A page of the differences across runs (oldest business date first) of the actor's
    subtree: under the organisation, of the kind, in the state (one of ``states``; any of them
    when none is chosen), their business date within the dates.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reconciliation.view``; :class:`~gridpos.application.console.errors.InvalidFormError`:
    ``date_invalid``, ``organisation_unknown`` (field ``org``), ``choice_invalid`` (``state``,
    ``kind``).
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    check = FieldChecks()
    first = _date(check, form.date_from, "date_from")
    last = _date(check, form.date_to, "date_to")
    state = _choice(check, form.state, states, "state")
    kind = _choice(check, form.kind, KINDS, "kind")
    page = max(form.page, 1)
    with services.reading() as uow:
        within = _within(uow, check, actor, form.org)
        check.done()
        rows, total = ReconciliationReading(uow.connection).items(
            within=within,
            wanted=ItemFilter(
                states=(state,) if state else states, kind=kind, date_from=first, date_to=last
            ),
            offset=offset_of(page, PAGE_SIZE),
            limit=PAGE_SIZE,
        )
    items = [queue_item(row) for row in rows]
    return Paged(items=items, total=total, page=page, per_page=PAGE_SIZE)
