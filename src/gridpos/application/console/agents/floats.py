"""An agent's money in the console: float top-ups under maker-checker (through
:mod:`gridpos.application.floats`), the float statement for a date range, the commission, and
the collections of their terminals.

A top-up is requested by one operator (``topups.request``: finance, or a station head or staff
for the agents of their station) and decided by a *second* one of finance (``topups.approve``,
which only finance holds — the float use case's :data:`~gridpos.application.floats.CHECKER_ROLES`
say the same); the database refuses a decision by the requester, and that refusal is shown next
to the decision's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gridpos.adapters.db.console.agent_admin import AgentAdmin, AgentRow, CollectionRow
from gridpos.application.commission import AgentCommission, CommissionError, monthly_summary
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.agents.admin import agent_not_found, visible_agent
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    ConsoleError,
    Done,
    InvalidFormError,
    NotFoundError,
    field_error,
)
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.application.floats import (
    MAX_AMOUNT_FEN,
    FloatError,
    FloatStatement,
    float_statement,
    record_topup_decision,
    record_topup_request,
)
from gridpos.application.floats.statement import MAX_DAYS
from gridpos.domain.audit import AuditAction
from gridpos.domain.dates import PeriodError, parse_period
from gridpos.domain.money import MoneyError, parse_yuan

NOTE_MAX = 200
COLLECTION_DAYS_MAX = 31


@dataclass(frozen=True, slots=True)
class Collections:
    """A page of an agent's collections in a date range (newest first)."""

    agent: AgentRow
    date_from: date
    date_to: date
    items: list[CollectionRow]
    page: int
    has_next: bool


def parse_date_range(
    date_from: str, date_to: str, *, max_days: int, default_to: date, default_days: int
) -> tuple[date, date]:
    """Two ISO dates typed in a form (either may be left empty: the last ``default_days`` up to
    ``default_to``).

    Raises :class:`InvalidFormError` naming each field: ``date_invalid``,
    ``date_range_backwards`` (field ``date_to``), ``date_range_too_long`` (field ``date_to``).
    """
    errors: list[ConsoleError] = []
    parsed: dict[str, date] = {}
    for field, typed in (("date_from", date_from), ("date_to", date_to)):
        text = (typed or "").strip()
        if not text:
            continue
        try:
            parsed[field] = date.fromisoformat(text)
        except ValueError:
            errors.append(
                field_error(
                    "date_invalid",
                    field=field,
                    message_zh="日期格式应为 年-月-日，如 2024-05-01",
                    message_en="a date is written year-month-day, like 2024-05-01",
                )
            )
    if errors:
        raise InvalidFormError(errors)
    end = parsed.get("date_to", default_to)
    start = parsed.get("date_from", end - timedelta(days=default_days - 1))
    if end < start:
        raise InvalidFormError(
            [
                field_error(
                    "date_range_backwards",
                    field="date_to",
                    message_zh="结束日期不能早于开始日期",
                    message_en="the end date is before the start date",
                )
            ]
        )
    if (end - start).days >= max_days:
        raise InvalidFormError(
            [
                field_error(
                    "date_range_too_long",
                    field="date_to",
                    message_zh=f"日期范围最长 {max_days} 天",
                    message_en=f"the date range may span at most {max_days} days",
                )
            ]
        )
    return start, end


def request_float_topup(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    agent_id: int,
    amount: str,
    note: str = "",
) -> Done:
    """Ask for the agent's float to be topped up by ``amount`` yuan (as typed); nothing moves
    until a second person approves.

    Raises :class:`AccessDeniedError` without ``topups.request`` or outside the subtree,
    :class:`NotFoundError`, :class:`InvalidFormError` for an amount that is not money, zero
    or above 1,000,000.00 yuan (field ``amount``), a note too long, or the float use case's
    refusals (:class:`~gridpos.application.floats.FloatError`).
    """
    require(actor, Permission.TOPUPS_REQUEST)
    errors: list[ConsoleError | MoneyError] = []
    fen = 0
    try:
        fen = parse_yuan(amount, field="amount", ceiling_fen=MAX_AMOUNT_FEN)
    except MoneyError as refused:
        errors.append(refused)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors.append(
            field_error(
                "field_too_long",
                field="note",
                message_zh=f"备注最多 {NOTE_MAX} 个字",
                message_en=f"the note may have at most {NOTE_MAX} characters",
            )
        )
    if errors:
        raise InvalidFormError(errors)
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="float_topup.request", now=now
        )
        if earlier is not None:
            return earlier
        agent = visible_agent(AgentAdmin(uow.connection), actor, agent_id)
        try:
            record = record_topup_request(
                uow, agent_id=agent.id, amount=fen, requested_by=actor.operator_id, now=now,
                note=note,
            )  # fmt: skip
        except FloatError as refused:
            raise InvalidFormError([refused]) from refused
        done = settle_form(uow, form_token=form_token, subject=f"float_topup:{record.id}")
        uow.commit()
    return done


def decide_float_topup(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    topup_id: int,
    approve: bool,
    business_date: date,
    reason: str = "",
) -> Done:
    """Approve (the float grows, in the ledger, on ``business_date``) or reject a requested
    top-up of an agent of the actor's subtree.

    Raises :class:`AccessDeniedError` without ``topups.approve`` or outside the subtree,
    :class:`NotFoundError` for an unknown request, :class:`InvalidFormError` (field
    ``decision``) for a request already decided or one the actor asked for themselves
    (``topup_self_approval``).
    """
    if not actor.can(Permission.TOPUPS_APPROVE):
        raise AccessDeniedError(
            message_zh="充值申请由电费账务人员审批",
            message_en="top-ups are decided by finance",
        )
    now = services.clock.now()
    action = AuditAction.FLOAT_TOPUP_APPROVE if approve else AuditAction.FLOAT_TOPUP_REJECT
    with services.writing() as uow:
        earlier = claim_form(uow, form_token=form_token, actor=actor, action=action, now=now)
        if earlier is not None:
            return earlier
        admin = AgentAdmin(uow.connection)
        agent_id = admin.topup_agent(topup_id)
        if agent_id is None:
            raise _topup_not_found(topup_id)
        visible_agent(admin, actor, agent_id)
        try:
            record_topup_decision(
                uow, topup_id=topup_id, decided_by=actor.operator_id, approve=approve,
                business_date=business_date if approve else None, now=now,
                reason=(reason or "").strip()[:NOTE_MAX],
            )  # fmt: skip
        except FloatError as refused:
            raise InvalidFormError(
                [
                    field_error(
                        refused.code,
                        field="decision",
                        message_zh=refused.message_zh,
                        message_en=refused.message_en,
                    )
                ]
            ) from refused
        done = settle_form(uow, form_token=form_token, subject=f"float_topup:{topup_id}")
        uow.commit()
    return done


def agent_statement(
    services: ConsoleServices,
    actor: Actor,
    *,
    agent_id: int,
    date_from: str,
    date_to: str,
    today: date,
) -> FloatStatement:
    """The agent's float statement between two business dates typed in a form (left empty:
    this month up to ``today``): opening + top-ups − collections + undos = closing.

    Raises :class:`AccessDeniedError` without ``agents.view`` or outside the actor's reach,
    :class:`NotFoundError`, :class:`InvalidFormError` for a date malformed, a range backwards
    or longer than 366 days.
    """
    require(actor, Permission.AGENTS_VIEW)
    start, end = parse_date_range(
        date_from, date_to, max_days=MAX_DAYS, default_to=today, default_days=today.day
    )
    with services.reading() as uow:
        agent = visible_agent(AgentAdmin(uow.connection), actor, agent_id)
    try:
        return float_statement(services.engine, agent_id=agent.id, date_from=start, date_to=end)
    except FloatError as refused:
        if refused.code == "agent_unknown":
            raise agent_not_found(agent_id) from refused
        raise InvalidFormError([refused]) from refused


def agent_commission(
    services: ConsoleServices, actor: Actor, *, agent_id: int, period: str
) -> AgentCommission:
    """The agent's payments and commission earned in the month ``period`` (YYYYMM).

    Raises :class:`AccessDeniedError` without ``agents.view`` or outside the actor's reach,
    :class:`NotFoundError`, :class:`InvalidFormError` (field ``period``) for a bad month.
    """
    require(actor, Permission.AGENTS_VIEW)
    period = _period(period)
    with services.reading() as uow:
        agent = visible_agent(AgentAdmin(uow.connection), actor, agent_id)
    try:
        summary = monthly_summary(services.engine, period=period, org_id=agent.org_id)
    except CommissionError as refused:
        raise InvalidFormError([refused]) from refused
    found = next((line for line in summary if line.agent_id == agent.id), None)
    return found or AgentCommission(
        agent_id=agent.id, agent_code=agent.code, agent_name=agent.name,
        payments=0, cash=0, commission=0,
    )  # fmt: skip


def commission_summary(
    services: ConsoleServices, actor: Actor, *, period: str
) -> list[AgentCommission]:
    """Every agent of the actor's subtree with payments or commission in the month ``period``
    (YYYYMM): the monthly settlement summary (an agent operator sees their own line only).

    Raises :class:`AccessDeniedError` without ``agents.view``, :class:`InvalidFormError`
    (field ``period``) for a bad month.
    """
    require(actor, Permission.AGENTS_VIEW)
    period = _period(period)
    try:
        summary = monthly_summary(services.engine, period=period, org_id=actor.org_id)
    except CommissionError as refused:
        raise InvalidFormError([refused]) from refused
    own = actor.own_agent_id
    return [line for line in summary if own is None or line.agent_id == own]


def agent_collections(
    services: ConsoleServices,
    actor: Actor,
    *,
    agent_id: int,
    date_from: str,
    date_to: str,
    today: date,
    page: int = 1,
) -> Collections:
    """A page of the payments the agent's terminals collected between two business dates
    (left empty: the last 7 days up to ``today``; at most 31 days).

    Raises :class:`AccessDeniedError` without ``agents.view`` or outside the actor's reach,
    :class:`NotFoundError`, :class:`InvalidFormError` for bad dates.
    """
    require(actor, Permission.AGENTS_VIEW)
    start, end = parse_date_range(
        date_from, date_to, max_days=COLLECTION_DAYS_MAX, default_to=today, default_days=7
    )
    per_page = services.policy.page_size
    page = min(max(page, 1), 500)
    with services.reading() as uow:
        admin = AgentAdmin(uow.connection)
        agent = visible_agent(admin, actor, agent_id)
        rows = admin.collections(
            agent.id,
            date_from=start,
            date_to=end,
            offset=(page - 1) * per_page,
            limit=per_page + 1,
        )
    return Collections(
        agent=agent,
        date_from=start,
        date_to=end,
        items=rows[:per_page],
        page=page,
        has_next=len(rows) > per_page,
    )


def _period(period: str) -> str:
    text = (period or "").strip()
    try:
        parse_period(text)
    except PeriodError as refused:
        raise InvalidFormError(
            [
                field_error(
                    "period_invalid",
                    field="period",
                    message_zh="月份应写作 YYYYMM，如 202405",
                    message_en="a month is written YYYYMM, like 202405",
                )
            ]
        ) from refused
    return text


def _topup_not_found(topup_id: int) -> NotFoundError:
    return NotFoundError(
        code="topup_unknown",
        field="topup_id",
        message_zh=f"充值申请 {topup_id} 不存在",
        message_en=f"there is no top-up request {topup_id}",
    )
