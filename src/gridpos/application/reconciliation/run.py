"""对账: reconcile a range of business dates for an organisation node, three ways.

1. The run is written (``running``) at once, so it can be shown while it goes on
   (:func:`open_run`); the rest (:func:`complete_run`) may run in the background.
2. The MIS side is read (the posting detail or the reconciliation file of every date, from the
   MIS) and loaded in bulk — or a load given (an imported file, a benchmark's) is used. When the
   MIS cannot be read, the run compares the journals and the company's payments alone and says
   why; nothing about the MIS is cleared then.
3. One statement matches the three sets and totals each side (:mod:`gridpos.adapters.db.
   reconciliation.sets`), inside one read-only snapshot with the reading of the candidates.
4. The domain classifies each candidate; the differences are recorded against the work queue,
   with what changed since the previous run over the same range (:mod:`.findings`), with an
   audit entry.
5. Safe remedies are applied, each in its own transaction (:mod:`.repair`), unless asked not to;
   then the run is ``done``.

A run that fails is marked failed with its reason; its differences are not half-recorded (step 4
is one transaction).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from gridpos.adapters.db.reconciliation.loads import MisLoads
from gridpos.adapters.db.reconciliation.runs import RunStore
from gridpos.adapters.db.reconciliation.sets import match, needs_coverage
from gridpos.adapters.mis import MisError
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import refusal
from gridpos.application.reconciliation.evidence import gather, records
from gridpos.application.reconciliation.findings import RunWindow, record_findings
from gridpos.application.reconciliation.mis_side import FILE, REPORT, fetch_mis
from gridpos.application.reconciliation.notes import Note, note
from gridpos.application.reconciliation.repair import repair_run
from gridpos.application.reconciliation.scope import Scope, resolve_scope
from gridpos.domain.audit import AuditAction
from gridpos.domain.reconciliation import Between, classify
from gridpos.protocol.bank_file import BankFileError

MAX_DAYS: Final = 62
SOURCES: Final = (REPORT, FILE, "none")
ORIGINS: Final = ("command", "console", "schedule", "import")


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to reconcile, and how."""

    date_from: date
    date_to: date
    scope_code: str | None = None  # organisation code, agent code or terminal number
    mis_source: str = REPORT  # report / file / none
    mis_load_id: int | None = None  # compare against this load instead of reading the MIS
    origin: str = "command"
    actor: str = "system:reconcile"
    repair: bool = True
    schedule_key: str | None = None


def check_range(date_from: date, date_to: date) -> None:
    """Raises :class:`ReconciliationError` ``date_range_invalid`` (field ``date_to``) for a range
    that ends before it starts or spans more than :data:`MAX_DAYS` days."""
    if date_to < date_from or (date_to - date_from).days + 1 > MAX_DAYS:
        raise refusal(
            "date_range_invalid",
            field="date_to",
            zh=f"对账日期范围须从早到晚，且不超过 {MAX_DAYS} 天",
            en=f"the dates must run forwards and span at most {MAX_DAYS} days",
            date_from=date_from.isoformat(),
            date_to=date_to.isoformat(),
        )


def _check_request(request: RunRequest) -> None:
    check_range(request.date_from, request.date_to)
    if request.mis_source not in SOURCES:
        raise refusal(
            "mis_source_invalid",
            field="source",
            zh="营销系统数据来源应为 report、file 或 none",
            en="the MIS side is read from report, file or none",
        )
    if request.origin not in ORIGINS:
        raise ValueError(f"unknown origin {request.origin!r}")


def _mis_side(
    services: ReconciliationServices, request: RunRequest
) -> tuple[int | None, str, str, bool]:
    """(load id, source, note, postings stand at their day's end) of the run's MIS side."""
    if request.mis_load_id is not None:
        with services.reading() as uow:
            load = MisLoads(uow.connection).get(request.mis_load_id)
        if load is None:
            raise refusal(
                "mis_load_unknown",
                field="mis_load_id",
                zh="营销系统数据批次不存在",
                en=f"there is no MIS load {request.mis_load_id}",
            )
        stored = note("mis_load", load=load.id).stored()
        return load.id, load.source, stored, load.source != REPORT
    if request.mis_source == "none":
        return None, "none", note("mis_not_compared").stored(), False
    if services.mis is None:
        return None, "none", note("mis_not_configured").stored(), False
    try:
        fetched = fetch_mis(
            services.mis,
            date_from=request.date_from,
            date_to=request.date_to,
            source=request.mis_source,
        )
    except (MisError, BankFileError) as exc:
        return None, "none", note("mis_unreadable", error=str(exc)[:500]).stored(), False
    now = services.clock.now()
    with services.writing() as uow:
        load_id = MisLoads(uow.connection).add(
            source=request.mis_source,
            date_from=request.date_from,
            date_to=request.date_to,
            lines=fetched.lines,
            other_count=fetched.other_count,
            other_amount=fetched.other_amount,
            created_at=now,
            created_by=request.actor,
        )
        uow.commit()
    more = []
    if fetched.other_count:
        more.append(note("mis_other_channels", count=fetched.other_count))
    if fetched.undos_before_range:
        more.append(note("mis_undos_before", count=fetched.undos_before_range))
    read = Note(
        "mis_read",
        {"count": len(fetched.lines), "source": request.mis_source},
        tuple(more),
    )
    return load_id, request.mis_source, read.stored(), request.mis_source == FILE


def reconcile(services: ReconciliationServices, request: RunRequest) -> int:
    """Run a reconciliation (see the module docstring) to its end; the run's id.

    Raises :class:`ReconciliationError`: ``date_range_invalid``, ``mis_source_invalid``,
    ``scope_unknown``, ``mis_load_unknown``; and
    :class:`~gridpos.adapters.db.reconciliation.runs.ScheduleTakenError` when the scheduled run
    of ``request.schedule_key`` was already started. Anything unanticipated marks the run failed
    and is raised again.
    """
    started = open_run(services, request)
    complete_run(services, started)
    return started.run_id


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A run written ``running`` and what it is to do."""

    run_id: int
    request: RunRequest
    scope: Scope


def open_run(services: ReconciliationServices, request: RunRequest) -> StartedRun:
    """Check ``request`` and write its run ``running`` (the MIS side not read yet: its note
    empty) with an id to show at once; :func:`complete_run` does the rest.

    Raises what :func:`reconcile` raises before anything is written.
    """
    _check_request(request)
    with services.reading() as uow:
        scope = resolve_scope(uow.connection, request.scope_code)
        if (
            request.mis_load_id is not None
            and MisLoads(uow.connection).get(request.mis_load_id) is None
        ):
            raise refusal(
                "mis_load_unknown",
                field="mis_load_id",
                zh="营销系统数据批次不存在",
                en=f"there is no MIS load {request.mis_load_id}",
            )
    source = request.mis_source if request.mis_load_id is None else "none"
    with services.writing() as uow:
        run_id = RunStore(uow.connection).start(
            {
                "date_from": request.date_from,
                "date_to": request.date_to,
                "scope_kind": scope.kind,
                "scope_code": scope.code,
                "scope_name": scope.name[:100],
                "org_path": scope.org_path,
                "agent_id": scope.agent_id,
                "terminal_id": scope.terminal_id,
                "mis_source": source,
                "mis_load_id": None,
                "mis_note": "",
                "origin": request.origin,
                "schedule_key": request.schedule_key,
                "started_by": request.actor,
                "started_at": services.clock.now(),
            }
        )
        uow.commit()
    return StartedRun(run_id=run_id, request=request, scope=scope)


def complete_run(services: ReconciliationServices, started: StartedRun) -> None:
    """Read the MIS side, match, record and repair the run :func:`open_run` wrote; the run is
    ``done`` once its safe remedies are applied. Anything unanticipated marks the run failed
    with its reason and is raised again."""
    request, run_id = started.request, started.run_id
    try:
        load_id, source, mis_note, at_day_end = _mis_side(services, request)
        with services.writing() as uow:
            RunStore(uow.connection).update(
                run_id, {"mis_source": source, "mis_load_id": load_id, "mis_note": mis_note}
            )
            uow.commit()
        _match_and_record(
            services,
            request,
            scope=started.scope,
            run_id=run_id,
            load_id=load_id,
            at_day_end=at_day_end,
            started=time.monotonic(),
        )
        if request.repair:
            repair_run(services, run_id, actor=request.actor)
        with services.writing() as uow:
            RunStore(uow.connection).finish(run_id, now=services.clock.now(), values={})
            uow.commit()
    except BaseException as exc:
        with services.writing() as uow:
            RunStore(uow.connection).fail(run_id, now=services.clock.now(), failure=repr(exc))
            uow.commit()
        raise


def _match_and_record(
    services: ReconciliationServices,
    request: RunRequest,
    *,
    scope: Scope,
    run_id: int,
    load_id: int | None,
    at_day_end: bool,
    started: float,
) -> None:
    window = scope.filter(
        date_from=request.date_from,
        date_to=request.date_to,
        mis_load_id=load_id,
        mis_at_day_end=at_day_end,
    )
    with services.reading() as uow:
        window = replace(window, coverage=needs_coverage(uow.connection, window))
        figures = match(uow.connection, window)
        evidence = gather(uow.connection, figures.candidates, load_id=load_id)
    found = []
    for item in evidence:
        journal, company, mis = records(item, date_to=request.date_to, mis_at_day_end=at_day_end)
        findings = classify(
            journal=journal,
            company=company,
            mis=mis,
            coverage=item.coverage,
            compare_mis=load_id is not None,
            tombstoned=item.tombstoned,
        )
        if findings:
            found.append((item, findings))
    sides: tuple[str, ...] = (Between.TERMINAL_COMPANY.value,)
    if load_id is not None:
        sides = (*sides, Between.COMPANY_MIS.value)
    now = services.clock.now()
    with services.writing() as uow:
        store = RunStore(uow.connection)
        recorded = record_findings(
            store,
            RunWindow(
                run_id=run_id,
                date_from=request.date_from,
                date_to=request.date_to,
                scope=scope,
                sides=sides,
                mis_at_day_end=at_day_end,
                now=now,
            ),
            found,
        )
        previous = store.previous(
            run_id=run_id,
            date_from=request.date_from,
            date_to=request.date_to,
            scope_kind=scope.kind,
            scope_code=scope.code,
        )
        figure_values = {
            name: getattr(figures, name)
            for name in figures.__dataclass_fields__
            if name != "candidates"
        }
        store.update(
            run_id,
            {
                **figure_values,
                "difference_count": recorded.differences,
                "open_count": recorded.open,
                "new_count": recorded.new,
                "again_count": recorded.again,
                "cleared_count": recorded.cleared,
                "previous_run_id": previous,
            },
        )
        uow.audit.append(
            occurred_at=now,
            actor=request.actor,
            action=AuditAction.RECONCILIATION_RUN,
            subject=f"reconciliation_run:{run_id}",
            details={
                "date_from": request.date_from,
                "date_to": request.date_to,
                "scope": scope.code,
                "mis_load": load_id,
                "company_count": figures.company_count,
                "company_amount": figures.company_amount,
                "differences": recorded.differences,
                "by_kind": dict(sorted(recorded.by_kind.items())),
                "new": recorded.new,
                "cleared": recorded.cleared,
                "milliseconds": int((time.monotonic() - started) * 1000),
            },
        )
        uow.commit()
