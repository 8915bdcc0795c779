"""What the console shows of reconciliation, as plain data (pages, PDF and Excel are made from it):
the runs, a run's figures per side and its differences by kind, the differences with filters and
paging, the work queue, one difference's whole history with the actions an operator may take,
and a run's report.

Who: ``reconciliation.view`` (finance, station staff and heads, auditors, admins) in their
subtree — a run is seen by those whose subtree holds its node, a difference by those whose
subtree holds the payment's place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from gridpos.adapters.db.reconciliation.queue import ResolutionRow, ResolutionStore
from gridpos.adapters.db.reconciliation.reading import (
    DifferenceFilter,
    ItemFilter,
    ReconciliationReading,
)
from gridpos.adapters.db.reconciliation.runs import ItemRow, RunStore
from gridpos.application.console.access import Actor, Permission, require, require_scope
from gridpos.application.console.paging import Paged, offset_of
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import not_found, refusal
from gridpos.application.reconciliation.queue import actions_for, company_of
from gridpos.domain.reconciliation import Action, DifferenceKind

PAGE_SIZE: Final = 20
REPORT_MAX: Final = 50_000
STALLED_AFTER_S: Final = 30 * 60  # a month of a million payments takes about a minute
KINDS: Final = tuple(kind.value for kind in DifferenceKind)


@dataclass(frozen=True, slots=True)
class Side:
    """A count and a total (fen)."""

    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run: what it covered, its figures per side, and what it found and did."""

    id: int
    date_from: date
    date_to: date
    scope_kind: str
    scope_code: str
    scope_name: str
    mis_source: str
    mis_note: str
    origin: str
    state: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    failure: str
    terminal: Side  # journal rows that stand (uploaded detail)
    terminal_undone: Side
    attested: Side  # payments of batches closed balanced (no detail needed)
    unreported: Side  # payments of batches not closed yet
    company: Side
    company_undone: Side
    mis: Side
    mis_undone: Side
    matched: int
    differences: int
    open: int
    repaired: int
    new: int
    again: int
    cleared: int
    previous_run_id: int | None

    @property
    def clean(self) -> bool:
        """Done, and nothing left for a person: every difference repaired, accepted or cleared."""
        return self.state == "done" and self.open == 0


def _side(row: Any, name: str) -> Side:
    return Side(
        count=int(getattr(row, f"{name}_count")), amount=int(getattr(row, f"{name}_amount"))
    )


def run_summary(row: Any) -> RunSummary:
    """A :class:`RunSummary` of a ``reconciliation_runs`` row."""
    return RunSummary(
        id=int(row.id),
        date_from=row.date_from,
        date_to=row.date_to,
        scope_kind=row.scope_kind,
        scope_code=row.scope_code,
        scope_name=row.scope_name,
        mis_source=row.mis_source,
        mis_note=row.mis_note,
        origin=row.origin,
        state=row.state,
        started_by=row.started_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        failure=row.failure,
        terminal=_side(row, "terminal"),
        terminal_undone=_side(row, "terminal_undone"),
        attested=_side(row, "attested"),
        unreported=_side(row, "unreported"),
        company=_side(row, "company"),
        company_undone=_side(row, "company_undone"),
        mis=_side(row, "mis"),
        mis_undone=_side(row, "mis_undone"),
        matched=int(row.matched_count),
        differences=int(row.difference_count),
        open=int(row.open_count),
        repaired=int(row.repaired_count),
        new=int(row.new_count),
        again=int(row.again_count),
        cleared=int(row.cleared_count),
        previous_run_id=row.previous_run_id,
    )


@dataclass(frozen=True, slots=True)
class KindCount:
    """How many differences of one kind (between two records) a run found, by change."""

    sides: str
    kind: str
    label_zh: str
    change: str
    count: int
    still_open: int


@dataclass(frozen=True, slots=True)
class RunDetail:
    summary: RunSummary
    by_kind: tuple[KindCount, ...]


@dataclass(frozen=True, slots=True)
class DifferenceView:
    """One difference of a run, with what each record said and where its item stands now."""

    id: int
    run_id: int
    item_id: int
    item_state: str
    item_version: int
    change: str
    sides: str
    kind: str
    label_zh: str
    remedy: str
    safe: bool
    reason: str
    txn_id: str
    payment_id: int | None
    terminal_no: str | None
    business_date: date
    account_no: str
    coverage: str
    journal_cash: int | None
    journal_state: str | None
    company_cash: int | None
    company_state: str | None
    company_state_mis: str | None
    mis_cash: int | None
    mis_state: str | None
    mis_serial: str | None
    outcome: str
    outcome_note: str


def _difference(row: Any) -> DifferenceView:
    return DifferenceView(
        id=int(row.id),
        run_id=int(row.run_id),
        item_id=int(row.item_id),
        item_state=row.item_state,
        item_version=int(row.item_version),
        change=row.change,
        sides=row.sides,
        kind=row.kind,
        label_zh=DifferenceKind(row.kind).label_zh,
        remedy=row.remedy,
        safe=bool(row.safe),
        reason=row.reason,
        txn_id=row.txn_id,
        payment_id=row.payment_id,
        terminal_no=row.terminal_no,
        business_date=row.business_date,
        account_no=row.account_no,
        coverage=row.coverage,
        journal_cash=row.journal_cash,
        journal_state=row.journal_state,
        company_cash=row.company_cash,
        company_state=row.company_state,
        company_state_mis=row.company_state_mis,
        mis_cash=row.mis_cash,
        mis_state=row.mis_state,
        mis_serial=row.mis_serial,
        outcome=row.outcome,
        outcome_note=row.outcome_note,
    )


def _visible_run(reading: ReconciliationReading, actor: Actor, run_id: int) -> Any:
    row = reading.run(run_id)
    if row is None:
        raise not_found("run", run_id, field="run_id")
    require_scope(actor, row.org_path)
    return row


def list_runs(
    services: ReconciliationServices,
    actor: Actor,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Paged[RunSummary]:
    """The runs of the actor's subtree, newest first; with dates, those overlapping them.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reconciliation.view``.
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    with services.reading() as uow:
        rows, total = ReconciliationReading(uow.connection).runs(
            within=actor.org_path,
            date_from=date_from,
            date_to=date_to,
            offset=offset_of(page, per_page),
            limit=per_page,
        )
    return Paged(
        items=[run_summary(row) for row in rows], total=total, page=page, per_page=per_page
    )


def run_detail(services: ReconciliationServices, actor: Actor, run_id: int) -> RunDetail:
    """A run's figures per side and its differences counted by kind and change.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` (no
    ``reconciliation.view``, or the run's node outside the actor's subtree),
    :class:`ReconciliationError` ``run_unknown``.
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    with services.reading() as uow:
        reading = ReconciliationReading(uow.connection)
        row = _visible_run(reading, actor, run_id)
        counts = reading.counts_by_kind(run_id)
    return RunDetail(
        summary=run_summary(row),
        by_kind=tuple(
            KindCount(sides, kind, DifferenceKind(kind).label_zh, change, count, still_open)
            for sides, kind, change, count, still_open in counts
        ),
    )


def _difference_filter(
    *, kind: str = "", sides: str = "", outcome: str = "", change: str = "", search: str = ""
) -> DifferenceFilter:
    if kind and kind not in KINDS:
        raise refusal(
            "choice_invalid", field="kind", zh="差异类型不在可选范围内", en="no such kind"
        )
    text = (search or "").strip()[:64]
    return DifferenceFilter(
        kind=kind or None,
        sides=sides or None,
        outcome=outcome or None,
        change=change or None,
        search=text or None,
    )


def list_differences(
    services: ReconciliationServices,
    actor: Actor,
    run_id: int,
    *,
    kind: str = "",
    sides: str = "",
    outcome: str = "",
    change: str = "",
    search: str = "",
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Paged[DifferenceView]:
    """A page of a run's differences in the actor's subtree that the filters keep (``search``:
    the start of a transaction id or customer number).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError`;
    :class:`ReconciliationError` ``run_unknown``, ``choice_invalid`` (field ``kind``).
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    wanted = _difference_filter(
        kind=kind, sides=sides, outcome=outcome, change=change, search=search
    )
    with services.reading() as uow:
        reading = ReconciliationReading(uow.connection)
        _visible_run(reading, actor, run_id)
        rows, total = reading.differences(
            run_id,
            within=actor.org_path,
            wanted=wanted,
            offset=offset_of(page, per_page),
            limit=per_page,
        )
    return Paged(
        items=[_difference(row) for row in rows], total=total, page=page, per_page=per_page
    )


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A difference of the work queue."""

    id: int
    version: int
    state: str
    txn_id: str
    sides: str
    kind: str
    label_zh: str
    remedy: str
    reason: str
    business_date: date
    account_no: str
    terminal_no: str | None
    cash: int
    note: str
    first_run_id: int
    last_run_id: int


def queue_item(row: Any) -> QueueItem:
    """A work-queue item from its row."""
    return QueueItem(
        id=int(row.id),
        version=int(row.version),
        state=row.state,
        txn_id=row.txn_id,
        sides=row.sides,
        kind=row.kind,
        label_zh=DifferenceKind(row.kind).label_zh,
        remedy=row.remedy,
        reason=row.reason,
        business_date=row.business_date,
        account_no=row.account_no,
        terminal_no=row.terminal_no,
        cash=int(row.cash),
        note=row.note,
        first_run_id=int(row.first_run_id),
        last_run_id=int(row.last_run_id),
    )


def work_queue(
    services: ReconciliationServices,
    actor: Actor,
    *,
    waiting_decision: bool | None = None,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Paged[QueueItem]:
    """The differences of the actor's subtree waiting for a person — open ones and those whose
    request waits for a decision (``waiting_decision`` True or False: only those), oldest
    business date first.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError`;
    :class:`ReconciliationError` ``choice_invalid`` (field ``kind``).
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    if kind and kind not in KINDS:
        raise refusal(
            "choice_invalid", field="kind", zh="差异类型不在可选范围内", en="no such kind"
        )
    states: tuple[str, ...] = ("open", "requested")
    if waiting_decision is not None:
        states = ("requested",) if waiting_decision else ("open",)
    with services.reading() as uow:
        rows, total = ReconciliationReading(uow.connection).items(
            within=actor.org_path,
            wanted=ItemFilter(
                states=states, kind=kind or None, date_from=date_from, date_to=date_to
            ),
            offset=offset_of(page, per_page),
            limit=per_page,
        )
    return Paged(items=[queue_item(row) for row in rows], total=total, page=page, per_page=per_page)


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """One difference of the queue: where it stands, every run that found it, every request
    made of it, and the actions an operator may take now (none unless it is open)."""

    item: ItemRow
    label_zh: str
    history: tuple[DifferenceView, ...]
    resolutions: tuple[ResolutionRow, ...]
    actions: tuple[Action, ...]


def item_detail(services: ReconciliationServices, actor: Actor, item_id: int) -> ItemDetail:
    """The item ``item_id`` (see :class:`ItemDetail`).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError`;
    :class:`ReconciliationError` ``item_unknown``.
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    with services.reading() as uow:
        item = RunStore(uow.connection).item(item_id)
        if item is None:
            raise not_found("item", item_id, field="item_id")
        require_scope(actor, item.org_path)
        history = ReconciliationReading(uow.connection).history(item_id)
        resolutions = ResolutionStore(uow.connection).of_item(item_id)
        company = company_of(uow, item)
    actions: tuple[Action, ...] = ()
    if item.state == "open" and actor.can(Permission.RECONCILIATION_RESOLVE):
        actions = actions_for(item, company, today=services.today())
    return ItemDetail(
        item=item,
        label_zh=DifferenceKind(item.kind).label_zh,
        history=tuple(_difference(row) for row in history),
        resolutions=tuple(resolutions),
        actions=actions,
    )


@dataclass(frozen=True, slots=True)
class RunReport:
    """A run and every difference it found (at most :data:`REPORT_MAX`), for PDF and Excel."""

    summary: RunSummary
    by_kind: tuple[KindCount, ...]
    differences: tuple[DifferenceView, ...]
    truncated: bool


def run_report(
    services: ReconciliationServices, actor: Actor, run_id: int, *, kind: str = ""
) -> RunReport:
    """A run's report (see :class:`RunReport`).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError`;
    :class:`ReconciliationError` ``run_unknown``, ``choice_invalid``.
    """
    detail = run_detail(services, actor, run_id)
    wanted = _difference_filter(kind=kind)
    with services.reading() as uow:
        rows = ReconciliationReading(uow.connection).all_differences(
            run_id, within=actor.org_path, wanted=wanted, limit=REPORT_MAX + 1
        )
    return RunReport(
        summary=detail.summary,
        by_kind=detail.by_kind,
        differences=tuple(_difference(row) for row in rows[:REPORT_MAX]),
        truncated=len(rows) > REPORT_MAX,
    )


def open_differences(services: ReconciliationServices, actor: Actor) -> int:
    """How many differences of the actor's subtree wait for a person: the monitoring page's
    alert. Zero without ``reconciliation.view``."""
    if not actor.can(Permission.RECONCILIATION_VIEW):
        return 0
    with services.reading() as uow:
        return ReconciliationReading(uow.connection).open_count(within=actor.org_path)


def run_outcome(
    services: ReconciliationServices, run_id: int, *, limit: int = 1_000
) -> tuple[RunSummary, tuple[KindCount, ...], tuple[DifferenceView, ...]]:
    """A run's summary, counts by kind and differences (at most ``limit``), for the programs
    that ran it (the command line, the worker): no operator, no subtree.

    Raises :class:`ReconciliationError` ``run_unknown``.
    """
    with services.reading() as uow:
        reading = ReconciliationReading(uow.connection)
        row = reading.run(run_id)
        if row is None:
            raise not_found("run", run_id, field="run_id")
        counts = reading.counts_by_kind(run_id)
        rows = reading.all_differences(run_id, within="/", wanted=DifferenceFilter(), limit=limit)
    return (
        run_summary(row),
        tuple(
            KindCount(sides, kind, DifferenceKind(kind).label_zh, change, count, still_open)
            for sides, kind, change, count, still_open in counts
        ),
        tuple(_difference(diff) for diff in rows),
    )


@dataclass(frozen=True, slots=True)
class RunProgress:
    """How far a running run has got: ``reading_mis`` (its MIS side not read yet),
    ``matching`` (the three sides being matched and the differences recorded), ``repairing``
    (the differences recorded, the safe remedies being applied); the seconds since it
    started; and whether it has gone on so much longer than any run takes that the process
    working on it has most likely stopped (:data:`STALLED_AFTER_S`)."""

    phase: str
    seconds: int

    @property
    def stalled(self) -> bool:
        return self.seconds > STALLED_AFTER_S


def run_progress(summary: RunSummary, *, now: datetime) -> RunProgress:
    """The progress of a running run, as its row shows it (:mod:`.run` writes the MIS note
    once the MIS side is read, and the figures once the differences are recorded)."""
    if summary.mis_source != "none" and not summary.mis_note:
        phase = "reading_mis"
    elif summary.previous_run_id is None and not any(
        (
            summary.matched,
            summary.differences,
            summary.terminal.count,
            summary.attested.count,
            summary.unreported.count,
            summary.company.count,
            summary.mis.count,
        )
    ):
        phase = "matching"
    else:
        phase = "repairing"
    started = summary.started_at
    if started.tzinfo is None and now.tzinfo is not None:
        started = started.replace(tzinfo=now.tzinfo)
    return RunProgress(phase=phase, seconds=max(0, int((now - started).total_seconds())))
