"""Undoing a payment from the console under maker-checker: a void (撤销) on the payment's own
business day or a next-day cancellation (冲销) is *requested* by one operator
(``payments.cancel_request``) and *decided* by a second one (``payments.cancel_approve``).

Nothing moves while a request waits. The approval runs the payment use case's undo
(:func:`~gridpos.application.payments.undo.undo_confirmed_payment`: the ledger negated, the
float put back, the allocation reversed, the outbox row for the MIS — ``mis.reverse`` for a
void, ``mis.cancel`` for a cancellation) and records the decision and its audit row, all in one
transaction. The requester may not decide their own request (the database refuses it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from gridpos.adapters.db.console.payment_detail import PaymentDetailStore, PaymentFacts
from gridpos.adapters.db.console.payment_search import payment_scope
from gridpos.adapters.db.console.undo_requests import (
    UndoRequestConflict,
    UndoRequestConflictError,
    UndoRequestRow,
    UndoRequestStore,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    Done,
    InvalidFormError,
    NotFoundError,
    field_error,
)
from gridpos.application.console.payments import (
    county_today,
    payment_not_found,
    require_visible,
    undo_kind_for,
)
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.application.payments.undo import undo_confirmed_payment
from gridpos.domain.audit import UNDO_APPROVED, UNDO_REJECTED, UNDO_REQUESTED
from gridpos.domain.ledger import EventKind, LedgerError
from gridpos.domain.payment_state import PaymentState

REASON_MAX: Final = 200
WAITING_SHOWN: Final = 50
_EVENT_KIND: Final = {"void": EventKind.VOID, "cancellation": EventKind.CANCELLATION}


@dataclass(frozen=True, slots=True)
class WaitingRequests:
    """The requests of the actor's subtree waiting for a decision, oldest first."""

    items: tuple[UndoRequestRow, ...]
    more: bool  # more than :data:`WAITING_SHOWN` wait


def _refused(code: str, field: str, zh: str, en: str) -> InvalidFormError:
    return InvalidFormError([field_error(code, field=field, message_zh=zh, message_en=en)])


_CANNOT_UNDO: Final = {
    "payment_not_confirmed": (
        "只有成功的收费才能撤销或冲销",
        "only a confirmed payment can be voided or cancelled",
    ),
    "payment_offline": (
        "脱机收费不能在此撤销或冲销：请通过对账处理",
        "an offline collection cannot be voided or cancelled here: settle it in reconciliation",
    ),
}


def _visible_payment(store: PaymentDetailStore, actor: Actor, payment_id: int) -> PaymentFacts:
    facts = store.facts(payment_id)
    if facts is None:
        raise payment_not_found(payment_id)
    require_visible(actor, facts)
    return facts


def request_payment_undo(
    services: ConsoleServices, actor: Actor, *, form_token: str, payment_id: int, reason: str
) -> Done:
    """Ask for the payment to be undone: a void on its own business day, a cancellation on a
    later one (the kind follows from today's business date). Nothing moves until a second
    person approves.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``payments.cancel_request`` or outside the actor's subtree; :class:`NotFoundError`;
    :class:`InvalidFormError` for a reason missing or too long (field ``reason``), a payment
    that cannot be undone (``payment_not_confirmed``, ``payment_offline``, field ``reason``) or
    one whose undo is already waiting (``undo_already_requested``), and a malformed form token.
    """
    require(actor, Permission.PAYMENTS_CANCEL_REQUEST)
    check = FieldChecks()
    reason = check.required(reason, field="reason", label_zh="原因", label_en="reason")
    if len(reason) > REASON_MAX:
        check.add(
            field_error(
                "field_too_long",
                field="reason",
                message_zh=f"原因最多 {REASON_MAX} 个字",
                message_en=f"the reason may have at most {REASON_MAX} characters",
            )
        )
    check.done()
    now = services.clock.now()
    today = county_today(services)
    with services.writing() as uow:
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action="payment_undo.request", now=now
        )
        if earlier is not None:
            return earlier
        facts = _visible_payment(PaymentDetailStore(uow.connection), actor, payment_id)
        kind, refusal = undo_kind_for(facts, today=today)
        if kind is None:
            zh, en = _CANNOT_UNDO[refusal]
            raise _refused(refusal, "reason", zh, en)
        try:
            request_id = UndoRequestStore(uow.connection).add(
                payment_id=facts.id,
                kind=kind,
                reason=reason,
                business_date=today,
                requested_by=actor.operator_id,
                now=now,
            )
        except UndoRequestConflictError as conflict:
            raise _refused(
                "undo_already_requested",
                "reason",
                "这笔收费已有待审批的撤销/冲销申请",
                "an undo of this payment is already waiting for approval",
            ) from conflict
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=UNDO_REQUESTED[kind],
            subject=f"payment:{facts.txn_id}",
            details={"request_id": request_id, "cash": facts.cash, "reason": reason},
        )
        done = settle_form(uow, form_token=form_token, subject=f"payment:{facts.id}")
        uow.commit()
    return done


def _request_not_found(request_id: int) -> NotFoundError:
    return NotFoundError(
        code="undo_request_unknown",
        field="request_id",
        message_zh=f"撤销/冲销申请 {request_id} 不存在",
        message_en=f"there is no undo request {request_id}",
    )


def _decision_refused(code: str, zh: str, en: str) -> InvalidFormError:
    return _refused(code, "decision", zh, en)


def decide_payment_undo(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    payment_id: int,
    request_id: int,
    approve: bool,
    note: str = "",
) -> Done:
    """Approve (the payment is undone, now, on today's business date) or reject the waiting
    request ``request_id`` to undo the payment ``payment_id`` of the actor's subtree.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``payments.cancel_approve`` or outside the subtree; :class:`NotFoundError`
    (``undo_request_unknown``, also for a request of another payment);
    :class:`InvalidFormError` (field ``decision``) for a request already decided
    (``undo_request_decided``), one the actor made themselves (``undo_self_approval``), a void
    whose business day has passed (``void_day_passed``), a payment no longer confirmed
    (``payment_not_confirmed``), a balance that cannot take the undo (the ledger's refusal,
    e.g. ``prepaid_insufficient``); a note too long (field
    ``note``) and a malformed form token.
    """
    require(actor, Permission.PAYMENTS_CANCEL_APPROVE)
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise _refused(
            "field_too_long",
            "note",
            f"审批意见最多 {REASON_MAX} 个字",
            f"the note may have at most {REASON_MAX} characters",
        )
    now = services.clock.now()
    today = county_today(services)
    action = "payment_undo.approve" if approve else "payment_undo.reject"
    with services.writing() as uow:
        earlier = claim_form(uow, form_token=form_token, actor=actor, action=action, now=now)
        if earlier is not None:
            return earlier
        requests = UndoRequestStore(uow.connection)
        request = requests.get(request_id, lock=True)
        if request is None or request.payment_id != payment_id:
            raise _request_not_found(request_id)
        details = PaymentDetailStore(uow.connection)
        facts = _visible_payment(details, actor, request.payment_id)
        if request.state != "requested":
            raise _decision_refused(
                "undo_request_decided",
                "这项申请已经处理过了",
                "this request has already been decided",
            )
        if request.requested_by == actor.operator_id:
            raise _self_approval()
        if approve:
            _approve(uow, request, facts, actor=actor, today=today, now=now)
        try:
            requests.decide(
                request.id, approve=approve, decided_by=actor.operator_id, note=note, now=now
            )
        except UndoRequestConflictError as conflict:
            if conflict.conflict is UndoRequestConflict.SELF_DECISION:
                raise _self_approval() from conflict
            raise
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=(UNDO_APPROVED if approve else UNDO_REJECTED)[request.kind],
            subject=f"payment:{facts.txn_id}",
            details={"request_id": request.id, "cash": facts.cash, "note": note},
        )
        done = settle_form(uow, form_token=form_token, subject=f"payment:{facts.id}")
        uow.commit()
    return done


def _self_approval() -> InvalidFormError:
    return _decision_refused(
        "undo_self_approval",
        "撤销/冲销须由申请人以外的另一人审批",
        "an undo must be decided by someone other than its requester",
    )


def _approve(
    uow: SqlUnitOfWork,
    request: UndoRequestRow,
    facts: PaymentFacts,
    *,
    actor: Actor,
    today: date,
    now: datetime,
) -> None:
    """Run the undo the request asks for, in ``uow`` (not committed)."""
    details = PaymentDetailStore(uow.connection)
    details.lock_customer(facts.customer_id)  # every money movement of a customer queues here
    if details.lock_state(facts.id) != PaymentState.CONFIRMED.value:
        raise _decision_refused(
            "payment_not_confirmed",
            "这笔收费已不是成功状态（可能已被冲正或撤销），无法再撤销或冲销",
            "the payment is no longer confirmed (it may have been reversed or voided)",
        )
    if request.kind == "void" and facts.business_date != today:
        raise _decision_refused(
            "void_day_passed",
            "撤销只能在收费当日审批；已过当日，请驳回后改为申请冲销",
            "a void can only be approved on the payment's own day: reject it and ask for a"
            " cancellation instead",
        )
    try:
        undo_confirmed_payment(
            uow,
            uow.payments.by_id(facts.id),
            kind=_EVENT_KIND[request.kind],
            business_date=today,
            requested_by=request.requested_by,
            approved_by=actor.operator_id,
            actor=actor.audit_name,
            now=now,
            reason=request.reason,
        )
    except LedgerError as refused:
        raise _decision_refused(
            refused.code,
            f"无法撤回这笔收费：{refused.message_zh}",
            f"the payment cannot be undone: {refused.message_en}",
        ) from refused


def waiting_undo_requests(services: ConsoleServices, actor: Actor) -> WaitingRequests:
    """The undo requests of the actor's subtree waiting for a decision, oldest first (at most
    :data:`WAITING_SHOWN`).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` without
    ``payments.view``.
    """
    require(actor, Permission.PAYMENTS_VIEW)
    if actor.own_agent_id is not None:
        return WaitingRequests(items=(), more=False)  # agents neither ask for undos nor decide
    with services.reading() as uow:
        scope = payment_scope(uow.connection, actor.org_path)
        rows = UndoRequestStore(uow.connection).waiting(
            scope=scope.condition, limit=WAITING_SHOWN + 1
        )
    return WaitingRequests(items=tuple(rows[:WAITING_SHOWN]), more=len(rows) > WAITING_SHOWN)
