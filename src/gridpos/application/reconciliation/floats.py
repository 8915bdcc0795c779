"""The agent's float statement reconciled for a range, and the day's cash handover (T+1).

The statement (:func:`gridpos.application.floats.float_statement`: opening + top-ups −
collections + undos = closing, from the ledger against the kept balances) is checked three ways:
it balances; its collections are the cash of the agent's payments of the range (whatever became of
them); its undos are the cash of the undos dated in the range. Each disagreement is named.

Then each business date: the cash the agent holds from it — collected less given back — is due
to be handed over by the next day (T+1). Handovers are recorded by the station or finance
(:func:`record_handover`); the day is ``ok`` when they add up to the cash held and came on time,
``late`` when they add up but came after, ``short`` or ``over`` when they do not add up once due,
``due`` while the day after has not passed, ``nothing`` when nothing was held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from gridpos.adapters.db.reconciliation.handovers import HandoverRow, HandoverStore
from gridpos.application.console.access import Actor, Permission, require, require_scope
from gridpos.application.console.errors import AccessDeniedError, Done
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.application.floats import FloatStatement, float_statement
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import not_found, refusal
from gridpos.application.reconciliation.mis_side import days
from gridpos.domain.audit import AuditAction

MAX_HANDOVER_FEN: Final = 100_000_000
NOTE_MAX: Final = 200


def handover_due(business_date: date) -> date:
    """The day a business date's cash is due to be handed over by (T+1)."""
    return business_date + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FloatProblem:
    """One way the statement disagrees with the payments, or with itself."""

    code: str
    message_zh: str
    message_en: str
    expected: int
    found: int


@dataclass(frozen=True, slots=True)
class HandoverDay:
    """One business date: the cash held from it and what was handed over for it."""

    business_date: date
    collections: int
    undos: int
    held: int  # collections − undos: what the agent holds from the day
    handed_over: int
    due_on: date
    last_received_on: date | None
    status: str  # ok / late / short / over / due / nothing

    @property
    def difference(self) -> int:
        """Handed over less held: negative is cash still owed."""
        return self.handed_over - self.held


@dataclass(frozen=True, slots=True)
class FloatReconciliation:
    """An agent's float over a range, checked (see the module docstring)."""

    agent_code: str
    agent_name: str
    date_from: date
    date_to: date
    statement: FloatStatement
    payments_collected: int
    payments_undone: int
    problems: tuple[FloatProblem, ...]
    days: tuple[HandoverDay, ...]
    handovers: tuple[HandoverRow, ...]

    @property
    def ok(self) -> bool:
        """No problem with the statement and every day's cash handed over as due."""
        return not self.problems and all(d.status in {"ok", "nothing", "due"} for d in self.days)


def _status(held: int, handed: int, *, due_on: date, last: date | None, today: date) -> str:
    if held == 0 and handed == 0:
        return "nothing"
    if handed == held:
        return "late" if last is not None and last > due_on else "ok"
    if handed < held and today <= due_on:
        return "due"
    return "short" if handed < held else "over"


def _problems(statement: FloatStatement, collected: int, undone: int) -> tuple[FloatProblem, ...]:
    found: list[FloatProblem] = []
    if not statement.balanced:
        found.append(
            FloatProblem(
                "statement_unbalanced",
                "期初 + 充值 − 收款 + 撤回 ≠ 期末",
                "opening + top-ups − collections + undos differs from the closing float",
                statement.expected_closing,
                statement.closing,
            )
        )
    if statement.collections != collected:
        found.append(
            FloatProblem(
                "collections_differ",
                "备付金收款与收费记录不符",
                "the float's collections differ from the agent's payments",
                collected,
                statement.collections,
            )
        )
    if statement.undos != undone:
        found.append(
            FloatProblem(
                "undos_differ",
                "备付金撤回与撤回记录不符",
                "the float's undos differ from the payments undone",
                undone,
                statement.undos,
            )
        )
    return tuple(found)


def float_reconciliation(
    services: ReconciliationServices,
    actor: Actor,
    *,
    agent_code: str,
    date_from: date,
    date_to: date,
) -> FloatReconciliation:
    """An agent's float statement reconciled for a range, with the T+1 handover of each day.

    Read with ``reconciliation.view`` for an agent of the actor's subtree; an agent operator
    reads their own agent's (and no other).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` (neither, or the agent
    outside the actor's subtree); :class:`ReconciliationError` ``agent_unknown``;
    :class:`~gridpos.application.floats.FloatError` ``date_range_invalid``.
    """
    own = actor.own_agent_id
    if own is None:
        require(actor, Permission.RECONCILIATION_VIEW)
    with services.reading() as uow:
        store = HandoverStore(uow.connection)
        agent = store.agent(agent_code)
        if agent is None:
            raise not_found("agent", agent_code, field="agent")
        require_scope(actor, agent.org_path)
        if own is not None and agent.id != own:
            raise AccessDeniedError()
    statement = float_statement(
        services.engine, agent_id=agent.id, date_from=date_from, date_to=date_to
    )
    with services.reading() as uow:
        store = HandoverStore(uow.connection)
        collected = store.collected(agent.id, date_from, date_to)
        undone = store.undone(agent.id, date_from, date_to)
        handovers = store.of_agent(agent.id, date_from, date_to)
    today = services.today()
    by_day = {day.business_date: day for day in statement.days}
    handed: dict[date, list[HandoverRow]] = {}
    for handover in handovers:
        handed.setdefault(handover.covers_date, []).append(handover)
    rows: list[HandoverDay] = []
    for day in days(date_from, date_to):
        moved = by_day.get(day)
        collections = moved.collections if moved else 0
        undos = moved.undos if moved else 0
        given = handed.get(day, [])
        total = sum(h.amount for h in given)
        last = max((h.received_on for h in given), default=None)
        held = collections - undos
        if held == 0 and total == 0:
            continue
        rows.append(
            HandoverDay(
                business_date=day,
                collections=collections,
                undos=undos,
                held=held,
                handed_over=total,
                due_on=handover_due(day),
                last_received_on=last,
                status=_status(held, total, due_on=handover_due(day), last=last, today=today),
            )
        )
    return FloatReconciliation(
        agent_code=agent.code,
        agent_name=agent.name,
        date_from=date_from,
        date_to=date_to,
        statement=statement,
        payments_collected=sum(collected.values()),
        payments_undone=sum(undone.values()),
        problems=_problems(statement, sum(collected.values()), sum(undone.values())),
        days=tuple(rows),
        handovers=tuple(handovers),
    )


def record_handover(
    services: ReconciliationServices,
    actor: Actor,
    *,
    agent_code: str,
    covers_date: date,
    amount: int,
    received_on: date,
    note: str = "",
) -> int:
    """Record cash an agent handed over for a business date; the handover's id.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` (no
    ``topups.request`` — those who take money from agents — or the agent outside the subtree);
    :class:`ReconciliationError` ``agent_unknown``, ``amount_invalid`` (field ``amount``),
    ``received_on_invalid`` (before the day it covers, or in the future), ``note_too_long``.
    """
    done = record_handover_once(
        services,
        actor,
        form_token=None,
        agent_code=agent_code,
        covers_date=covers_date,
        amount=amount,
        received_on=received_on,
        note=note,
    )
    return handover_of(done)


def handover_of(done: Done) -> int:
    """The id of the handover a :class:`Done` of :func:`record_handover_once` names."""
    return int(done.subject.rpartition(":")[2])


def record_handover_once(
    services: ReconciliationServices,
    actor: Actor,
    *,
    form_token: str | None,
    agent_code: str,
    covers_date: date,
    amount: int,
    received_on: date,
    note: str = "",
) -> Done:
    """:func:`record_handover` from a form with its one-time ``form_token`` (None: no form): sent
    twice, the handover is recorded once and the repeat answers the first (``repeated``).

    Raises what :func:`record_handover` raises, and
    :class:`~gridpos.application.console.errors.InvalidFormError` ``form_token_missing``.
    """
    require(actor, Permission.TOPUPS_REQUEST)
    if type(amount) is not int or not 0 < amount <= MAX_HANDOVER_FEN:
        raise refusal(
            "amount_invalid",
            field="amount",
            zh="金额必须是大于零的整数分",
            en="the amount must be whole fen, above zero",
        )
    now = services.clock.now()
    if received_on < covers_date or received_on > services.today(now):
        raise refusal(
            "received_on_invalid",
            field="received_on",
            zh="交款日期不能早于所交款的营业日，也不能晚于今天",
            en="the handover cannot be received before the day it covers, nor after today",
        )
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise refusal(
            "note_too_long", field="note", zh=f"说明最多 {NOTE_MAX} 字", en="the note is too long"
        )
    with services.writing() as uow:
        if form_token is not None:
            earlier = claim_form(
                uow, form_token=form_token, actor=actor, action="handover.record", now=now
            )
            if earlier is not None:
                return earlier
        store = HandoverStore(uow.connection)
        agent = store.agent(agent_code)
        if agent is None:
            raise not_found("agent", agent_code, field="agent")
        require_scope(actor, agent.org_path)
        handover_id = store.add(
            agent_id=agent.id,
            covers_date=covers_date,
            amount=amount,
            received_on=received_on,
            received_by=actor.operator_id,
            now=now,
            note=text,
        )
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=AuditAction.HANDOVER_RECORD,
            subject=f"agent:{agent.code}",
            details={
                "covers_date": covers_date,
                "amount": amount,
                "received_on": received_on,
                "handover": handover_id,
            },
        )
        subject = f"cash_handover:{handover_id}"
        done = (
            Done(subject=subject)
            if form_token is None
            else settle_form(uow, form_token=form_token, subject=subject)
        )
        uow.commit()
    return done
