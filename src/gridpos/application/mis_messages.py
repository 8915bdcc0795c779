"""What the MIS is told about one of our payments, read from the payment as the database holds it.

An outbox row names its payment by ``aggregate_id``: the payment's id (digits) or its transaction
id (``<terminal no>-<serial>-<nonce>``). The message is rebuilt from the payment, its allocation
and its undo every time it is sent, and a payment never changes once recorded, so every attempt
sends the same request (the MIS recognises a repeat by its content hash).

The MIS's ``payment_id`` — the idempotency key — is the terminal's transaction id, unique across
the county because it starts with the terminal's number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Connection, select

from gridpos.adapters.db.tables import (
    customers,
    operators,
    organisations,
    payment_allocations,
    payment_undos,
    payments,
    receivables,
    terminals,
)
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.protocol.mis import PostingLine, PostingRequest, UndoKind, UndoRequest

CHANNEL: Final[str] = "POS"
_IDENTIFIER: Final = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_UNDO_REASONS: Final[dict[str, str]] = {
    "reversal": "冲正",
    "void": "撤销",
    "cancellation": "冲销",
}


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """One payment as the MIS needs it, with the receivables it paid on and its undo if any."""

    payment_id: int
    txn_id: str
    customer_id: int
    state: str
    mis_state: str
    posting: PostingRequest
    receivable_ids: tuple[int, ...]
    undo: UndoFacts | None


@dataclass(frozen=True, slots=True)
class UndoFacts:
    """A reversal, void or cancellation of the payment as recorded here."""

    kind: str  # reversal / void / cancellation
    business_date: date
    operator_id: str
    reason: str

    def mis_kind(self, *, posting_business_date: date, cancel: bool) -> UndoKind:
        """The MIS's kind: a reversal on the posting's own business day, a cancellation after
        it (or whenever the undo is a cancellation)."""
        if cancel or self.kind == "cancellation" or self.business_date != posting_business_date:
            return "cancellation"
        return "reversal"

    def request(self, *, serial: str, amount_fen: int) -> UndoRequest:
        return UndoRequest(
            serial=serial,
            amount_fen=amount_fen,
            business_date=self.business_date,
            operator_id=self.operator_id,
            reason=self.reason,
        )


def payment_ids_of(connection: Connection, aggregate_ids: list[str]) -> dict[str, int]:
    """The payment id each ``aggregate_id`` names (a payment id, or a transaction id)."""
    found: dict[str, int] = {}
    numeric = [int(value) for value in aggregate_ids if value.isdigit()]
    if numeric:
        for payment_id in connection.execute(
            select(payments.c.id).where(payments.c.id.in_(numeric))
        ).scalars():
            found[str(payment_id)] = int(payment_id)
    others = [value for value in aggregate_ids if not value.isdigit()]
    if others:
        for payment_id, txn_id in connection.execute(
            select(payments.c.id, payments.c.txn_id).where(payments.c.txn_id.in_(others))
        ):
            found[str(txn_id)] = int(payment_id)
    return found


def read_payment(connection: Connection, payment_id: int) -> PaymentFacts | None:
    """The payment ``payment_id`` as the MIS needs it, or None when there is no such payment.

    Raises ``pydantic.ValidationError`` when the payment cannot be put in the MIS's terms (an
    identifier the MIS does not accept, a line out of its bounds).
    """
    p, o, t, c = payments, organisations, terminals, customers
    row = connection.execute(
        select(
            p,
            o.c.code.label("point_code"),
            t.c.terminal_no,
            c.c.account_no,
            operators.c.account.label("operator_account"),
        )
        .join(o, o.c.id == p.c.org_id)
        .join(t, t.c.id == p.c.terminal_id)
        .join(c, c.c.id == p.c.customer_id)
        .join(operators, operators.c.id == p.c.operator_id)
        .where(p.c.id == payment_id)
    ).first()
    if row is None:
        return None
    lines = connection.execute(
        select(
            payment_allocations.c.receivable_id,
            payment_allocations.c.penalty_paid,
            payment_allocations.c.principal_paid,
            receivables.c.period,
            receivables.c.run_no,
        )
        .join(receivables, receivables.c.id == payment_allocations.c.receivable_id)
        .where(payment_allocations.c.payment_id == payment_id)
        .order_by(receivables.c.period, receivables.c.run_no, receivables.c.id)
    ).all()
    business_date: date = row.business_date
    cash_date = business_date
    if row.offline:
        # an offline payment counts from the day the cash changed hands
        cash_date = min(row.cash_time.astimezone(CHINA_TIME).date(), business_date)
    posting = PostingRequest(
        payment_id=row.txn_id,
        account_no=row.account_no,
        amount_fen=int(row.cash),
        cash_date=cash_date,
        business_date=business_date,
        channel=CHANNEL,
        collection_point_id=_identifier(row.point_code, fallback=f"org-{row.org_id}"),
        terminal_id=_identifier(row.terminal_no, fallback=f"terminal-{row.terminal_id}"),
        operator_id=_identifier(row.operator_account, fallback=f"operator-{row.operator_id}"),
        lines=[
            PostingLine(
                period=line.period,
                run_no=int(line.run_no),
                penalty=int(line.penalty_paid),
                principal=int(line.principal_paid),
            )
            for line in lines
            if line.penalty_paid or line.principal_paid
        ],
        prepaid_used=int(row.prepaid_used),
        prepaid_added=int(row.prepaid_added),
        rounding_used=int(row.rounding_used),
        rounding_added=int(row.rounding_added),
    )
    return PaymentFacts(
        payment_id=payment_id,
        txn_id=row.txn_id,
        customer_id=int(row.customer_id),
        state=row.state,
        mis_state=row.mis_state,
        posting=posting,
        receivable_ids=tuple(int(line.receivable_id) for line in lines),
        undo=_read_undo(connection, payment_id),
    )


def _read_undo(connection: Connection, payment_id: int) -> UndoFacts | None:
    row = connection.execute(
        select(
            payment_undos.c.kind,
            payment_undos.c.business_date,
            payment_undos.c.reason,
            payment_undos.c.requested_by,
            operators.c.account,
        )
        .outerjoin(operators, operators.c.id == payment_undos.c.requested_by)
        .where(payment_undos.c.payment_id == payment_id)
    ).first()
    if row is None:
        return None
    reason = (row.reason or "").strip()[:200] or _UNDO_REASONS.get(row.kind, "撤回")
    fallback = f"operator-{row.requested_by}" if row.requested_by is not None else "gridpos"
    return UndoFacts(
        kind=row.kind,
        business_date=row.business_date,
        operator_id=_identifier(row.account, fallback=fallback),
        reason=reason,
    )


def _identifier(value: str | None, *, fallback: str) -> str:
    """``value`` when the MIS accepts it as an identifier, else ``fallback``."""
    if value is not None and _IDENTIFIER.fullmatch(value):
        return value
    return fallback
