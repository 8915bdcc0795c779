"""What the journal holds: its rows (events) and, per payment, the state they add up to.

A payment's history is a run of rows under one transaction id; its current state is the state of
its last row that carries one (:class:`PaymentState`, moved only along the domain's transitions).
:func:`project` folds one row into the payment's :class:`TxnRecord`, which the journal keeps in a
side table so that questions such as "what still waits for the server?" need no scan. The side
table is derived: the rows are the record.

Row bodies (JSON objects) by kind:

=====================  =========================================================================
``pay``                ``wire``: the PayRequest exactly as sent (resent byte for byte)
``offline_pay``        ``wire``: the OfflinePayment; ``receipt``: what its receipt prints
``no_answer``          ``reason`` (and ``err`` when a 5xx body came)
``answer``             ``via`` (pay, status, upload), ``answer`` (PayAnswer) or ``err``
``reversal``           ``wire``: the ReverseRequest to send (the collector cancelled)
``reversal_answer``    ``answer``: the UndoAnswer
``reversal_refused``   ``err``: why the server would not reverse
``void`` / ``void_*``  ``wire`` without the password; ``answer`` or ``err``; no answer keeps
                       the void waiting until a status query tells
``print_*``            ``copies``, ``reprint``; ``err`` when the printer failed
session kinds          the answer or figures of sign-in, sign-out, batch close and upload,
                       cash count, arrears download, journal damage
=====================  =========================================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import orjson

from gridpos.domain.payment_state import IllegalTransitionError, PaymentState


class EventKind(StrEnum):
    """What one journal row records."""

    # the terminal and its day
    ENROLLED = "enrolled"
    SIGNED_IN = "signed_in"
    SIGN_OUT_SENT = "sign_out_sent"  # a sign-out is on its way: finish it before collecting
    SIGNED_OUT = "signed_out"
    ARREARS_DOWNLOADED = "arrears_downloaded"
    BATCH_CLOSED = "batch_closed"
    BATCH_UPLOADED = "batch_uploaded"
    CASH_COUNTED = "cash_counted"
    JOURNAL_DAMAGE = "journal_damage"
    # a payment
    PAY = "pay"
    OFFLINE_PAY = "offline_pay"
    NO_ANSWER = "no_answer"
    ANSWER = "answer"
    REVERSAL = "reversal"
    REVERSAL_ANSWER = "reversal_answer"
    REVERSAL_REFUSED = "reversal_refused"
    VOID = "void"
    VOID_ANSWER = "void_answer"
    VOID_REFUSED = "void_refused"
    VOID_NO_ANSWER = "void_no_answer"
    PRINT_STARTED = "print_started"
    PRINTED = "printed"
    PRINT_FAILED = "print_failed"

    @property
    def opens_payment(self) -> bool:
        return self in (EventKind.PAY, EventKind.OFFLINE_PAY)


class ReceiptStatus(StrEnum):
    """Where the payment's receipt stands."""

    NONE = "none"  # nothing printed yet
    STARTED = "started"  # printing began; a crash here leaves it unknown: reprint
    PRINTED = "printed"
    FAILED = "failed"  # the printer failed: the payment stands, the receipt waits for a reprint


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One stored row, its body read back."""

    seq: int
    kind: EventKind
    txn_id: str | None
    state: PaymentState | None
    business_date: date | None
    batch_no: int | None
    recorded_at: datetime
    body: dict[str, Any]
    prev_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class TxnRecord:
    """A payment as its rows add up: the side table's row."""

    txn_id: str
    offline: bool
    state: PaymentState
    business_date: date
    batch_no: int
    trace_no: int
    account_no: str
    cash: int
    cash_time: datetime
    offline_seq: int | None
    first_seq: int
    last_seq: int
    request_seq: int
    answer_seq: int | None = None
    reversal_seq: int | None = None
    void_seq: int | None = None
    receipt: ReceiptStatus = ReceiptStatus.NONE

    @property
    def waiting(self) -> bool:
        """Still needs the server: not yet answered, or a reversal or void not yet answered."""
        return (
            self.state in (PaymentState.PENDING, PaymentState.UNKNOWN)
            or self.reversal_seq is not None
            or self.void_seq is not None
        )

    @property
    def cancelled(self) -> bool:
        """The collector cancelled it (a reversal was asked), answered or not."""
        return self.reversal_seq is not None or self.state is PaymentState.REVERSED

    @property
    def receipt_waiting(self) -> bool:
        """Confirmed (or collected offline) but its receipt is not known to be on paper."""
        printable = self.state is PaymentState.CONFIRMED or (
            self.offline and self.state in (PaymentState.PENDING, PaymentState.UNKNOWN)
        )
        return printable and self.receipt is not ReceiptStatus.PRINTED


class ProjectionError(ValueError):
    """A row that cannot follow the payment's previous rows (a bug, or a tampered journal)."""


def loads(text: str) -> dict[str, Any]:
    """A row body read back."""
    data = orjson.loads(text)
    if not isinstance(data, dict):
        raise ProjectionError("a journal row body is a JSON object")
    return data


def dumps(body: dict[str, Any]) -> str:
    """A row body as stored: compact, keys sorted, so equal bodies hash equal."""
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def _opening(row: JournalRow) -> TxnRecord:
    if row.txn_id is None or row.business_date is None or row.batch_no is None:
        raise ProjectionError("a payment row names its transaction, business date and batch")
    wire = loads(str(row.body["wire"]))
    offline = row.kind is EventKind.OFFLINE_PAY
    return TxnRecord(
        txn_id=row.txn_id,
        offline=offline,
        state=PaymentState.PENDING,
        business_date=row.business_date,
        batch_no=row.batch_no,
        trace_no=int(wire["trace"]),
        account_no=str(wire["acct"]),
        cash=int(wire["cash"]),
        cash_time=datetime.fromtimestamp(int(wire["at"]), tz=UTC),
        offline_seq=int(wire["seq"]) if offline else None,
        first_seq=row.seq,
        last_seq=row.seq,
        request_seq=row.seq,
    )


def state_path(current: PaymentState, target: PaymentState) -> tuple[PaymentState, ...]:
    """The shortest run of allowed transitions from ``current`` to ``target`` (empty if none).

    The server may tell a state the terminal never saw the steps to: a payment still pending
    here that the server reversed (pending → unknown → reversed: it was sent), or one it
    confirmed and then voided. One row records what the server said; the path proves the
    domain allows it.
    """
    frontier: list[tuple[PaymentState, ...]] = [(current,)]
    seen = {current}
    while frontier:
        path = frontier.pop(0)
        for step in PaymentState:
            if step in seen or not path[-1].can_become(step):
                continue
            if step is target:
                return (*path[1:], step)
            seen.add(step)
            frontier.append((*path, step))
    return ()


_RECEIPT_BY_KIND = {
    EventKind.PRINT_STARTED: ReceiptStatus.STARTED,
    EventKind.PRINTED: ReceiptStatus.PRINTED,
    EventKind.PRINT_FAILED: ReceiptStatus.FAILED,
}


def project(record: TxnRecord | None, row: JournalRow) -> TxnRecord:
    """The payment after ``row``.

    Raises:
        ProjectionError: a first row that does not open a payment, an opening row for a payment
            that exists, or a state change the domain does not allow.
    """
    if record is None:
        if not row.kind.opens_payment:
            raise ProjectionError(f"row {row.seq}: {row.kind} before the payment was opened")
        return _opening(row)
    if row.kind.opens_payment:
        raise ProjectionError(f"row {row.seq}: payment {row.txn_id} is opened twice")
    changes: dict[str, Any] = {"last_seq": row.seq}
    if row.state is not None and row.state is not record.state:
        if not state_path(record.state, row.state):
            raise ProjectionError(str(IllegalTransitionError(record.state, row.state)))
        changes["state"] = row.state
    kind = row.kind
    if kind is EventKind.ANSWER and "answer" in row.body:
        changes["answer_seq"] = row.seq
    elif kind is EventKind.REVERSAL:
        changes["reversal_seq"] = row.seq
    elif kind in (EventKind.REVERSAL_ANSWER, EventKind.REVERSAL_REFUSED):
        changes["reversal_seq"] = None
    elif kind is EventKind.VOID:
        changes["void_seq"] = row.seq
    elif kind in (EventKind.VOID_ANSWER, EventKind.VOID_REFUSED):
        changes["void_seq"] = None
    elif kind in _RECEIPT_BY_KIND:
        changes["receipt"] = _RECEIPT_BY_KIND[kind]
    # a payment resolved as reversed or rejected no longer waits for its reversal
    final = changes.get("state", record.state)
    if final in (PaymentState.REVERSED, PaymentState.REJECTED):
        changes["reversal_seq"] = None
    if final is not PaymentState.CONFIRMED:
        changes["void_seq"] = None
    return dataclasses.replace(record, **changes)
