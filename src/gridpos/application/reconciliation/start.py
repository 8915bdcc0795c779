"""A reconciliation started by an operator from the console: the form's dates, node and MIS
source read and checked, the node limited to the operator's subtree, then the run written
``running`` — the engine's work (:func:`~gridpos.application.reconciliation.run.complete_run`)
is left to the caller, to do in the background while the run's page shows it going on.

Who: ``reconciliation.resolve`` (finance, station heads), over a node of their subtree — their
own node when the form names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.errors import field_error
from gridpos.application.console.payments import read_date_range
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import ReconciliationError
from gridpos.application.reconciliation.run import (
    MAX_DAYS,
    SOURCES,
    RunRequest,
    StartedRun,
    open_run,
)
from gridpos.application.reconciliation.scope import MAX_CODE, resolve_scope


@dataclass(frozen=True, slots=True)
class RunForm:
    """The form as typed: business dates ``YYYY-MM-DD``, an organisation code, agent code or
    terminal number (empty: the operator's own node), the MIS source (report / file / none)."""

    date_from: str = ""
    date_to: str = ""
    org: str = ""
    source: str = "report"


def _dates(check: FieldChecks, form: RunForm, today: date) -> tuple[date, date]:
    for name, typed, zh, en in (
        ("date_from", form.date_from, "开始日期", "first business date"),
        ("date_to", form.date_to, "结束日期", "last business date"),
    ):
        check.required(typed, field=name, label_zh=zh, label_en=en)
    return read_date_range(
        check,
        form.date_from,
        form.date_to,
        max_days=MAX_DAYS,
        default_to=today,
        default_days=1,
    )


def start_run(services: ReconciliationServices, actor: Actor, form: RunForm) -> StartedRun:
    """Check ``form`` and open the run of what it names (its id, to show at once); pass it to
    :func:`~gridpos.application.reconciliation.run.complete_run` to reconcile.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``reconciliation.resolve``; :class:`~gridpos.application.console.errors.InvalidFormError`
    naming every refused field (``field_required``, ``date_invalid``, ``date_range_backwards``,
    ``date_range_too_long`` — field ``date_to`` —, ``scope_unknown`` — field ``org``: no such
    node in the operator's subtree —, ``mis_source_invalid`` — field ``source``); and what
    :func:`~gridpos.application.reconciliation.run.open_run` raises. Nothing is written when
    the form is refused.
    """
    require(actor, Permission.RECONCILIATION_RESOLVE)
    check = FieldChecks()
    first, last = _dates(check, form, services.today())
    code = (form.org or "").strip()[:MAX_CODE] or actor.org_code
    with services.reading() as uow:
        try:
            scope = resolve_scope(uow.connection, code)
        except ReconciliationError:
            scope = None
    if scope is None or not actor.covers(scope.org_path):
        check.add(
            field_error(
                "scope_unknown",
                field="org",
                message_zh=f"您的管辖范围内没有编码为 {code} 的单位、代理商或终端",
                message_en=f"there is no organisation, agent or terminal {code} within your scope",
            )
        )
    if form.source not in SOURCES:
        check.add(
            field_error(
                "mis_source_invalid",
                field="source",
                message_zh="营销系统数据来源应为 进账明细、对账文件 或 不比对",
                message_en="the MIS side is read from its posting detail, its file, or not at all",
            )
        )
    check.done()
    return open_run(
        services,
        RunRequest(
            date_from=first,
            date_to=last,
            scope_code=code,
            mis_source=form.source,
            origin="console",
            actor=actor.audit_name,
        ),
    )
