"""Reversal (冲正) and void (撤销) of a payment, on its own business day; and the undo the
console runs once a second person approves a void or a next-day cancellation (冲销).

All put the float back and reverse the allocation with the exact negation of the payment's
posting (and of its commission), record a ``payment_undos`` row, an audit row and an outbox row
(``mis.reverse``: a void is a same-day reversal in the MIS; ``mis.cancel`` for a cancellation).
A reversal that arrives before its
payment leaves a tombstone, and the late payment is refused. Repeating an undo answers it again.
"""

from __future__ import annotations

from datetime import date, datetime

from gridpos.adapters.db.agent_store import OperatorRecord
from gridpos.adapters.db.payment_store import PaymentRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.payments.receipts import terminal_of
from gridpos.application.payments.recording import MIS_REVERSE_TOPIC
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest, claim
from gridpos.application.terminals.day import OpenDay, require_day
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.application.terminals.passwords import count_failure, is_locked, password_matches
from gridpos.domain.audit import PAYMENT_UNDONE, AuditAction
from gridpos.domain.ledger import EventKind, undo_posting
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal.payments import (
    ReverseRequest,
    UndoAnswer,
    VoidRequest,
)

SUPERVISOR_ROLES = ("station_head", "station_staff", "admin")
MIS_CANCEL_TOPIC = "mis.cancel"  # the outbox topic delivery sends as a cancellation (冲销)


def _own_payment(txn_id: str, terminal: TerminalIdentity) -> None:
    if terminal_of(txn_id) != terminal.terminal_no:
        raise RefusalError(ErrorCode.REVERSAL_OTHER_TERMINAL, details={"txn": txn_id})


# what each undo makes of the payment, the MIS topic that carries it, and its default reason
_UNDO_STATE = {
    EventKind.REVERSAL: "reversed",
    EventKind.VOID: "voided",
    EventKind.CANCELLATION: "cancelled",
}
_UNDO_TOPIC = {
    EventKind.REVERSAL: MIS_REVERSE_TOPIC,
    EventKind.VOID: MIS_REVERSE_TOPIC,  # a void is a same-day reversal in the MIS
    EventKind.CANCELLATION: MIS_CANCEL_TOPIC,
}
_UNDO_REASON = {EventKind.REVERSAL: "冲正", EventKind.VOID: "撤销", EventKind.CANCELLATION: "冲销"}


def undo_confirmed_payment(
    uow: SqlUnitOfWork,
    payment: PaymentRecord,
    *,
    kind: EventKind,
    business_date: date,
    requested_by: int,
    approved_by: int | None,
    actor: str,
    now: datetime,
    reason: str = "",
) -> None:
    """Negate the payment's postings (and its commission's) on ``business_date`` and record the
    undo — reversal, void or cancellation — with its audit row and its outbox row (``mis.reverse``
    for a reversal or void, ``mis.cancel`` for a cancellation), in the caller's unit of work (not
    committed). The payment must be confirmed.

    Raises :class:`~gridpos.domain.ledger.LedgerError` when a balance cannot take the undo (the
    customer's prepaid balance already spent, for instance); nothing is written then.
    """
    for transaction_id, transaction_kind in uow.payments.transactions_of(payment.id):
        if EventKind(transaction_kind).is_undo:
            continue
        uow.ledger.record(
            undo_posting(uow.ledger.posting(transaction_id), kind=kind),
            business_date=business_date,
            recorded_at=now,
            payment_id=payment.id,
            agent_id=payment.agent_id,
        )
    reason = reason.strip()[:200] or _UNDO_REASON[kind]
    uow.payments.mark(payment.id, state=_UNDO_STATE[kind], mis_state="undo_pending")
    uow.payments.add_undo(
        payment_id=payment.id,
        kind=kind.value,
        requested_by=requested_by,
        approved_by=approved_by,
        reason=reason,
        business_date=business_date,
        now=now,
    )
    uow.audit.append(
        occurred_at=now,
        actor=actor,
        action=PAYMENT_UNDONE[kind],
        subject=f"payment:{payment.txn_id}",
        details={
            "cash": payment.cash,
            "business_date": business_date,
            "approved_by": approved_by,
        },
    )
    uow.payments.enqueue(
        topic=_UNDO_TOPIC[kind],
        aggregate_id=payment.txn_id,
        payload={
            "payment_id": payment.txn_id,
            "kind": kind.value,
            "amount_fen": payment.cash,
            "business_date": business_date.isoformat(),
            "operator_id": actor.removeprefix("operator:"),
            "reason": reason,
        },
        now=now,
    )


def _undo(
    uow: SqlUnitOfWork,
    payment: PaymentRecord,
    *,
    kind: EventKind,
    day: OpenDay,
    requested_by: int,
    approved_by: int | None,
    actor: str,
    now: datetime,
) -> None:
    """A terminal's reversal or void on its open business day."""
    undo_confirmed_payment(
        uow,
        payment,
        kind=kind,
        business_date=day.business_date,
        requested_by=requested_by,
        approved_by=approved_by,
        actor=actor,
        now=now,
    )


def _check_original(
    payment: PaymentRecord, *, trace_no: int, cash: int, business_date: date
) -> None:
    if (
        payment.trace_no != trace_no
        or payment.cash != cash
        or payment.business_date != business_date
    ):
        raise RefusalError(
            ErrorCode.REVERSAL_MISMATCH,
            details={"trace": payment.trace_no, "cash": payment.cash},
        )


def _answer(
    uow: SqlUnitOfWork, txn_id: str, state: str, at: datetime, agent_id: int, *, tombstone: bool
) -> UndoAnswer:
    return UndoAnswer(
        txn_id=txn_id,
        state=WirePaymentState(state),
        undone_at=at,
        tombstone=tombstone,
        float_available=uow.agents.agent_float(agent_id).float_available,
    )


def reverse_payment(
    services: Services, signed: SignedRequest, request: ReverseRequest
) -> UndoAnswer:
    """冲正 the payment ``request.txn_id`` of this terminal, or leave a tombstone for it.

    Raises :class:`RefusalError`: ``reversal_other_terminal``, ``reversal_not_same_day``,
    ``reversal_mismatch`` (trace, date or cash differ from the original),
    ``payment_state_conflict`` (voided, or collected offline), ``not_signed_in``,
    ``session_expired``, ``business_day_closed``, and the signing refusals.
    """
    terminal = signed.terminal
    _own_payment(request.txn_id, terminal)
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now)
        if request.business_date != day.business_date:
            raise RefusalError(ErrorCode.REVERSAL_NOT_SAME_DAY)
        operator = uow.agents.operator(day.operator_id)
        actor = f"operator:{operator.account}"
        payment = uow.payments.find(terminal.id, request.txn_id)
        if payment is None:
            tomb = uow.payments.tombstone(terminal.id, request.txn_id)
            if tomb is None:
                uow.payments.add_tombstone(
                    terminal_id=terminal.id,
                    txn_id=request.txn_id,
                    trace_no=request.trace_no,
                    amount=request.cash,
                    business_date=day.business_date,
                    now=now,
                )
                uow.audit.append(
                    occurred_at=now,
                    actor=actor,
                    action=AuditAction.PAYMENT_REVERSAL_TOMBSTONE,
                    subject=f"payment:{request.txn_id}",
                    details={"cash": request.cash, "trace_no": request.trace_no},
                )
                at = now
            elif tomb.trace_no != request.trace_no or tomb.amount != request.cash:
                raise RefusalError(ErrorCode.REVERSAL_MISMATCH)
            else:
                at = tomb.recorded_at
            answer = _answer(uow, request.txn_id, "reversed", at, day.agent_id, tombstone=True)
            uow.commit()
            return answer
        _check_original(
            payment,
            trace_no=request.trace_no,
            cash=request.cash,
            business_date=request.business_date,
        )
        if payment.business_date != day.business_date:
            raise RefusalError(ErrorCode.REVERSAL_NOT_SAME_DAY)
        if payment.state == "confirmed" and not payment.offline:
            _undo(
                uow,
                payment,
                kind=EventKind.REVERSAL,
                day=day,
                requested_by=day.operator_id,
                approved_by=None,
                actor=actor,
                now=now,
            )
            at = now
        elif payment.state == "reversed":
            at = uow.payments.undone_at(payment.id) or now
        else:
            raise RefusalError(ErrorCode.PAYMENT_STATE_CONFLICT, details={"state": payment.state})
        answer = _answer(uow, request.txn_id, "reversed", at, payment.agent_id, tombstone=False)
        uow.commit()
    return answer


def _supervisor(
    uow: SqlUnitOfWork,
    services: Services,
    terminal: TerminalIdentity,
    request: VoidRequest,
    now: datetime,
) -> OperatorRecord:
    """The supervisor approving a void: station head or staff of the terminal's station, or an
    admin above it, with the right password."""
    place = terminal.place
    for candidate in uow.agents.operators_by_account(request.supervisor, roles=SUPERVISOR_ROLES):
        if candidate.disabled:
            continue
        if candidate.role == "admin":
            fits = place.org_path.startswith(candidate.org_path)
        else:
            fits = candidate.org_id == place.station_id
        if not fits:
            continue
        if is_locked(candidate, now=now):
            raise RefusalError(
                ErrorCode.SUPERVISOR_CREDENTIAL_WRONG,
                message_zh="主管账号因多次密码错误已锁定",
                message_en="the supervisor's account is locked after repeated wrong passwords",
            )
        if password_matches(
            services.passwords,
            password_hash=candidate.password_hash,
            password=request.supervisor_password,
        ):
            uow.agents.clear_failed_attempts(candidate.id)
            return candidate
        count_failure(uow, candidate, now=now)
        uow.commit()  # the failure counts even though the void is refused
        raise RefusalError(ErrorCode.SUPERVISOR_CREDENTIAL_WRONG)
    raise RefusalError(ErrorCode.SUPERVISOR_CREDENTIAL_WRONG, field="sup")


def void_payment(services: Services, signed: SignedRequest, request: VoidRequest) -> UndoAnswer:
    """撤销 a confirmed payment of this terminal's business day, with a supervisor's approval.

    Raises :class:`RefusalError`: ``reversal_other_terminal``, ``supervisor_credential_wrong``,
    ``void_not_same_day``, ``reversal_mismatch``, ``payment_not_found``,
    ``payment_already_reversed``, ``payment_state_conflict``, ``not_signed_in``,
    ``session_expired``, ``business_day_closed``, and the signing refusals.
    """
    terminal = signed.terminal
    _own_payment(request.txn_id, terminal)
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now)
        if request.business_date != day.business_date:
            raise RefusalError(ErrorCode.VOID_NOT_SAME_DAY)
        payment = uow.payments.find(terminal.id, request.txn_id)
        if payment is None:
            raise RefusalError(ErrorCode.PAYMENT_NOT_FOUND, details={"txn": request.txn_id})
        _check_original(
            payment,
            trace_no=request.trace_no,
            cash=request.cash,
            business_date=request.business_date,
        )
        if payment.state == "voided":
            at = uow.payments.undone_at(payment.id) or now
            answer = _answer(uow, request.txn_id, "voided", at, payment.agent_id, tombstone=False)
            uow.commit()
            return answer
        if payment.state == "reversed":
            raise RefusalError(ErrorCode.PAYMENT_ALREADY_REVERSED)
        if payment.state != "confirmed" or payment.offline:
            raise RefusalError(ErrorCode.PAYMENT_STATE_CONFLICT, details={"state": payment.state})
        supervisor = _supervisor(uow, services, terminal, request, now)
        operator = uow.agents.operator(day.operator_id)
        _undo(
            uow,
            payment,
            kind=EventKind.VOID,
            day=day,
            requested_by=day.operator_id,
            approved_by=supervisor.id,
            actor=f"operator:{operator.account}",
            now=now,
        )
        answer = _answer(uow, request.txn_id, "voided", now, payment.agent_id, tombstone=False)
        uow.commit()
    return answer
