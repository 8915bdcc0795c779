"""Payments: pay (缴费), status, reversal (冲正), void (撤销), reprint and offline upload.

**Transaction id.** The terminal names every payment before sending it, and the name never
changes however often the payment is resent: ``<terminal no>-<serial>-<nonce>``, e.g.
``34080017-1042-9f3a1c2e`` — the terminal's eight-digit number, its persistent journal serial
(decimal, no padding, up to ten digits) and the first eight hex digits of a UUID the terminal drew
when it wrote the journal row (so a terminal restored from an old backup, reusing serials, still
makes new ids). :func:`make_txn_id` and :func:`parse_txn_id` are the two directions.

**Pay** is idempotent on the transaction id: the server answers a repeat with the stored result,
and refuses the same id with other content (``txn_id_reused``). The request carries what the
terminal showed the collector (``due``) so the server can refuse a stale view
(``amount_due_changed``). The answer is the receipt: everything it prints, except the capital
numerals (大写), which the terminal writes from ``cash`` and ``due``.

**Status** of a payment the server never received is refused with ``payment_not_found``: the
terminal resends the same payment under the same id, or reverses it if the collector cancelled.

**Reversal** (冲正) names the original's transaction id, trace number, business date and cash; the
server honours one that arrives before its original by recording a tombstone (``tombstone`` in the
answer), and later refuses the original with ``payment_already_reversed``. **Void** (撤销) is the
same with a supervisor's account and password.

**Offline upload** sends what was collected without a link, oldest first, with the cash time as
the terminal's clock had it and the offline sequence (``seq``, strictly increasing per terminal);
each is answered on its own (accepted against the hold, or why not).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from gridpos.protocol.errors import ErrorBody
from gridpos.protocol.fields import (
    TERMINAL_NO_PATTERN,
    TXN_ID_PATTERN,
    AccountNo,
    Address,
    Count,
    Fen,
    FromDigits,
    Name,
    Period,
    PositiveFen,
    RoundUpFen,
    Secret,
    TerminalNo,
    TotalFen,
    TraceNo,
    TxnId,
    UnixTime,
    VerificationCode,
    WireCategory,
    WireDate,
    WirePaymentState,
)
from gridpos.protocol.messages import WireAnswer, WireParams, WireRequest

MAX_SERIAL = 9_999_999_999
MAX_OFFLINE_UPLOAD = 20
"""Offline payments per upload request: keeps a request body near 4 KB over GPRS."""
MAX_REPRINT = 10

_TXN_ID_RE = re.compile(TXN_ID_PATTERN)
_TERMINAL_RE = re.compile(TERMINAL_NO_PATTERN)


@dataclass(frozen=True, slots=True)
class TxnIdParts:
    """The three parts of a transaction id."""

    terminal_no: str
    serial: int
    nonce: str


def make_txn_id(*, terminal_no: str, serial: int, nonce: uuid.UUID) -> str:
    """The transaction id of the journal row ``serial`` of ``terminal_no``.

    Raises:
        ValueError: a terminal number that is not 8 digits or a serial outside 1..9999999999.
    """
    if _TERMINAL_RE.fullmatch(terminal_no) is None:
        raise ValueError("a terminal number is 8 digits")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError("a journal serial is between 1 and 9999999999")
    return f"{terminal_no}-{serial}-{nonce.hex[:8]}"


def parse_txn_id(txn_id: str) -> TxnIdParts:
    """The parts of a transaction id (the server checks the terminal part is the signer).

    Raises:
        ValueError: ``txn_id`` is not of the documented form.
    """
    match = _TXN_ID_RE.fullmatch(txn_id)
    if match is None or not 1 <= int(match.group(2)) <= MAX_SERIAL:
        raise ValueError("a transaction id reads <terminal no>-<serial>-<8 hex digits>")
    return TxnIdParts(match.group(1), int(match.group(2)), match.group(3))


# ---- pay ----------------------------------------------------------------------------------------


class PayRequest(WireRequest):
    """缴费: one cash payment for one customer."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    account_no: AccountNo = Field(alias="acct")
    cash: PositiveFen
    round_up: RoundUpFen = Field(default=0, alias="round")
    amount_due: Fen = Field(alias="due")
    cash_time: UnixTime = Field(alias="at")

    @model_validator(mode="after")
    def _round_up_within_cash(self) -> PayRequest:
        if self.round_up > self.cash:
            raise PydanticCustomError(
                "amount_invalid",
                "the round-up cannot exceed the cash paid",
                {
                    "field": "round",
                    "reason": "round_up_over_cash",
                    "zh": "取整金额不能超过实收金额",
                },
            )
        return self


class ReceiptLine(WireAnswer):
    """A billing month the payment paid: kWh, principal and penalty paid."""

    period: Period
    kwh: Count
    principal: Fen = Field(alias="prin")
    penalty: Fen = Field(default=0, alias="pen")


class PayAnswer(WireAnswer):
    """The confirmed payment: everything the receipt (电费收据) prints."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    state: WirePaymentState = WirePaymentState.CONFIRMED
    company: Name = Field(alias="co")
    station: Name = Field(alias="stn")
    collection_point: Name = Field(alias="pt")
    terminal_no: TerminalNo = Field(alias="term")
    operator: Name = Field(alias="op")
    business_date: WireDate = Field(alias="bd")
    paid_at: UnixTime = Field(alias="at")
    account_no: AccountNo = Field(alias="acct")
    name: Name
    address: Address = Field(alias="addr")
    category: WireCategory = Field(alias="cat")
    lines: tuple[ReceiptLine, ...] = ()
    # balances, as the replica held them before and as they are after (see ``accounts``)
    prepaid_before: TotalFen = Field(default=0, alias="pre_b")
    prepaid_after: TotalFen = Field(default=0, alias="pre_a")
    rounding_credit_before: TotalFen = Field(default=0, alias="rc_b")
    rounding_credit_after: TotalFen = Field(default=0, alias="rc_a")
    total_due: Fen = Field(alias="due")
    cash: PositiveFen
    verification_code: VerificationCode = Field(alias="vc")
    offline: StrictBool = Field(default=False, alias="off")
    float_available: TotalFen | None = Field(default=None, alias="fa")


# ---- status, reversal, void, reprint -----------------------------------------------------------


class PaymentStatusQuery(WireParams):
    """``GET /t/v1/pay/{txn}``: what became of a payment whose answer was lost."""

    txn_id: TxnId = Field(alias="txn")


class PaymentStatusAnswer(WireAnswer):
    """The payment's state; the receipt when confirmed; why, when rejected."""

    txn_id: TxnId = Field(alias="txn")
    state: WirePaymentState
    receipt: PayAnswer | None = Field(default=None, alias="rcpt")
    error: ErrorBody | None = Field(default=None, alias="err")


class ReverseRequest(WireRequest):
    """冲正: undo a payment whose outcome was unknown; names its serial, date and amount."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    business_date: WireDate = Field(alias="bd")
    cash: PositiveFen
    reversal_trace_no: TraceNo = Field(alias="rtrace")


class VoidRequest(WireRequest):
    """撤销: cancel a confirmed payment the same day, with a supervisor's credential."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    business_date: WireDate = Field(alias="bd")
    cash: PositiveFen
    void_trace_no: TraceNo = Field(alias="vtrace")
    supervisor: Annotated[str, Field(strict=True, min_length=1, max_length=32)] = Field(alias="sup")
    supervisor_password: Secret = Field(alias="sup_pw")


class UndoAnswer(WireAnswer):
    """The answer to a reversal or a void: the new state and the float put back."""

    txn_id: TxnId = Field(alias="txn")
    state: WirePaymentState
    undone_at: UnixTime = Field(alias="at")
    tombstone: StrictBool = Field(default=False, alias="tomb")
    float_available: TotalFen = Field(alias="fa")


class ReprintQuery(WireParams):
    """``GET /t/v1/reprint?n=&trace=``: the latest receipts of this terminal's business day."""

    limit: Annotated[int, FromDigits, Field(strict=True, ge=1, le=MAX_REPRINT)] = Field(
        default=1, alias="n"
    )
    trace_no: Annotated[int, FromDigits, Field(strict=True, ge=1, le=999_999)] | None = Field(
        default=None, alias="trace"
    )


class ReprintAnswer(WireAnswer):
    """Receipts to print again, newest first."""

    receipts: tuple[PayAnswer, ...] = Field(default=(), alias="rcpts")


# ---- offline ------------------------------------------------------------------------------------


class OfflinePayment(PayRequest):
    """A payment collected without a link (脱机): the pay fields, its sequence and receipt code."""

    offline_seq: Annotated[int, Field(strict=True, ge=1, le=MAX_SERIAL)] = Field(alias="seq")
    verification_code: VerificationCode = Field(alias="vc")


class OfflineUploadRequest(WireRequest):
    """Offline payments to upload, oldest first."""

    payments: tuple[OfflinePayment, ...] = Field(
        alias="pays", min_length=1, max_length=MAX_OFFLINE_UPLOAD
    )

    @model_validator(mode="after")
    def _in_sequence(self) -> OfflineUploadRequest:
        sequence = [payment.offline_seq for payment in self.payments]
        if any(later <= earlier for earlier, later in itertools.pairwise(sequence)):
            raise PydanticCustomError(
                "offline_sequence",
                "offline payments must be in strictly increasing sequence",
                {"field": "pays", "zh": "脱机交易须按序号递增排列"},
            )
        if len({payment.txn_id for payment in self.payments}) != len(self.payments):
            raise PydanticCustomError(
                "offline_duplicate",
                "a transaction id appears twice",
                {"field": "pays", "zh": "交易号重复"},
            )
        return self


class OfflineResult(WireAnswer):
    """What became of one uploaded offline payment."""

    txn_id: TxnId = Field(alias="txn")
    state: WirePaymentState
    error: ErrorBody | None = Field(default=None, alias="err")


class OfflineUploadAnswer(WireAnswer):
    """One result per uploaded payment, in order; the float and hold after them."""

    results: tuple[OfflineResult, ...] = Field(default=(), alias="res")
    float_available: TotalFen = Field(alias="fa")
    float_held: TotalFen = Field(default=0, alias="fh")
