"""银电联网对账文件 as an operator exchanges them in the console: our file of a business date
exported for a node of their subtree, and a file imported, checked whole and reconciled against.

Reading our file needs ``reconciliation.view`` and gives the actor's own node unless they name
one below it. Importing needs ``reconciliation.resolve`` (the run it starts applies the safe
remedies): the file is checked whole (:func:`~.files.import_file`) — nothing is kept when any
line is wrong — then its business date is reconciled against it for the actor's own node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.application.console.access import Actor, Permission, require, require_scope
from gridpos.application.console.errors import InvalidFormError, field_error
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import ReconciliationError
from gridpos.application.reconciliation.files import (
    MAX_FILE_BYTES,
    ImportedFile,
    export_file,
    import_file,
)
from gridpos.application.reconciliation.run import RunRequest, reconcile
from gridpos.application.reconciliation.scope import Scope, resolve_scope
from gridpos.application.reconciliation.views import RunSummary, run_outcome

FILE_NAME_MAX: Final = 255
MAX_MEGABYTES: Final = MAX_FILE_BYTES // (1024 * 1024)


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """Our file of a business date for a node: its bytes (GBK) and the name to save it by."""

    business_date: date
    scope_code: str
    scope_name: str
    data: bytes

    @property
    def file_name(self) -> str:
        """``DZYYYYMMDD.txt`` as the MIS names its own, the node's code added when it is one
        node of the county."""
        return f"DZ{self.business_date:%Y%m%d}{self._suffix}.txt"

    @property
    def _suffix(self) -> str:
        return f"-{self.scope_code}" if self.scope_code != "*" else ""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """A file kept and the run that reconciled its business date against it."""

    imported: ImportedFile
    run_id: int
    summary: RunSummary


def _typed_day(text: str, *, field: str, required: bool) -> date | None:
    typed = (text or "").strip()
    if not typed and not required:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise InvalidFormError(
            [
                field_error(
                    "date_invalid",
                    field=field,
                    message_zh="日期格式应为 年-月-日，如 2024-05-01",
                    message_en="a date is written year-month-day, like 2024-05-01",
                )
            ]
        ) from None


def _scope_of(services: ReconciliationServices, actor: Actor, code: str) -> Scope:
    """The node ``code`` names (empty: the actor's own node), refused outside the subtree."""
    with services.reading() as uow:
        try:
            scope = resolve_scope(uow.connection, code.strip() or actor.org_code)
        except ReconciliationError as refused:
            raise InvalidFormError([refused]) from refused
    require_scope(actor, scope.org_path)
    return scope


def export_day_file(
    services: ReconciliationServices, actor: Actor, *, business_date: str, scope_code: str = ""
) -> ExportedFile:
    """Our reconciliation file of ``business_date`` (as typed) for the node ``scope_code``
    (organisation code, agent code or terminal number; empty: the actor's own node).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reconciliation.view`` or for a node outside the subtree; :class:`InvalidFormError` for a
    date malformed (field ``date``) or a node unknown (field ``org``).
    """
    require(actor, Permission.RECONCILIATION_VIEW)
    day = _typed_day(business_date, field="date", required=True)
    assert day is not None  # noqa: S101 - required above
    scope = _scope_of(services, actor, scope_code)
    data = export_file(services, business_date=day, scope_code=scope.code)
    return ExportedFile(business_date=day, scope_code=scope.code, scope_name=scope.name, data=data)


def import_day_file(
    services: ReconciliationServices,
    actor: Actor,
    data: bytes | None,
    *,
    file_name: str = "",
    business_date: str = "",
) -> ImportOutcome:
    """Check the uploaded file whole, keep it, and reconcile its business date against it for
    the actor's node (repairing what is safe); with ``business_date`` typed, a file of another
    date is refused.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reconciliation.resolve``; :class:`InvalidFormError` with the refusal of the file — its
    field ``header`` or ``line N`` and the reason (see :func:`~.files.read_file`) — or field
    ``file`` (none chosen, empty, too large), ``date``. Nothing is kept when refused.
    """
    require(actor, Permission.RECONCILIATION_RESOLVE)
    expected = _typed_day(business_date, field="date", required=False)
    if not data:
        raise InvalidFormError(
            [
                field_error(
                    "file_missing",
                    field="file",
                    message_zh="请选择要导入的对账文件（不能为空文件）",
                    message_en="choose the reconciliation file to import (it cannot be empty)",
                )
            ]
        )
    if len(data) > MAX_FILE_BYTES:
        raise InvalidFormError(
            [
                field_error(
                    "file_too_large",
                    field="file",
                    message_zh=f"文件过大（最多 {MAX_MEGABYTES} MB）",
                    message_en=f"the file is too large (at most {MAX_MEGABYTES} MB)",
                )
            ]
        )
    scope = _scope_of(services, actor, "")
    name = (file_name or "").replace("\\", "/").rpartition("/")[2][:FILE_NAME_MAX]
    try:
        imported = import_file(
            services,
            data,
            actor=actor.audit_name,
            file_name=name or None,
            date_from=expected,
            date_to=expected,
        )
    except ReconciliationError as refused:
        raise InvalidFormError([refused]) from refused
    run_id = reconcile(
        services,
        RunRequest(
            date_from=imported.business_date,
            date_to=imported.business_date,
            scope_code=scope.code,
            mis_load_id=imported.load_id,
            origin="import",
            actor=actor.audit_name,
        ),
    )
    summary, _by_kind, _differences = run_outcome(services, run_id)
    return ImportOutcome(imported=imported, run_id=run_id, summary=summary)
