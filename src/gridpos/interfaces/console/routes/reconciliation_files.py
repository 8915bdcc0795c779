"""银电联网对账文件: our daily reconciliation file of a business date downloaded (GBK, the
format the MIS writes its own in), and a file uploaded, checked whole — refused with its line and
the reason, nothing kept — or kept and its date reconciled against it, the run shown and linked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, Permission
from gridpos.application.reconciliation import RunDetail, run_detail
from gridpos.application.reconciliation.errors import ReconciliationError
from gridpos.application.reconciliation.file_exchange import (
    ExportedFile,
    ImportOutcome,
    export_day_file,
    import_day_file,
)
from gridpos.application.reconciliation.files import MAX_FILE_BYTES
from gridpos.interfaces.console.documents import attachment
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.agents import county_today, yuan
from gridpos.interfaces.console.routes.reconciliation_common import (
    note_reader,
    reconciliation_services,
)
from gridpos.interfaces.console.web import Visit, console_page

PATH: Final = "/reconciliation/files"
RUN_PATH: Final = "/reconciliation/runs/{run_id}"  # the run's own page
PAGE = Page(
    key="reconciliation_files",
    path=PATH,
    label=N_("Bank-grid reconciliation files"),
    section=Section.RECONCILIATION,
    permission=Permission.RECONCILIATION_VIEW,
    order=50,
)
GBK_TEXT: Final = "text/plain; charset=GBK"


def run_path(run_id: int) -> str:
    """The console path of a run's page."""
    return RUN_PATH.format(run_id=run_id)


def _render(
    visit: Visit,
    *,
    status: int = 200,
    export_errors: Any = None,
    import_refusals: list[dict[str, str]] | None = None,
    run: RunDetail | None = None,
) -> Response:
    yesterday = county_today(visit) - timedelta(days=1)
    return visit.render(
        "reconciliation_files/page.html",
        status_code=status,
        export_typed={
            "date": visit.query("date") or yesterday.isoformat(),
            "org": visit.query("org"),
        },
        import_typed={"date": visit.field("date")},
        export_errors=export_errors or {},
        import_refusals=import_refusals or [],
        run=run,
        note=note_reader(visit),
        run_path=run_path,
        may_import=visit.actor.can(Permission.RECONCILIATION_RESOLVE),
        max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
        yuan=yuan,
    )


@console_page(Permission.RECONCILIATION_VIEW)
async def files_page(visit: Visit) -> Response:
    """The export and import forms; after an import, the run that reconciled against it."""
    run: RunDetail | None = None
    run_id = visit.query_int("run", 0)
    if run_id > 0:
        try:
            run = await run_in_threadpool(
                run_detail, reconciliation_services(visit), visit.actor, run_id
            )
        except ReconciliationError:
            run = None
    return _render(visit, run=run)


@console_page(Permission.RECONCILIATION_VIEW)
async def export_download(visit: Visit) -> Response:
    """Our file of the business date for the node asked (the actor's own by default), GBK."""
    try:
        exported: ExportedFile = await run_in_threadpool(
            lambda: export_day_file(
                reconciliation_services(visit),
                visit.actor,
                business_date=visit.query("date"),
                scope_code=visit.query("org"),
            )
        )
    except InvalidFormError as refused:
        return _render(visit, status=422, export_errors=visit.field_errors(refused.errors))
    return Response(
        exported.data,
        media_type=GBK_TEXT,
        headers={
            "Content-Disposition": attachment(exported.file_name),
            "Cache-Control": "no-store",
        },
    )


async def _uploaded(visit: Visit) -> tuple[bytes | None, str]:
    """The uploaded file's bytes (at most one byte past the limit, so a larger one is known)
    and its name."""
    upload = visit.form.get("file") if visit.form is not None else None
    if not isinstance(upload, UploadFile):
        return None, ""
    data = await upload.read(MAX_FILE_BYTES + 1)
    return data, upload.filename or ""


@console_page(Permission.RECONCILIATION_RESOLVE)
async def import_submit(visit: Visit) -> Response:
    """Check the uploaded file whole, keep it and reconcile its date against it; refused, the
    page says which line and why, and nothing was kept."""
    data, file_name = await _uploaded(visit)
    try:
        outcome: ImportOutcome = await run_in_threadpool(
            lambda: import_day_file(
                reconciliation_services(visit),
                visit.actor,
                data,
                file_name=file_name,
                business_date=visit.field("date"),
            )
        )
    except InvalidFormError as refused:
        refusals = [
            {"code": error.code, "field": error.field or "", "message": visit.message(error)}
            for error in refused.errors
        ]
        return _render(visit, status=422, import_refusals=refusals)
    return visit.redirect(f"{PATH}?run={outcome.run_id}")


def module() -> ConsoleModule:
    """The reconciliation files' routes and menu entry."""
    return ConsoleModule(
        name="reconciliation_files",
        routes=[
            Route(PATH, files_page, methods=["GET"]),
            Route(f"{PATH}/export", export_download, methods=["GET"]),
            Route(f"{PATH}/import", import_submit, methods=["POST"]),
        ],
        pages=[PAGE],
    )
