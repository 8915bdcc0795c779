"""代理商资金对账: an agent's float reconciled for a range of business dates, day by day, with
the T+1 cash handover of each day checked against what the agent holds — on the page, printed
(PDF, Chinese set in Noto CJK) and exported (Excel) — and the form that records a handover.

An agent operator sees their own agent's only; the use cases check every read and write.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import Done, InvalidFormError, Permission
from gridpos.application.reconciliation.float_view import (
    FloatView,
    float_view,
    record_cash_handover,
)
from gridpos.interfaces.console.documents import PRINT_CSS, pdf_response
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.routes.agents import yuan
from gridpos.interfaces.console.routes.reconciliation_common import reconciliation_services
from gridpos.interfaces.console.spreadsheets import Column, ColumnKind, Sheet, xlsx_response
from gridpos.interfaces.console.web import Visit, console_page, new_token

PATH = "/reconciliation/floats"
STATUS_LABELS = {
    "ok": N_("Handed over in full"),
    "late": N_("Handed over late"),
    "short": N_("Short"),
    "over": N_("Over"),
    "due": N_("Due"),
    "nothing": N_("Nothing to hand over"),
}
DONE_NOTICES = {
    "recorded": N_("The cash handover was recorded."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
}
# an agent operator reads their own float here too, so the menu entry asks only agents.view;
# the use case asks reconciliation.view of everyone else
PAGE = Page(
    key="reconciliation_floats",
    path=PATH,
    label=N_("Agent float reconciliation"),
    section=Section.RECONCILIATION,
    permission=Permission.AGENTS_VIEW,
    order=40,
)
HANDOVER_FIELDS = ("agent", "covers_date", "amount", "received_on", "note")


def _typed(visit: Visit) -> dict[str, str]:
    return {
        "agent": visit.query("agent"),
        "date_from": visit.query("date_from"),
        "date_to": visit.query("date_to"),
    }


async def _view(visit: Visit, typed: dict[str, str]) -> FloatView:
    return await run_in_threadpool(
        lambda: float_view(
            reconciliation_services(visit),
            visit.actor,
            agent_code=typed["agent"],
            date_from=typed["date_from"],
            date_to=typed["date_to"],
        )
    )


def _query_of(view: FloatView) -> str:
    return urlencode(
        {
            "agent": view.agent_code,
            "date_from": view.date_from.isoformat(),
            "date_to": view.date_to.isoformat(),
        }
    )


def _render(
    visit: Visit,
    view: FloatView | None,
    *,
    typed: dict[str, str],
    status: int = 200,
    errors: Any = None,
    handover_errors: Any = None,
    handover: dict[str, str] | None = None,
) -> Response:
    latest = (
        next(
            (day for day in reversed(view.days) if day.status in {"due", "short"}),
            None,
        )
        if view
        else None
    )
    defaults = {
        "agent": view.agent_code if view else typed.get("agent", ""),
        "covers_date": latest.business_date.isoformat() if latest else "",
        "amount": "",
        "received_on": reconciliation_services(visit).today().isoformat(),
        "note": "",
    }
    notice = DONE_NOTICES.get(visit.query("done"), "")
    return visit.render(
        "reconciliation_floats/page.html",
        status_code=status,
        view=view,
        typed=typed,
        query=_query_of(view) if view else "",
        errors=errors or {},
        handover_errors=handover_errors or {},
        handover={**defaults, **(handover or {})},
        form_token=(visit.field("form_token") if handover else "") or new_token(),
        status_labels=STATUS_LABELS,
        notice=notice,
        yuan=yuan,
    )


@console_page(Permission.AGENTS_VIEW)
async def float_page(visit: Visit) -> Response:
    """The float reconciliation of the chosen agent and dates; ``format=pdf`` or ``xlsx`` for the
    document."""
    typed = _typed(visit)
    try:
        view = await _view(visit, typed)
    except InvalidFormError as refused:
        return _render(
            visit, None, typed=typed, status=422, errors=visit.field_errors(refused.errors)
        )
    kind = visit.query("format")
    if view.reconciliation is not None and kind == "pdf":
        return await _pdf(visit, view)
    if view.reconciliation is not None and kind == "xlsx":
        return await xlsx_response(_sheets(visit, view), filename=_filename(view, "xlsx"))
    return _render(
        visit,
        view,
        typed={
            "agent": view.agent_code,
            "date_from": view.date_from.isoformat(),
            "date_to": view.date_to.isoformat(),
        },
    )


@console_page(Permission.TOPUPS_REQUEST)
async def handover_submit(visit: Visit) -> Response:
    """Record a cash handover; back on the page of its agent and dates."""
    handover = {name: visit.field(name) for name in HANDOVER_FIELDS}
    typed = {
        "agent": handover["agent"],
        "date_from": visit.field("date_from"),
        "date_to": visit.field("date_to"),
    }
    try:
        done: Done = await run_in_threadpool(
            lambda: record_cash_handover(
                reconciliation_services(visit),
                visit.actor,
                form_token=visit.field("form_token"),
                agent_code=handover["agent"],
                covers_date=handover["covers_date"],
                amount=handover["amount"],
                received_on=handover["received_on"],
                note=handover["note"],
            )
        )
    except InvalidFormError as refused:
        handover_errors = visit.field_errors(refused.errors)
        try:
            view = await _view(visit, typed)
        except InvalidFormError:
            view = None
        return _render(
            visit,
            view,
            typed=typed,
            status=422,
            handover_errors=handover_errors,
            handover=handover,
        )
    query = urlencode({**typed, "done": "repeated" if done.repeated else "recorded"})
    return visit.redirect(f"{PATH}?{query}")


def _filename(view: FloatView, extension: str) -> str:
    return (
        f"float-reconciliation-{view.agent_code}-{view.date_from:%Y%m%d}"
        f"-{view.date_to:%Y%m%d}.{extension}"
    )


async def _pdf(visit: Visit, view: FloatView) -> Response:
    context: dict[str, Any] = {
        "view": view,
        "checked": view.reconciliation,
        "status_labels": STATUS_LABELS,
        "locale": visit.locale,
        "yuan": yuan,
        "print_css": PRINT_CSS,
        "html_lang": "zh-CN" if visit.locale == "zh_CN" else "en",
    }
    html = visit.runtime.renderer.render(visit.locale, "reconciliation_floats/print.html", context)
    return await pdf_response(html, filename=_filename(view, "pdf"))


def _sheets(visit: Visit, view: FloatView) -> list[Sheet]:
    _ = visit.gettext
    checked = view.reconciliation
    assert checked is not None  # noqa: S101 - only a chosen agent is exported
    statement = checked.statement
    title = (
        f"{_('Agent float reconciliation')} {checked.agent_code} {checked.agent_name}"
        f" {view.date_from.isoformat()} – {view.date_to.isoformat()}"
    )
    summary = Sheet(
        name=_("Summary"),
        title=title,
        columns=(Column(_("Item")), Column(_("Amount"), ColumnKind.FEN)),
        rows=[
            (_("Opening"), statement.opening),
            (_("Top-ups"), statement.topups),
            (_("Collections"), statement.collections),
            (_("Undos"), statement.undos),
            (_("Closing"), statement.closing),
            (_("Collected by the agent's payments"), checked.payments_collected),
            (_("Undone by the payments' undos"), checked.payments_undone),
        ],
    )
    days = Sheet(
        name=_("By business date"),
        title=title,
        columns=(
            Column(_("Business date"), ColumnKind.DATE),
            Column(_("Opening"), ColumnKind.FEN),
            Column(_("Top-ups"), ColumnKind.FEN),
            Column(_("Collections"), ColumnKind.FEN),
            Column(_("Undos"), ColumnKind.FEN),
            Column(_("Closing"), ColumnKind.FEN),
            Column(_("Cash held"), ColumnKind.FEN),
            Column(_("Handed over"), ColumnKind.FEN),
            Column(_("Difference"), ColumnKind.FEN),
            Column(_("Due by"), ColumnKind.DATE),
            Column(_("Status")),
        ),
        rows=[
            (
                day.business_date,
                day.opening,
                day.topups,
                day.collections,
                day.undos,
                day.closing,
                day.held,
                day.handed_over,
                day.difference,
                day.due_on,
                _(STATUS_LABELS.get(day.status, day.status)),
            )
            for day in view.days
        ],
    )
    problems = Sheet(
        name=_("Problems"),
        title=title,
        columns=(
            Column(_("Problem")),
            Column(_("Expected"), ColumnKind.FEN),
            Column(_("Found"), ColumnKind.FEN),
        ),
        rows=[
            (
                problem.message_zh if visit.locale == "zh_CN" else problem.message_en,
                problem.expected,
                problem.found,
            )
            for problem in checked.problems
        ],
    )
    handovers = Sheet(
        name=_("Cash handovers"),
        title=title,
        columns=(
            Column(_("Business date"), ColumnKind.DATE),
            Column(_("Amount"), ColumnKind.FEN),
            Column(_("Received on"), ColumnKind.DATE),
            Column(_("Received by")),
            Column(_("Note")),
        ),
        rows=[
            (h.covers_date, h.amount, h.received_on, h.received_by_name, h.note)
            for h in checked.handovers
        ],
    )
    return [summary, days, problems, handovers]


def module() -> ConsoleModule:
    """The float reconciliation's routes and menu entry."""
    return ConsoleModule(
        name="reconciliation_floats",
        routes=[
            Route(PATH, float_page, methods=["GET"]),
            Route(f"{PATH}/handovers", handover_submit, methods=["POST"]),
        ],
        pages=[PAGE],
    )
