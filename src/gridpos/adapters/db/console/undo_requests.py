"""Requests to void (撤销) or cancel (冲销) a payment, awaiting a second person's decision.

The database keeps the maker-checker rule (``ck_payment_undo_requests_decided_by_not_requester``)
and one open request per payment (``ix_payment_undo_requests_open_payment``); a write that breaks
either comes back as :class:`UndoRequestConflict` naming which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.tables import agents, customers, operators, organisations, payments
from gridpos.adapters.db.tables.undo_requests import payment_undo_requests

_SELF_DECISION: Final = "decided_by_not_requester"
_OPEN_TWICE: Final = "ix_payment_undo_requests_open_payment"
_requester = operators.alias("requester")
_decider = operators.alias("decider")


class UndoRequestConflict(StrEnum):
    """Why the database refused a request's write."""

    SELF_DECISION = "self_decision"
    ALREADY_OPEN = "already_open"


class UndoRequestConflictError(Exception):
    """A write the database refused: :attr:`conflict` says which rule it broke."""

    def __init__(self, conflict: UndoRequestConflict) -> None:
        super().__init__(conflict.value)
        self.conflict = conflict


@dataclass(frozen=True, slots=True)
class UndoRequestRow:
    """A request to undo a payment, and its decision when there is one."""

    id: int
    payment_id: int
    kind: str  # void / cancellation
    reason: str
    state: str  # requested / approved / rejected
    business_date: date
    requested_by: int
    requester: str  # name (account)
    requested_at: datetime
    decided_by: int | None
    decider: str | None
    decided_at: datetime | None
    decision_note: str
    # the payment's, for the list of waiting requests
    txn_id: str
    payment_date: date
    cash: int
    account_no: str
    customer_name: str
    agent_name: str
    org_name: str
    org_path: str


_COLUMNS = (
    payment_undo_requests,
    _requester.c.name.label("requester_name"),
    _requester.c.account.label("requester_account"),
    _decider.c.name.label("decider_name"),
    _decider.c.account.label("decider_account"),
    payments.c.txn_id,
    payments.c.business_date.label("payment_date"),
    payments.c.cash,
    customers.c.account_no,
    customers.c.name.label("customer_name"),
    agents.c.name.label("agent_name"),
    organisations.c.name.label("org_name"),
    organisations.c.path.label("org_path"),
)
_FROM = (
    payment_undo_requests.join(_requester, _requester.c.id == payment_undo_requests.c.requested_by)
    .outerjoin(_decider, _decider.c.id == payment_undo_requests.c.decided_by)
    .join(payments, payments.c.id == payment_undo_requests.c.payment_id)
    .join(customers, customers.c.id == payments.c.customer_id)
    .join(agents, agents.c.id == payments.c.agent_id)
    .join(organisations, organisations.c.id == payments.c.org_id)
)


def _row(row: Any) -> UndoRequestRow:
    return UndoRequestRow(
        id=int(row.id),
        payment_id=int(row.payment_id),
        kind=row.kind,
        reason=row.reason,
        state=row.state,
        business_date=row.business_date,
        requested_by=int(row.requested_by),
        requester=f"{row.requester_name} ({row.requester_account})",
        requested_at=row.requested_at,
        decided_by=None if row.decided_by is None else int(row.decided_by),
        decider=None if row.decider_name is None else f"{row.decider_name} ({row.decider_account})",
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        txn_id=row.txn_id,
        payment_date=row.payment_date,
        cash=int(row.cash),
        account_no=row.account_no,
        customer_name=row.customer_name,
        agent_name=row.agent_name,
        org_name=row.org_name,
        org_path=row.org_path,
    )


def _conflict(exc: IntegrityError) -> UndoRequestConflictError | None:
    message = str(exc.orig)
    if _SELF_DECISION in message:
        return UndoRequestConflictError(UndoRequestConflict.SELF_DECISION)
    if _OPEN_TWICE in message or (
        # SQLite names the columns of a unique index it refused, not the index
        "UNIQUE constraint failed: payment_undo_requests.payment_id" in message
    ):
        return UndoRequestConflictError(UndoRequestConflict.ALREADY_OPEN)
    return None


class UndoRequestStore:
    """Undo requests through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(
        self,
        *,
        payment_id: int,
        kind: str,
        reason: str,
        business_date: date,
        requested_by: int,
        now: datetime,
    ) -> int:
        """A new waiting request; its id.

        Raises :class:`UndoRequestConflictError` (``already_open``) when a request of the
        payment is already waiting.
        """
        try:
            with self._connection.begin_nested():
                return int(
                    self._connection.execute(
                        insert(payment_undo_requests)
                        .values(
                            payment_id=payment_id,
                            kind=kind,
                            reason=reason,
                            state="requested",
                            business_date=business_date,
                            requested_by=requested_by,
                            requested_at=now,
                        )
                        .returning(payment_undo_requests.c.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:
            conflict = _conflict(exc)
            if conflict is None:
                raise
            raise conflict from exc

    def get(self, request_id: int, *, lock: bool = False) -> UndoRequestRow | None:
        """The request ``request_id`` (its row locked for the transaction when ``lock``)."""
        query = select(*_COLUMNS).select_from(_FROM).where(payment_undo_requests.c.id == request_id)
        if lock:
            query = query.with_for_update(of=payment_undo_requests)
        row = self._connection.execute(query).first()
        return None if row is None else _row(row)

    def decide(
        self, request_id: int, *, approve: bool, decided_by: int, note: str, now: datetime
    ) -> None:
        """Record the decision on a waiting request.

        Raises :class:`UndoRequestConflictError` (``self_decision``) when ``decided_by`` made
        the request.
        """
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    update(payment_undo_requests)
                    .where(payment_undo_requests.c.id == request_id)
                    .values(
                        state="approved" if approve else "rejected",
                        decided_by=decided_by,
                        decided_at=now,
                        decision_note=note,
                    )
                )
        except IntegrityError as exc:
            conflict = _conflict(exc)
            if conflict is None:
                raise
            raise conflict from exc

    def of_payment(self, payment_id: int) -> list[UndoRequestRow]:
        """Every request ever made to undo the payment, oldest first."""
        rows = self._connection.execute(
            select(*_COLUMNS)
            .select_from(_FROM)
            .where(payment_undo_requests.c.payment_id == payment_id)
            .order_by(payment_undo_requests.c.id)
        )
        return [_row(row) for row in rows]

    def waiting(
        self, *, scope: ColumnElement[bool] | None, limit: int, offset: int = 0
    ) -> list[UndoRequestRow]:
        """Waiting requests, oldest first (the partial index of the waiting ones), of the
        payments ``scope`` keeps."""
        query = (
            select(*_COLUMNS)
            .select_from(_FROM)
            .where(payment_undo_requests.c.state == "requested")
            .order_by(payment_undo_requests.c.requested_at, payment_undo_requests.c.id)
        )
        if scope is not None:
            query = query.where(scope)
        rows = self._connection.execute(query.offset(offset).limit(limit))
        return [_row(row) for row in rows]
