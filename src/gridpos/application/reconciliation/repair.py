"""The safe remedies, applied by the engine itself — each in its own transaction, each audited,
each said so on its difference:

- **re-post** a payment the MIS lacks: a new ``mis.post`` outbox row with the payment's posting
  (the MIS knows a repeat by its payment id, so a posting that was there after all is not made
  twice), the payment's MIS state back to ``pending``;
- **send the undo again** of a payment we undid and the MIS still has posted (``mis.reverse`` or
  ``mis.cancel``);
- **confirm from the journal** (补单) a payment the terminal took and the company never had, then
  post it (:mod:`.journal_confirm`), within the day's limits;
- **wait** when the outbox still holds the posting or the undo: nothing to do.

A remedy that is refused — a float that cannot cover the payment, a limit, a payment that appeared
meanwhile — changes nothing; its difference goes to the work queue with the reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from gridpos.adapters.db.reconciliation.journal import journal_row
from gridpos.adapters.db.reconciliation.runs import RunStore
from gridpos.adapters.db.tables import outbox
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.mis_messages import read_payment
from gridpos.application.payments.recording import MIS_POST_TOPIC, MIS_REVERSE_TOPIC
from gridpos.application.payments.undo import MIS_CANCEL_TOPIC
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import refusal
from gridpos.application.reconciliation.journal_confirm import confirm_from_journal
from gridpos.application.reconciliation.notes import Note, bilingual, note
from gridpos.domain.audit import AuditAction
from gridpos.domain.errors import DomainError
from gridpos.domain.reconciliation import Remedy


def repair_run(services: ReconciliationServices, run_id: int, *, actor: str) -> int:
    """Apply the safe remedy of every difference of the run waiting for one; how many were
    repaired (the others are queued or awaiting the outbox, and the run's figures say so)."""
    with services.reading() as uow:
        waiting = [
            row
            for row in RunStore(uow.connection).differences_of(run_id)
            if row.outcome == "to_repair"
        ]
    repaired = refused = 0
    for row in waiting:
        outcome = repair_difference(services, row, actor=actor)
        repaired += outcome == "repaired"
        refused += outcome == "refused"
    if waiting:
        with services.writing() as uow:
            RunStore(uow.connection).count_repairs(run_id, repaired=repaired, refused=refused)
            uow.commit()
    return repaired


def repair_difference(services: ReconciliationServices, row: Any, *, actor: str) -> str:
    """Apply the remedy of one difference (a row of ``reconciliation_differences``); its
    outcome: ``repaired``, ``awaiting``, ``refused`` or ``skipped``."""
    remedy = Remedy(row.remedy)
    now = services.clock.now()
    try:
        with services.writing() as uow:
            store = RunStore(uow.connection)
            item = store.item(row.item_id)
            if item is None or item.state != "awaiting" or item.last_run_id != row.run_id:
                store.set_outcome(row.id, outcome="skipped", note=note("item_moved_on").stored())
                uow.commit()
                return "skipped"
            if remedy is Remedy.AWAIT_DELIVERY:
                store.set_outcome(row.id, outcome="awaiting", note=note("outbox_holds_it").stored())
                uow.commit()
                return "awaiting"
            done = _apply(uow, services, remedy, row, actor=actor)
            if not store.change_item(
                item.id,
                version=item.version,
                values={
                    "state": "repaired",
                    "repairs": item.repairs + 1,
                    "note": done.stored(),
                    "updated_at": now,
                },
            ):
                raise refusal(
                    "difference_changed",
                    field="version",
                    zh="处理期间差异已被其他操作员处理",
                    en="an operator acted on the difference meanwhile",
                )
            store.set_outcome(row.id, outcome="repaired", note=done.stored())
            uow.audit.append(
                occurred_at=now,
                actor=actor,
                action=AuditAction.RECONCILIATION_REPAIR,
                subject=f"payment:{row.txn_id}",
                details={
                    "remedy": remedy.value,
                    "kind": row.kind,
                    "run": row.run_id,
                    "note": done.en,
                },
            )
            uow.commit()
        return "repaired"
    except DomainError as exc:
        reason = note(
            "repair_refused",
            code=exc.code,
            **bilingual("reason", zh=exc.message_zh, en=f"{exc.code}: {exc.message_en}"),
        ).stored()
        with services.writing() as uow:
            store = RunStore(uow.connection)
            item = store.item(row.item_id)
            if item is not None:
                store.change_item(
                    item.id,
                    version=item.version,
                    values={
                        "state": "open",
                        "note": reason,
                        "updated_at": now,
                    },
                )
            store.set_outcome(row.id, outcome="refused", note=reason)
            uow.audit.append(
                occurred_at=now,
                actor=actor,
                action=AuditAction.RECONCILIATION_REPAIR_REFUSED,
                subject=f"payment:{row.txn_id}",
                details={"remedy": remedy.value, "kind": row.kind, "code": exc.code},
            )
            uow.commit()
        return "refused"


def _apply(
    uow: SqlUnitOfWork, services: ReconciliationServices, remedy: Remedy, row: Any, *, actor: str
) -> Note:
    now = services.clock.now()
    if remedy is Remedy.REPOST:
        outbox_id = repost(uow, row.payment_id, now=now)
        return note("reposted", outbox=outbox_id)
    if remedy is Remedy.RESEND_UNDO:
        outbox_id = resend_undo(uow, row.payment_id, now=now)
        return note("undo_resent", outbox=outbox_id)
    if remedy is Remedy.CONFIRM_FROM_JOURNAL:
        journal = (
            journal_row(uow.connection, row.terminal_id, row.txn_id) if row.terminal_id else None
        )
        if journal is None:
            raise refusal(
                "journal_row_missing",
                field="txn_id",
                zh="找不到终端上送的流水",
                en="the terminal's uploaded journal row is not there",
            )
        payment_id = confirm_from_journal(
            uow, services, journal, actor=actor, now=now, enforce_limits=True
        )
        return note("confirmed_from_journal", payment=payment_id)
    raise refusal(
        "remedy_not_automatic",
        field="remedy",
        zh="该处理方式须由操作员决定",
        en=f"{remedy.value} is for a person to decide",
    )


def _pending(uow: SqlUnitOfWork, topics: tuple[str, ...], txn_id: str, payment_id: int) -> bool:
    return (
        uow.connection.execute(
            select(outbox.c.id).where(
                outbox.c.state == "pending",
                outbox.c.topic.in_(topics),
                outbox.c.aggregate_id.in_((txn_id, str(payment_id))),
            )
        ).first()
        is not None
    )


def repost(uow: SqlUnitOfWork, payment_id: int, *, now: Any) -> int:
    """Queue the payment's posting again; the outbox row's id.

    Raises :class:`ReconciliationError` ``payment_not_standing`` (not confirmed),
    ``posting_in_outbox`` (a post of it still waits), ``posting_unrepresentable``.
    """
    payment = uow.payments.by_id(payment_id)
    if payment.state != "confirmed":
        raise refusal(
            "payment_not_standing",
            field="payment_id",
            zh="该笔交易已撤回，不能重新进账",
            en=f"the payment is {payment.state}: it is not posted again",
        )
    if _pending(uow, (MIS_POST_TOPIC,), payment.txn_id, payment.id):
        raise refusal(
            "posting_in_outbox",
            field="payment_id",
            zh="该笔交易的进账仍在发送队列中",
            en="a posting of this payment still waits in the outbox",
        )
    try:
        facts = read_payment(uow.connection, payment_id)
    except ValidationError as exc:
        raise refusal(
            "posting_unrepresentable",
            field="payment_id",
            zh="该笔交易无法按营销系统格式进账",
            en="the payment cannot be put in the MIS's terms",
        ) from exc
    assert facts is not None  # noqa: S101 - by_id found it
    uow.payments.mark(payment.id, state=payment.state, mis_state="pending")
    uow.payments.enqueue(
        topic=MIS_POST_TOPIC,
        aggregate_id=payment.txn_id,
        payload=facts.posting.model_dump(mode="json"),
        now=now,
    )
    return _latest(uow, MIS_POST_TOPIC, payment.txn_id)


def resend_undo(uow: SqlUnitOfWork, payment_id: int, *, now: Any) -> int:
    """Queue the payment's undo again; the outbox row's id.

    Raises :class:`ReconciliationError` ``payment_not_undone``, ``undo_in_outbox``.
    """
    payment = uow.payments.by_id(payment_id)
    facts = read_payment(uow.connection, payment_id)
    if facts is None or facts.undo is None or payment.state == "confirmed":
        raise refusal(
            "payment_not_undone",
            field="payment_id",
            zh="该笔交易未被撤回",
            en="the payment has no undo to send",
        )
    topic = MIS_CANCEL_TOPIC if facts.undo.kind == "cancellation" else MIS_REVERSE_TOPIC
    if _pending(uow, (MIS_REVERSE_TOPIC, MIS_CANCEL_TOPIC), payment.txn_id, payment.id):
        raise refusal(
            "undo_in_outbox",
            field="payment_id",
            zh="该笔交易的撤回仍在发送队列中",
            en="an undo of this payment still waits in the outbox",
        )
    uow.payments.mark(payment.id, state=payment.state, mis_state="undo_pending")
    uow.payments.enqueue(
        topic=topic,
        aggregate_id=payment.txn_id,
        payload={
            "payment_id": payment.txn_id,
            "kind": facts.undo.kind,
            "amount_fen": payment.cash,
            "business_date": facts.undo.business_date.isoformat(),
            "operator_id": facts.undo.operator_id,
            "reason": facts.undo.reason,
        },
        now=now,
    )
    return _latest(uow, topic, payment.txn_id)


def _latest(uow: SqlUnitOfWork, topic: str, aggregate_id: str) -> int:
    return int(
        uow.connection.execute(
            select(outbox.c.id)
            .where(outbox.c.topic == topic, outbox.c.aggregate_id == aggregate_id)
            .order_by(outbox.c.id.desc())
            .limit(1)
        ).scalar_one()
    )
