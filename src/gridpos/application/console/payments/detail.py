"""One payment's page in 收费明细: who, where and for whom, its allocation, its ledger
transactions and entries, its undo and the requests to undo it, its MIS posting and its receipt;
and which undo may be asked for it today."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from pydantic import ValidationError

from gridpos.adapters.db.console.payment_detail import (
    AllocationLine,
    OutboxRow,
    PaymentDetailStore,
    PaymentFacts,
    TransactionRow,
    UndoRow,
)
from gridpos.adapters.db.console.payment_search import PaymentSearch
from gridpos.adapters.db.console.undo_requests import UndoRequestRow, UndoRequestStore
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import AccessDeniedError, NotFoundError
from gridpos.application.console.payments.filters import county_today
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode
from gridpos.protocol.terminal.payments import PayAnswer

MIS_TOPICS: Final = ("mis.post", "mis.reverse", "mis.cancel")


@dataclass(frozen=True, slots=True)
class PaymentDetail:
    """One payment's page."""

    facts: PaymentFacts
    allocation: tuple[AllocationLine, ...]
    transactions: tuple[TransactionRow, ...]
    undo: UndoRow | None
    requests: tuple[UndoRequestRow, ...]
    outbox: tuple[OutboxRow, ...]
    receipt: PayAnswer | None
    undo_kind: str | None  # what an undo requested now would be: void / cancellation / None
    undo_refusal: str  # why none can be requested now (a code), "" when one can

    @property
    def waiting_request(self) -> UndoRequestRow | None:
        """The request of this payment still waiting for a decision, if any."""
        return next((r for r in self.requests if r.state == "requested"), None)


def undo_kind_for(facts: PaymentFacts, *, today: date) -> tuple[str | None, str]:
    """What an undo of the payment asked for ``today`` would be — a void (撤销) on its own
    business day, a cancellation (冲销) after it — or, when none may be asked for, why
    (``payment_not_confirmed``, ``payment_offline``)."""
    if facts.state != PaymentState.CONFIRMED.value:
        return None, "payment_not_confirmed"
    if facts.offline:
        return None, "payment_offline"
    return ("void" if facts.business_date >= today else "cancellation"), ""


def payment_not_found(payment_id: int | str) -> NotFoundError:
    """The refusal of a payment that does not exist."""
    return NotFoundError(
        code="payment_unknown",
        field="payment_id",
        message_zh=f"收费记录 {payment_id} 不存在",
        message_en=f"there is no payment {payment_id}",
    )


def require_visible(actor: Actor, facts: PaymentFacts) -> None:
    """Raises :class:`AccessDeniedError` unless the payment lies in the actor's subtree (and,
    for an agent operator, is their own agent's)."""
    if not actor.covers(facts.org_path):
        raise AccessDeniedError()
    own = actor.own_agent_id
    if own is not None and facts.agent_id != own:
        raise AccessDeniedError()


def _receipt(body: bytes | None) -> PayAnswer | None:
    if body is None:
        return None
    try:
        return decode(PayAnswer, body)
    except (ValidationError, ValueError):
        return None  # a receipt that no longer reads is left out, the payment still shown


def payment_detail(services: ConsoleServices, actor: Actor, payment_id: int) -> PaymentDetail:
    """The payment ``payment_id``: allocation, ledger transactions and entries, undo, undo
    requests, the outbox rows of its MIS posting and the receipt.

    Raises :class:`AccessDeniedError` without ``payments.view`` or outside the actor's reach,
    :class:`NotFoundError` (``payment_unknown``).
    """
    require(actor, Permission.PAYMENTS_VIEW)
    today = county_today(services)
    with services.reading() as uow:
        store = PaymentDetailStore(uow.connection)
        facts = store.facts(payment_id)
        if facts is None:
            raise payment_not_found(payment_id)
        require_visible(actor, facts)
        detail_parts = (
            tuple(store.allocation(payment_id)),
            tuple(store.transactions(payment_id)),
            store.undo(payment_id),
            tuple(UndoRequestStore(uow.connection).of_payment(payment_id)),
            tuple(store.outbox_rows(payment_id, facts.txn_id, topics=MIS_TOPICS)),
            _receipt(store.receipt(payment_id)),
        )
    allocation, transactions, undo, requests, outbox, receipt = detail_parts
    kind, refusal = undo_kind_for(facts, today=today)
    return PaymentDetail(
        facts=facts,
        allocation=allocation,
        transactions=transactions,
        undo=undo,
        requests=requests,
        outbox=outbox,
        receipt=receipt,
        undo_kind=kind,
        undo_refusal=refusal,
    )


def payment_by_txn(services: ConsoleServices, actor: Actor, txn_id: str) -> int:
    """The id of the payment with transaction id ``txn_id`` (as the MIS names it).

    Raises :class:`AccessDeniedError` without ``payments.view`` or outside the actor's reach,
    :class:`NotFoundError` (``payment_unknown``).
    """
    require(actor, Permission.PAYMENTS_VIEW)
    text = (txn_id or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", text):
        raise payment_not_found(text[:64])
    with services.reading() as uow:
        found = PaymentSearch(uow.connection).payment_by_txn(text)
        if found is None:
            raise payment_not_found(text)
        facts = PaymentDetailStore(uow.connection).facts(found)
    if facts is None:
        raise payment_not_found(text)
    require_visible(actor, facts)
    return facts.id
