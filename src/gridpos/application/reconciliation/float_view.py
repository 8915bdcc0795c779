"""代理商资金对账 as the console shows it: the agents an actor may choose, the float reconciliation
of a range typed in a form laid out day by day, and the cash handover form.

Each business date with a movement of the float or cash to hand over is one row: the float's
opening, top-ups, collections, undos and closing (from the statement), the cash the agent holds
from the day, what was handed over for it and the T+1 status (:mod:`.floats`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.adapters.db.console.agent_admin import AgentAdmin, AgentFilter, AgentSort
from gridpos.application.console.access import Actor, Permission, Role
from gridpos.application.console.agents.floats import parse_date_range
from gridpos.application.console.errors import (
    AccessDeniedError,
    Done,
    InvalidFormError,
    field_error,
)
from gridpos.application.floats.statement import MAX_DAYS
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import ReconciliationError
from gridpos.application.reconciliation.floats import (
    MAX_HANDOVER_FEN,
    FloatReconciliation,
    HandoverDay,
    float_reconciliation,
    record_handover_once,
)
from gridpos.domain.errors import DomainError
from gridpos.domain.money import MoneyError, parse_yuan

CHOICES_MAX: Final = 500  # agents offered to choose from; more are typed by code
DEFAULT_DAYS: Final = 7
AGENT_CODE_MAX: Final = 32


@dataclass(frozen=True, slots=True)
class AgentChoice:
    """An agent the actor may reconcile."""

    code: str
    name: str
    org_name: str


@dataclass(frozen=True, slots=True)
class FloatDay:
    """One business date of the page (amounts in fen)."""

    business_date: date
    opening: int
    topups: int
    collections: int
    undos: int
    closing: int
    held: int
    handed_over: int
    difference: int  # handed over less held
    due_on: date | None
    last_received_on: date | None
    status: str  # ok / late / short / over / due / nothing


@dataclass(frozen=True, slots=True)
class FloatView:
    """What the page shows: the range, the agents to choose from and, once an agent is chosen,
    its reconciliation day by day."""

    agent_code: str
    date_from: date
    date_to: date
    choices: tuple[AgentChoice, ...]
    more_choices: bool  # more agents than offered: type the code
    fixed_agent: bool  # an agent operator: their own agent, no choice
    may_record: bool  # the actor may record a cash handover
    reconciliation: FloatReconciliation | None
    days: tuple[FloatDay, ...]


def _choices(
    services: ReconciliationServices, actor: Actor
) -> tuple[tuple[AgentChoice, ...], bool, str]:
    """The agents of the actor's subtree (an agent operator: their own), whether there are more
    than offered, and the agent operator's own code ("" for the others)."""
    own = actor.own_agent_id
    if actor.role is Role.AGENT and own is None:
        raise AccessDeniedError()
    with services.reading() as uow:
        rows, total = AgentAdmin(uow.connection).page(
            AgentFilter(root_path=actor.org_path, agent_id=own),
            sort=AgentSort.CODE,
            descending=False,
            offset=0,
            limit=CHOICES_MAX,
        )
    choices = tuple(AgentChoice(row.code, row.name, row.org_name) for row in rows)
    own_code = choices[0].code if own is not None and choices else ""
    if own is not None and not own_code:
        raise AccessDeniedError()
    return choices, total > len(rows), own_code


def lay_out_days(checked: FloatReconciliation) -> tuple[FloatDay, ...]:
    """The statement's days and the handover days as one row per business date, in order."""
    moved = {day.business_date: day for day in checked.statement.days}
    handed: dict[date, HandoverDay] = {day.business_date: day for day in checked.days}
    rows: list[FloatDay] = []
    running = checked.statement.opening
    for business_date in sorted(set(moved) | set(handed)):
        movement = moved.get(business_date)
        handover = handed.get(business_date)
        opening = running
        if movement is not None:
            running = movement.closing
        rows.append(
            FloatDay(
                business_date=business_date,
                opening=opening,
                topups=movement.topups if movement else 0,
                collections=movement.collections if movement else 0,
                undos=movement.undos if movement else 0,
                closing=running,
                held=handover.held if handover else 0,
                handed_over=handover.handed_over if handover else 0,
                difference=handover.difference if handover else 0,
                due_on=handover.due_on if handover else None,
                last_received_on=handover.last_received_on if handover else None,
                status=handover.status if handover else "nothing",
            )
        )
    return tuple(rows)


def _as_form_error(refused: DomainError) -> InvalidFormError:
    return InvalidFormError([refused])


def float_view(
    services: ReconciliationServices,
    actor: Actor,
    *,
    agent_code: str,
    date_from: str,
    date_to: str,
) -> FloatView:
    """The page for ``agent_code`` (an agent operator: always their own; empty: none chosen yet)
    between two dates typed in a form (left empty: the last week up to today).

    Raises :class:`AccessDeniedError` (the agent outside the actor's reach, or a role that may
    read no float reconciliation), :class:`InvalidFormError` for dates malformed, backwards or
    longer than 366 days, and an agent that does not exist (field ``agent``).
    """
    if actor.own_agent_id is None and not actor.can(Permission.RECONCILIATION_VIEW):
        raise AccessDeniedError()
    start, end = parse_date_range(
        date_from,
        date_to,
        max_days=MAX_DAYS,
        default_to=services.today(),
        default_days=DEFAULT_DAYS,
    )
    choices, more, own_code = _choices(services, actor)
    code = own_code or (agent_code or "").strip()[:AGENT_CODE_MAX]
    checked: FloatReconciliation | None = None
    if code:
        try:
            checked = float_reconciliation(
                services, actor, agent_code=code, date_from=start, date_to=end
            )
        except ReconciliationError as refused:
            raise _as_form_error(refused) from refused
    return FloatView(
        agent_code=code,
        date_from=start,
        date_to=end,
        choices=choices,
        more_choices=more,
        fixed_agent=bool(own_code),
        may_record=actor.can(Permission.TOPUPS_REQUEST),
        reconciliation=checked,
        days=lay_out_days(checked) if checked else (),
    )


def _typed_date(text: str, field: str, errors: list[DomainError]) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        errors.append(
            field_error(
                "date_invalid",
                field=field,
                message_zh="日期格式应为 年-月-日，如 2024-05-01",
                message_en="a date is written year-month-day, like 2024-05-01",
            )
        )
        return None


def record_cash_handover(
    services: ReconciliationServices,
    actor: Actor,
    *,
    form_token: str,
    agent_code: str,
    covers_date: str,
    amount: str,
    received_on: str,
    note: str = "",
) -> Done:
    """Record, from the handover form, the cash ``amount`` (yuan as typed) an agent handed over
    on ``received_on`` for the business date ``covers_date``; sent twice, recorded once.

    Raises :class:`AccessDeniedError` without ``topups.request`` or for an agent outside the
    subtree; :class:`InvalidFormError` naming each field for an amount that is not money, zero
    or above 1,000,000.00 yuan, a date malformed, received before the day it covers or after
    today, a note too long, an unknown agent or an expired form. Nothing is recorded then.
    """
    if not actor.can(Permission.TOPUPS_REQUEST):
        raise AccessDeniedError(
            message_zh="交款由供电所或电费账务人员登记",
            message_en="handovers are recorded by the station or by finance",
        )
    errors: list[DomainError] = []
    fen = 0
    try:
        fen = parse_yuan(amount, field="amount", ceiling_fen=MAX_HANDOVER_FEN)
    except MoneyError as refused:
        errors.append(refused)
    covers = _typed_date(covers_date, "covers_date", errors)
    received = _typed_date(received_on, "received_on", errors)
    code = (agent_code or "").strip()[:AGENT_CODE_MAX]
    if not code:
        errors.append(
            field_error(
                "agent_missing",
                field="agent",
                message_zh="请选择代理商",
                message_en="choose an agent",
            )
        )
    if errors or covers is None or received is None:
        raise InvalidFormError(errors)
    try:
        return record_handover_once(
            services,
            actor,
            form_token=form_token,
            agent_code=code,
            covers_date=covers,
            amount=fen,
            received_on=received,
            note=note,
        )
    except ReconciliationError as refused:
        raise _as_form_error(refused) from refused
