"""对账批次: the reconciliation runs (dates, organisation, state; newest first), the form that runs
one (dates, node of the operator's subtree, MIS source — the run is opened at once and the
engine works on it in the background while the run's page shows how far it has got), and a
run's page: the figures per side, the differences by kind and what changed since the previous
run over the same range, every difference with its records, remedy and outcome, and the run's
report as PDF and Excel."""

from __future__ import annotations

import structlog
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.reconciliation import (
    ReconciliationError,
    ReconciliationServices,
    list_differences,
    run_detail,
    run_report,
)
from gridpos.application.reconciliation.run import MAX_DAYS, SOURCES, StartedRun, complete_run
from gridpos.application.reconciliation.search import SearchForm, find_runs
from gridpos.application.reconciliation.start import RunForm, start_run
from gridpos.application.reconciliation.views import KINDS, run_progress
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.reconciliation_common import (
    OUTCOME_LABELS,
    labels,
    not_found_if_unknown,
    readers,
    reconciliation_services,
)
from gridpos.interfaces.console.routes.reconciliation_queue import module as queue_module
from gridpos.interfaces.console.routes.reconciliation_report import report_pdf, report_xlsx
from gridpos.interfaces.console.web import Visit, console_page

_log = structlog.get_logger(__name__)
RUN_FILTERS = ("date_from", "date_to", "org", "state")
PHASE_LABELS = {
    "reading_mis": N_("reading the MIS's postings"),
    "matching": N_("matching the three sides"),
    "repairing": N_("applying the safe repairs"),
}
DIFFERENCE_FILTERS = ("kind", "outcome", "change", "q")
CHANGES = ("new", "again", "cleared")
PAGE = Page(
    key="reconciliation_runs",
    path="/reconciliation/runs",
    label=N_("Reconciliation runs"),
    section=Section.RECONCILIATION,
    permission=Permission.RECONCILIATION_VIEW,
    order=10,
)


def _run_id(visit: Visit) -> int:
    return int(visit.request.path_params["run_id"])


@console_page(Permission.RECONCILIATION_VIEW)
async def runs_page(visit: Visit) -> Response:
    """The runs of the actor's subtree."""
    filters = {name: visit.query(name) for name in RUN_FILTERS}
    form = SearchForm(
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        org=filters["org"],
        state=filters["state"],
        page=visit.query_int("page"),
    )
    errors: dict[str, str] = {}
    listed = None
    try:
        listed = await run_in_threadpool(
            find_runs, reconciliation_services(visit), visit.actor, form
        )
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
    return visit.render(
        "reconciliation/runs.html",
        status_code=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        may_run=visit.actor.can(Permission.RECONCILIATION_RESOLVE),
        **labels(),
        **readers(visit),
    )


def _new_form(
    visit: Visit, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    return visit.render(
        "reconciliation/new.html",
        status_code=status,
        values=values,
        errors=errors,
        sources=SOURCES,
        max_days=MAX_DAYS,
        **labels(),
        **readers(visit),
    )


@console_page(Permission.RECONCILIATION_RESOLVE)
async def new_page(visit: Visit) -> Response:
    """The form that runs a reconciliation (dates, node and source may come in the query)."""
    values = {
        "date_from": visit.query("date_from"),
        "date_to": visit.query("date_to"),
        "org": visit.query("org", visit.actor.org_code),
        "source": visit.query("source", "report"),
    }
    return _new_form(visit, values, {}, 200)


def _complete(services: ReconciliationServices, started: StartedRun) -> None:
    """The engine's work on a run opened from the form; a failure is on the run's row."""
    try:
        complete_run(services, started)
    except Exception:  # the run is marked failed with its reason; the visitor sees it there
        _log.exception("reconciliation_run_failed", run_id=started.run_id)


@console_page(Permission.RECONCILIATION_RESOLVE)
async def new_submit(visit: Visit) -> Response:
    """Open the run the form names and show it at once; the engine works on it in the
    background (the run's page follows it until it is done)."""
    values = {name: visit.field(name) for name in ("date_from", "date_to", "org", "source")}
    form = RunForm(**values)
    services = reconciliation_services(visit)
    try:
        started = await run_in_threadpool(start_run, services, visit.actor, form)
    except InvalidFormError as refused:
        return _new_form(visit, values, dict(visit.field_errors(refused.errors)), 422)
    except ReconciliationError as refused:
        field = refused.field if refused.field in values else ""
        return _new_form(visit, values, {field or "": visit.message(refused)}, 422)
    response = visit.redirect(f"/reconciliation/runs/{started.run_id}")
    response.background = BackgroundTask(_complete, services, started)
    return response


@console_page(Permission.RECONCILIATION_VIEW)
async def run_progress_part(visit: Visit) -> Response:
    """A running run's progress (polled by its page); once it is over, the page reloads."""
    services = reconciliation_services(visit)
    try:
        detail = await run_in_threadpool(run_detail, services, visit.actor, _run_id(visit))
    except ReconciliationError as refused:
        raise not_found_if_unknown(refused) from refused
    summary = detail.summary
    if summary.state != "running":
        if visit.request.headers.get("hx-request") == "true":
            return visit.finish(Response(status_code=204, headers={"HX-Refresh": "true"}))
        return visit.redirect(f"/reconciliation/runs/{summary.id}")
    return visit.render(
        "reconciliation/_progress.html",
        run=summary,
        progress=run_progress(summary, now=services.clock.now()),
        phase_labels=PHASE_LABELS,
    )


@console_page(Permission.RECONCILIATION_VIEW)
async def run_page(visit: Visit) -> Response:
    """One run: its figures, its differences by kind, a page of its differences."""
    services = reconciliation_services(visit)
    run_id = _run_id(visit)
    filters = {name: visit.query(name) for name in DIFFERENCE_FILTERS}
    try:
        detail = await run_in_threadpool(run_detail, services, visit.actor, run_id)
    except ReconciliationError as refused:
        raise not_found_if_unknown(refused) from refused
    errors: dict[str, str] = {}
    differences = None
    try:
        differences = await run_in_threadpool(
            lambda: list_differences(
                services,
                visit.actor,
                run_id,
                kind=filters["kind"] if filters["kind"] in KINDS else "",
                outcome=filters["outcome"] if filters["outcome"] in OUTCOME_LABELS else "",
                change=filters["change"] if filters["change"] in CHANGES else "",
                search=filters["q"],
                page=visit.query_int("page"),
            )
        )
    except ReconciliationError as refused:
        errors = {refused.field or "": visit.message(refused)}
    summary = detail.summary
    return visit.render(
        "reconciliation/run.html",
        detail=detail,
        run=summary,
        progress=run_progress(summary, now=services.clock.now()),
        phase_labels=PHASE_LABELS,
        differences=differences,
        filters=filters,
        errors=errors,
        kinds=KINDS,
        changes=CHANGES,
        may_run=visit.actor.can(Permission.RECONCILIATION_RESOLVE),
        again_source=summary.mis_source if summary.mis_source in SOURCES else "report",
        **labels(),
        **readers(visit),
    )


@console_page(Permission.RECONCILIATION_VIEW)
async def run_pdf(visit: Visit) -> Response:
    """The run's report as a printable PDF."""
    try:
        report = await run_in_threadpool(
            run_report, reconciliation_services(visit), visit.actor, _run_id(visit)
        )
    except ReconciliationError as refused:
        raise not_found_if_unknown(refused) from refused
    return await report_pdf(visit, report)


@console_page(Permission.RECONCILIATION_VIEW)
async def run_xlsx(visit: Visit) -> Response:
    """The run's report as an Excel workbook."""
    try:
        report = await run_in_threadpool(
            run_report, reconciliation_services(visit), visit.actor, _run_id(visit)
        )
    except ReconciliationError as refused:
        raise not_found_if_unknown(refused) from refused
    return await report_xlsx(visit, report)


def module() -> ConsoleModule:
    """The reconciliation pages' routes and menu entries (runs; differences and work queue)."""
    queue = queue_module()
    return ConsoleModule(
        name="reconciliation",
        routes=[
            Route("/reconciliation/runs", runs_page, methods=["GET"]),
            Route("/reconciliation/runs/new", new_page, methods=["GET"]),
            Route("/reconciliation/runs/new", new_submit, methods=["POST"]),
            Route("/reconciliation/runs/{run_id:int}", run_page, methods=["GET"]),
            Route("/reconciliation/runs/{run_id:int}/progress", run_progress_part, methods=["GET"]),
            Route("/reconciliation/runs/{run_id:int}/report.pdf", run_pdf, methods=["GET"]),
            Route("/reconciliation/runs/{run_id:int}/report.xlsx", run_xlsx, methods=["GET"]),
            *queue.routes,
        ],
        pages=[PAGE, *queue.pages],
    )
