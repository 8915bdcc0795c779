"""The work queue: a named operator asks to resolve a difference (reverse, cancel, confirm, write
off — with a reason), another operator approves or rejects it (maker-checker). Every step is
audited; nothing is applied until approved, and an approval that would break an invariant (a
float, a customer's credit spent since) is refused with nothing applied.

Two operators acting on the same difference at once: each form carries the version of the item it
showed; a request on a stale version, or a decision on a request already decided, changes nothing
and says so (``difference_changed``, ``resolution_decided``).

Who: station heads and finance (``reconciliation.resolve``) in their subtree; the approver is
never the requester.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.adapters.db.reconciliation.journal import journal_row, lock_payment_state
from gridpos.adapters.db.reconciliation.queue import (
    ResolutionRow,
    ResolutionStore,
    ResolutionWaitingError,
)
from gridpos.adapters.db.reconciliation.runs import ItemRow, RunStore
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisError
from gridpos.application.console.access import Actor, Permission, require, require_scope
from gridpos.application.payments.undo import undo_confirmed_payment
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import item_changed, not_found, refusal
from gridpos.application.reconciliation.journal_confirm import confirm_from_journal
from gridpos.application.reconciliation.notes import Note
from gridpos.application.reconciliation.notes import note as said
from gridpos.application.reconciliation.repair import repost
from gridpos.domain.audit import AuditAction
from gridpos.domain.errors import DomainError
from gridpos.domain.ledger import EventKind
from gridpos.domain.reconciliation import (
    Action,
    Between,
    DifferenceKind,
    allowed_actions,
)
from gridpos.protocol.mis import UndoRequest

REASON_MAX: Final = 200
_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_FINAL_STATE: Final = {Action.WRITE_OFF: "written_off"}


@dataclass(frozen=True, slots=True)
class Company:
    """What the allowed actions depend on of the company's payment."""

    stands: bool
    business_date: date | None
    offline: bool


def company_of(uow: SqlUnitOfWork, item: ItemRow) -> Company:
    """The standing, business date and offline flag of the item's payment (none: nothing
    stands)."""
    if item.payment_id is None:
        return Company(stands=False, business_date=None, offline=False)
    payment = uow.payments.by_id(item.payment_id)
    return Company(
        stands=payment.state == "confirmed",
        business_date=payment.business_date,
        offline=payment.offline,
    )


def actions_for(item: ItemRow, company: Company, *, today: date) -> tuple[Action, ...]:
    """What an operator may resolve ``item`` with now."""
    return allowed_actions(
        DifferenceKind(item.kind),
        Between(item.sides),
        company_stands=company.stands,
        business_date=company.business_date,
        today=today,
        company_offline=company.offline,
    )


def _item_in_scope(uow: SqlUnitOfWork, actor: Actor, item_id: int) -> ItemRow:
    item = RunStore(uow.connection).item(item_id)
    if item is None:
        raise not_found("item", item_id, field="item_id")
    require_scope(actor, item.org_path)
    return item


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise refusal(
            "reason_required",
            field="reason",
            zh=f"请填写处理原因（1 至 {REASON_MAX} 字）",
            en=f"give the reason (1 to {REASON_MAX} characters)",
        )
    return reason


@dataclass(frozen=True, slots=True)
class ResolutionRequest:
    """A maker's form: the item and the version it showed, the action and the reason."""

    item_id: int
    version: int
    action: str
    reason: str


def request_resolution(
    services: ReconciliationServices, actor: Actor, request: ResolutionRequest
) -> int:
    """Ask for a difference to be resolved; the request's id.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError` (no
    ``reconciliation.resolve``, or outside the actor's subtree); :class:`ReconciliationError`:
    ``item_unknown``, ``difference_changed`` (another operator acted since the form was shown),
    ``resolution_waiting`` (a request of it already waits), ``difference_not_open`` (repaired,
    awaiting the outbox, resolved or cleared: nothing for a person to do), ``action_not_allowed``
    (field ``action``), ``reason_required`` (field ``reason``).
    """
    require(actor, Permission.RECONCILIATION_RESOLVE)
    reason = _reason(request.reason)
    now = services.clock.now()
    with services.writing() as uow:
        item = _item_in_scope(uow, actor, request.item_id)
        if item.version != request.version:
            raise item_changed(item.id)
        if item.state == "requested":
            raise refusal(
                "resolution_waiting",
                field="item_id",
                zh="该差异已有处理申请等待审批",
                en="a request to resolve this difference is already waiting for a decision",
            )
        if item.state != "open":
            raise refusal(
                "difference_not_open",
                field="item_id",
                zh="该差异当前无需人工处理",
                en=f"the difference is {item.state}: there is nothing for a person to do",
            )
        allowed = actions_for(item, company_of(uow, item), today=services.today(now))
        if request.action not in {action.value for action in allowed}:
            raise refusal(
                "action_not_allowed",
                field="action",
                zh="该差异不能这样处理",
                en=f"this difference can be resolved with: {', '.join(a.value for a in allowed)}",
                allowed=[action.value for action in allowed],
            )
        store = RunStore(uow.connection)
        try:
            resolution_id = ResolutionStore(uow.connection).request(
                item_id=item.id,
                action=request.action,
                reason=reason,
                requested_by=actor.operator_id,
                now=now,
            )
        except ResolutionWaitingError as exc:
            raise item_changed(item.id) from exc
        if not store.change_item(
            item.id, version=item.version, values={"state": "requested", "updated_at": now}
        ):
            raise item_changed(item.id)
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=AuditAction.RECONCILIATION_REQUEST,
            subject=f"reconciliation_item:{item.id}",
            details={
                "txn_id": item.txn_id,
                "kind": item.kind,
                "action": request.action,
                "reason": reason,
                "resolution": resolution_id,
            },
        )
        uow.commit()
    return resolution_id


def _waiting(uow: SqlUnitOfWork, actor: Actor, resolution_id: int) -> tuple[ResolutionRow, ItemRow]:
    resolution = ResolutionStore(uow.connection).get(resolution_id)
    if resolution is None:
        raise not_found("resolution", resolution_id, field="resolution_id")
    item = _item_in_scope(uow, actor, resolution.item_id)
    if resolution.state != "requested":
        raise refusal(
            "resolution_decided",
            field="resolution_id",
            zh=f"该申请已被 {resolution.decided_by_name or '其他操作员'} 处理",
            en=f"the request was already {resolution.state} by {resolution.decided_by_name}",
        )
    if resolution.requested_by == actor.operator_id:
        raise refusal(
            "same_operator",
            field="resolution_id",
            zh="处理申请须由申请人以外的另一人审批",
            en="a request must be decided by someone other than its requester",
        )
    return resolution, item


def _mis_side_cancel(
    services: ReconciliationServices, item: ItemRow, *, actor: Actor, reason: str
) -> Note:
    """冲销 of the MIS's posting when the company has nothing standing to undo with it."""
    if services.mis is None:
        raise refusal(
            "mis_unavailable",
            field="action",
            zh="未配置营销系统，无法冲销其进账",
            en="no MIS is configured: its posting cannot be cancelled",
        )
    try:
        found = services.mis.find_posting(item.txn_id)
        if found is None or found.state != "posted":
            return said("mis_not_standing")
        result = services.mis.undo_posting(
            item.txn_id,
            UndoRequest(
                serial=found.serial,
                amount_fen=found.amount_fen,
                business_date=max(services.today(), found.business_date),
                operator_id=actor.account if _IDENTIFIER.fullmatch(actor.account) else "gridpos",
                reason=reason[:200],
            ),
            kind="cancellation",
        )
    except MisError as exc:
        raise refusal(
            "mis_unavailable",
            field="action",
            zh="营销系统暂不可用，请稍后再审批",
            en=f"the MIS could not cancel the posting now ({exc.code}): approve again later",
        ) from exc
    return said("mis_cancelled", serial=result.serial)


def _apply(
    uow: SqlUnitOfWork,
    services: ReconciliationServices,
    item: ItemRow,
    resolution: ResolutionRow,
    *,
    actor: Actor,
) -> Note:
    """Apply an approved action in ``uow`` (not committed); what was done."""
    action = Action(resolution.action)
    now = services.clock.now()
    today = services.today(now)
    kind = DifferenceKind(item.kind)
    if action is Action.WRITE_OFF:
        return said("written_off", reason=resolution.reason)
    if action is Action.CONFIRM:
        if kind is DifferenceKind.TERMINAL_ONLY:
            journal = journal_row(uow.connection, item.terminal_id or 0, item.txn_id)
            if journal is None:
                raise refusal(
                    "journal_row_missing",
                    field="action",
                    zh="找不到终端上送的流水",
                    en="the terminal's uploaded journal row is not there",
                )
            payment_id = confirm_from_journal(
                uow, services, journal, actor=actor.audit_name, now=now, enforce_limits=False
            )
            return said("confirmed_from_journal", payment=payment_id)
        if kind is DifferenceKind.MIS_MISSING and item.payment_id is not None:
            return said("reposted", outbox=repost(uow, item.payment_id, now=now))
        return said("confirmed_as_recorded")
    if (
        item.payment_id is None
        or lock_payment_state(uow.connection, item.payment_id) != "confirmed"
    ):
        return said("cancelled_at_mis")  # the MIS side was cancelled before this transaction
    payment = uow.payments.by_id(item.payment_id)
    undo = EventKind.REVERSAL if action is Action.REVERSE else EventKind.CANCELLATION
    if undo is EventKind.REVERSAL and payment.business_date != today:
        raise refusal(
            "reversal_not_same_day",
            field="action",
            zh="冲正只能在原交易当日进行，请驳回后申请冲销",
            en="a reversal is for the payment's own business day: reject it and ask to cancel",
        )
    undo_confirmed_payment(
        uow,
        payment,
        kind=undo,
        business_date=today,
        requested_by=resolution.requested_by,
        approved_by=actor.operator_id,
        actor=f"operator:{actor.account}",
        now=now,
        reason=resolution.reason,
    )
    recorded = "reversal_recorded" if undo is EventKind.REVERSAL else "cancellation_recorded"
    return said(recorded, txn=payment.txn_id)


def approve_resolution(
    services: ReconciliationServices, actor: Actor, *, resolution_id: int, note: str = ""
) -> Note:
    """Approve a waiting request and apply it; what was done (:mod:`.notes`).

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError`;
    :class:`ReconciliationError`: ``resolution_unknown``, ``resolution_decided`` (another
    operator decided it first), ``same_operator`` (maker-checker), ``mis_unavailable`` (a
    cancellation at the MIS could not be made), ``resolution_refused`` (applying it would break
    an invariant: nothing applied, the request still waits), ``reversal_not_same_day``.
    """
    require(actor, Permission.RECONCILIATION_RESOLVE)
    with services.reading() as uow:
        resolution, item = _waiting(uow, actor, resolution_id)
        company = company_of(uow, item)
    mis_note: Note | None = None
    if Action(resolution.action) is Action.CANCEL and not company.stands:
        mis_note = _mis_side_cancel(services, item, actor=actor, reason=resolution.reason)
    now = services.clock.now()
    try:
        with services.writing() as uow:
            resolution, item = _waiting(uow, actor, resolution_id)
            outcome = mis_note or _apply(uow, services, item, resolution, actor=actor)
            store = RunStore(uow.connection)
            if not ResolutionStore(uow.connection).decide(
                resolution.id,
                state="approved",
                decided_by=actor.operator_id,
                now=now,
                note=note.strip()[:REASON_MAX],
                outcome=outcome.stored(),
            ):
                raise refusal(
                    "resolution_decided",
                    field="resolution_id",
                    zh="该申请已被其他操作员处理",
                    en="another operator decided the request first",
                )
            final = _FINAL_STATE.get(Action(resolution.action), "resolved")
            if not store.change_item(
                item.id,
                version=item.version,
                values={
                    "state": final,
                    "resolved_by": actor.operator_id,
                    "resolved_at": now,
                    "note": outcome.stored(),
                    "updated_at": now,
                },
            ):
                raise item_changed(item.id)
            uow.audit.append(
                occurred_at=now,
                actor=actor.audit_name,
                action=AuditAction.RECONCILIATION_APPROVE,
                subject=f"reconciliation_item:{item.id}",
                details={
                    "txn_id": item.txn_id,
                    "kind": item.kind,
                    "action": resolution.action,
                    "resolution": resolution.id,
                    "requested_by": resolution.requested_by,
                    "outcome": outcome.en,
                },
            )
            uow.commit()
    except DomainError as exc:
        if exc.code in {"resolution_decided", "difference_changed", "same_operator"}:
            raise
        raise refusal(
            "resolution_refused",
            field="resolution_id",
            zh=f"无法执行该处理：{exc.message_zh}",
            en=f"the resolution cannot be applied: {exc.message_en}",
            reason=exc.code,
        ) from exc
    return outcome


def reject_resolution(
    services: ReconciliationServices, actor: Actor, *, resolution_id: int, note: str
) -> None:
    """Reject a waiting request: the difference goes back to the queue, open.

    Raises :class:`~gridpos.application.console.errors.AccessDeniedError`;
    :class:`ReconciliationError`: ``resolution_unknown``, ``resolution_decided``,
    ``same_operator``, ``reason_required`` (field ``reason``: say why).
    """
    require(actor, Permission.RECONCILIATION_RESOLVE)
    why = _reason(note)
    now = services.clock.now()
    with services.writing() as uow:
        resolution, item = _waiting(uow, actor, resolution_id)
        if not ResolutionStore(uow.connection).decide(
            resolution.id, state="rejected", decided_by=actor.operator_id, now=now, note=why
        ):
            raise refusal(
                "resolution_decided",
                field="resolution_id",
                zh="该申请已被其他操作员处理",
                en="another operator decided the request first",
            )
        if not RunStore(uow.connection).change_item(
            item.id, version=item.version, values={"state": "open", "updated_at": now}
        ):
            raise item_changed(item.id)
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=AuditAction.RECONCILIATION_REJECT,
            subject=f"reconciliation_item:{item.id}",
            details={"txn_id": item.txn_id, "resolution": resolution.id, "note": why},
        )
        uow.commit()
