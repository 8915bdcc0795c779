"""POS终端: the terminal list (search, filters, sort, paging), the form to add a terminal, a
terminal's page (state, last heartbeat, disable / enable), and its one-time enrolment code —
made on the server's enrolment use case, shown once as text and as a QR code (inline SVG), never
stored but as a hash. Making a code for a terminal that already holds a key rotates its key.
"""

from __future__ import annotations

import secrets
from typing import Any

import qrcode
import qrcode.image.svg
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.adapters.db.console.terminal_admin import TerminalSort
from gridpos.adapters.db.tables.terminals import TERMINAL_STATES
from gridpos.application.console import Done, InvalidFormError, Permission
from gridpos.application.console.terminals import (
    EnrolmentCode,
    TerminalQuery,
    create_terminal,
    issue_terminal_code,
    set_terminal_disabled,
    terminal_detail,
    terminal_list,
)
from gridpos.application.terminals.journal_requests import journal_requests_of, request_journal
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.rendering import COUNTY_TIME
from gridpos.interfaces.console.web import Visit, console_page, new_token
from gridpos.protocol.terminal.enrolment import ENROLMENT_CODE_DIGITS

JOURNAL_STATE_LABELS = {
    "pending": N_("Waiting for the terminal"),
    "fulfilled": N_("Uploaded"),
    "damaged": N_("Journal damaged: rows not used"),
}
STATE_LABELS = {"issued": N_("Issued"), "active": N_("Active"), "disabled": N_("Disabled")}
SORT_LABELS = {
    TerminalSort.NUMBER.value: N_("Terminal number"),
    TerminalSort.LAST_SEEN.value: N_("Last seen"),
    TerminalSort.ORGANISATION.value: N_("Organisation"),
    TerminalSort.STATE.value: N_("State"),
}
DONE_NOTICES = {
    "created": N_("The terminal was added: make its enrolment code below."),
    "disabled": N_("The terminal was disabled: its next request is refused."),
    "enabled": N_("The terminal was enabled."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
    "journal_requested": N_(
        "The journal was asked for: the terminal uploads it after its next heartbeat."
    ),
}
PAGE = Page(
    key="terminals",
    path="/terminals",
    label=N_("POS terminals"),
    section=Section.OPERATIONS,
    permission=Permission.TERMINALS_VIEW,
    order=20,
)


def new_enrolment_code() -> str:
    """A fresh one-time code: twelve random digits."""
    return f"{secrets.randbelow(10**ENROLMENT_CODE_DIGITS):0{ENROLMENT_CODE_DIGITS}d}"


def qr_svg(text: str) -> str:
    """``text`` as a QR code in inline SVG (no image file, no script)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


def _terminal_id(visit: Visit) -> int:
    return int(visit.request.path_params["terminal_id"])


@console_page(Permission.TERMINALS_VIEW)
async def list_page(visit: Visit) -> Response:
    """The terminals of the actor's subtree (an agent operator: their agent's)."""
    names = ("q", "org", "state", "silent", "sort", "dir")
    filters = {name: visit.query(name) for name in names}
    query = TerminalQuery(
        search=filters["q"],
        org_code=filters["org"],
        state=filters["state"],
        silent=filters["silent"] == "1",
        sort=filters["sort"],
        descending=filters["dir"] == "desc",
        page=visit.query_int("page"),
    )
    errors: dict[str, str] = {}
    try:
        listed = await run_in_threadpool(terminal_list, visit.services, visit.actor, query)
    except InvalidFormError as refused:
        errors = dict(visit.field_errors(refused.errors))
        listed = await run_in_threadpool(
            terminal_list, visit.services, visit.actor, TerminalQuery(search=filters["q"])
        )
    return visit.render(
        "terminals/list.html",
        status_code=422 if errors else 200,
        listed=listed,
        filters=filters,
        errors=errors,
        states=TERMINAL_STATES,
        state_labels=STATE_LABELS,
        sort_labels=SORT_LABELS,
        can_manage=visit.actor.can(Permission.TERMINALS_MANAGE),
    )


async def _new_form(visit: Visit, *, status: int = 200, errors: Any = None) -> Response:
    return visit.render(
        "terminals/new.html",
        status_code=status,
        form_token=visit.field("form_token") or new_token(),
        values={
            name: visit.field(name) or visit.query(name)
            for name in ("terminal_no", "org_code", "agent_code")
        },
        errors=errors or {},
    )


@console_page(Permission.TERMINALS_MANAGE)
async def new_page(visit: Visit) -> Response:
    """The form to add a terminal."""
    return await _new_form(visit)


@console_page(Permission.TERMINALS_MANAGE)
async def new_submit(visit: Visit) -> Response:
    try:
        done = await run_in_threadpool(
            create_terminal,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            terminal_no=visit.field("terminal_no"),
            org_code=visit.field("org_code"),
            agent_code=visit.field("agent_code"),
        )
    except InvalidFormError as refused:
        return await _new_form(visit, status=422, errors=visit.field_errors(refused.errors))
    return _after(visit, done, "created")


def _after(visit: Visit, done: Done, what: str) -> Response:
    terminal_id = done.subject.split(":")[1]
    return visit.redirect(f"/terminals/{terminal_id}?done={'repeated' if done.repeated else what}")


async def _detail(
    visit: Visit,
    *,
    status: int = 200,
    failed_form: str = "",
    errors: Any = None,
    enrolment: EnrolmentCode | None = None,
) -> Response:
    detail = await run_in_threadpool(
        terminal_detail, visit.services, visit.actor, _terminal_id(visit)
    )
    journal_requests = await run_in_threadpool(
        journal_requests_of, visit.services, visit.actor, _terminal_id(visit)
    )
    today = visit.services.clock.now().astimezone(COUNTY_TIME).date().isoformat()
    response = visit.render(
        "terminals/detail.html",
        status_code=status,
        detail=detail,
        terminal=detail.terminal,
        state_labels=STATE_LABELS,
        tokens={
            form: (visit.field("form_token") if form == failed_form else "") or new_token()
            for form in ("enrol", "status", "journal")
        },
        failed_form=failed_form,
        values={
            "hours": visit.field("hours") if failed_form == "enrol" else "24",
            "date_from": visit.field("date_from") if failed_form == "journal" else today,
            "date_to": visit.field("date_to") if failed_form == "journal" else today,
        },
        journal_requests=journal_requests,
        journal_state_labels=JOURNAL_STATE_LABELS,
        may_request_journal=visit.actor.can(Permission.RECONCILIATION_RESOLVE),
        errors=errors or {},
        enrolment=enrolment,
        qr=qr_svg(enrolment.code) if enrolment is not None and enrolment.code else "",
        notice=DONE_NOTICES.get(visit.query("done"), ""),
    )
    if enrolment is not None:  # the code is on this page only: keep it out of every cache
        response.headers["Cache-Control"] = "no-store"
    return response


@console_page(Permission.TERMINALS_VIEW)
async def detail_page(visit: Visit) -> Response:
    """One terminal: state, key, last heartbeat, and the forms that change it."""
    return await _detail(visit)


@console_page(Permission.TERMINALS_MANAGE)
async def enrol_submit(visit: Visit) -> Response:
    """Make a one-time enrolment code and show it (this once) as text and QR code."""
    try:
        enrolment = await run_in_threadpool(
            issue_terminal_code,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            terminal_id=_terminal_id(visit),
            code=new_enrolment_code(),
            hours=visit.field("hours"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="enrol", errors=errors)
    return await _detail(visit, enrolment=enrolment)


@console_page(Permission.TERMINALS_MANAGE)
async def status_submit(visit: Visit) -> Response:
    disabled = visit.field("disabled") == "1"
    done = await run_in_threadpool(
        set_terminal_disabled,
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        terminal_id=_terminal_id(visit),
        disabled=disabled,
    )
    return _after(visit, done, "disabled" if disabled else "enabled")


@console_page(Permission.RECONCILIATION_RESOLVE)
async def journal_submit(visit: Visit) -> Response:
    """调阅流水: ask the terminal for its journal of a range of business dates."""
    try:
        done = await run_in_threadpool(
            request_journal,
            visit.services,
            visit.actor,
            form_token=visit.field("form_token"),
            terminal_id=_terminal_id(visit),
            date_from=visit.field("date_from"),
            date_to=visit.field("date_to"),
        )
    except InvalidFormError as refused:
        errors = visit.field_errors(refused.errors)
        return await _detail(visit, status=422, failed_form="journal", errors=errors)
    return _after(visit, done, "journal_requested")


def module() -> ConsoleModule:
    """The terminals' routes and menu entry."""
    return ConsoleModule(
        name="terminals",
        routes=[
            Route("/terminals", list_page, methods=["GET"]),
            Route("/terminals/new", new_page, methods=["GET"]),
            Route("/terminals/new", new_submit, methods=["POST"]),
            Route("/terminals/{terminal_id:int}", detail_page, methods=["GET"]),
            Route("/terminals/{terminal_id:int}/enrol", enrol_submit, methods=["POST"]),
            Route("/terminals/{terminal_id:int}/status", status_submit, methods=["POST"]),
            Route("/terminals/{terminal_id:int}/journal", journal_submit, methods=["POST"]),
        ],
        pages=[PAGE],
    )
