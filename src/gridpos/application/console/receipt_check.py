"""The public receipt check (no sign-in): is a receipt genuine, and what does it cover?

A receipt is checked from its QR code (scanned — a scanner types it into the field — or pasted)
or by hand from three printed fields: terminal number, serial (流水号) and verification code.

The QR text is ``GP1|<terminal no>|<txn id>|<customer number>|<cash in fen>|<code>``, the layout
the terminal prints (``gridpos.terminal.receipt.qr``; the console may not import the terminal, so
the few lines reading it are repeated here, and a test holds the two to the same text). The code
is ``protocol.signing.receipt_code`` of the transaction id, customer number and cash under the
terminal's key:

- a payment the company has: genuine when the QR's customer and cash are the payment's and the
  code is the one its receipt was printed with (kept with the payment, so a receipt stays
  checkable after the terminal's key was rotated);
- an offline receipt not yet uploaded: genuine when the code recomputes under the terminal's key;
- by hand: genuine when a payment of that terminal with that serial carries that code (an offline
  receipt not yet uploaded can only be checked from its QR code, which holds the transaction id).

A genuine receipt shows what it covers — customer number masked, amount, date, state (confirmed,
reversed, voided, cancelled, rejected, not yet uploaded); a receipt that is not genuine shows
nothing more. Checks are limited per client address and overall (:class:`ReceiptCheckLimiter`),
so the eight-digit code cannot be guessed by trying.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from gridpos.adapters.db.console.receipt_lookup import ReceiptLookup, RecordedPayment
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import ConsoleError, InvalidFormError, field_error
from gridpos.protocol.fields import (
    ACCOUNT_NO_PATTERN,
    MAX_AMOUNT_FEN,
    TERMINAL_NO_PATTERN,
    TXN_ID_PATTERN,
    VERIFICATION_CODE_PATTERN,
)
from gridpos.protocol.signing import receipt_code_matches

QR_SCHEME: Final = "GP1"
_QR: Final = re.compile(
    rf"{QR_SCHEME}\|({TERMINAL_NO_PATTERN})\|({TXN_ID_PATTERN})\|({ACCOUNT_NO_PATTERN})"
    rf"\|([1-9][0-9]{{0,7}})\|({VERIFICATION_CODE_PATTERN})",
    re.ASCII,
)
_TERMINAL: Final = re.compile(TERMINAL_NO_PATTERN, re.ASCII)
_CODE: Final = re.compile(VERIFICATION_CODE_PATTERN, re.ASCII)
_TRACE: Final = re.compile(r"[0-9]{1,10}", re.ASCII)
QR_MAX_CHARS: Final = 100


class ReceiptStatus(StrEnum):
    """What became of the payment a genuine receipt covers."""

    CONFIRMED = "confirmed"
    REVERSED = "reversed"
    VOIDED = "voided"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NOT_UPLOADED = "not_uploaded"  # an offline receipt the terminal has not uploaded yet
    UNSETTLED = "unsettled"  # recorded, its outcome not yet settled (pending or unknown)


class CheckRefusedError(ConsoleError):
    """Too many checks from one address, or from everyone, in a short time: nothing was checked.
    Code ``receipt_check_rate_limited``."""

    code = "receipt_check_rate_limited"


@dataclass(frozen=True, slots=True)
class QrClaim:
    """What a receipt's QR code says."""

    terminal_no: str
    txn_id: str
    account_no: str
    cash: int
    verification_code: str


@dataclass(frozen=True, slots=True)
class TypedClaim:
    """What was typed from a receipt's face."""

    terminal_no: str
    trace_no: int
    verification_code: str


ReceiptClaim = QrClaim | TypedClaim


@dataclass(frozen=True, slots=True)
class ReceiptCoverage:
    """What a genuine receipt covers (the customer number masked)."""

    terminal_no: str
    collection_point: str
    account_masked: str
    cash: int
    status: ReceiptStatus
    offline: bool
    trace_no: int | None = None
    business_date: date | None = None
    cash_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReceiptVerdict:
    """Genuine or not; what it covers only when genuine."""

    genuine: bool
    coverage: ReceiptCoverage | None = None


def read_claim(
    *, qr: str = "", terminal_no: str = "", trace_no: str = "", code: str = ""
) -> ReceiptClaim:
    """The claim of a scanned QR text, or else of the three fields typed by hand.

    Raises :class:`~gridpos.application.console.errors.InvalidFormError` naming each wrong
    field: ``qr`` (``receipt_qr_invalid``), ``terminal_no``, ``trace_no``, ``code``
    (``field_required`` or ``field_malformed``).
    """
    check = FieldChecks()
    text = (qr or "").strip()
    if text:
        match = _QR.fullmatch(text) if len(text) <= QR_MAX_CHARS else None
        # groups: 1 terminal, 2 txn id (3-5 its parts), 6 customer number, 7 cash, 8 code
        if match is None or not match.group(2).startswith(match.group(1) + "-"):
            check.add(
                field_error(
                    "receipt_qr_invalid",
                    field="qr",
                    message_zh="不是本系统电费收据的二维码内容",
                    message_en="this is not the QR code of one of our receipts",
                )
            )
            raise InvalidFormError(check.errors)
        cash = int(match.group(7))
        if cash > MAX_AMOUNT_FEN:
            check.add(
                field_error(
                    "receipt_qr_invalid",
                    field="qr",
                    message_zh="二维码中的金额超出范围",
                    message_en="the amount in the QR code is out of range",
                )
            )
        check.done()
        return QrClaim(
            terminal_no=match.group(1),
            txn_id=match.group(2),
            account_no=match.group(6),
            cash=cash,
            verification_code=match.group(8),
        )
    terminal = _typed(check, terminal_no, _TERMINAL, "terminal_no", ("终端号", "terminal number"))
    trace = _typed(check, trace_no, _TRACE, "trace_no", ("流水号", "serial number"))
    typed_code = _typed(check, code, _CODE, "code", ("校验码", "verification code"))
    check.done()
    return TypedClaim(terminal_no=terminal, trace_no=int(trace), verification_code=typed_code)


def _typed(
    check: FieldChecks, value: str, pattern: re.Pattern[str], field: str, label: tuple[str, str]
) -> str:
    text = check.required(value, field=field, label_zh=label[0], label_en=label[1])
    if text and not pattern.fullmatch(text):
        hints = {
            "terminal_no": ("8 位数字", "8 digits"),
            "trace_no": ("1–10 位数字", "1 to 10 digits"),
            "code": ("8 位数字", "8 digits"),
        }[field]
        check.add(
            field_error(
                "field_malformed",
                field=field,
                message_zh=f"{label[0]}应为{hints[0]}",
                message_en=f"the {label[1]} is {hints[1]}",
            )
        )
    return text


def mask_account_no(account_no: str) -> str:
    """The customer number with all but its first two and last four digits hidden
    (``0100000001`` → ``01****0001``); a short one keeps only its last two."""
    if len(account_no) <= 6:
        return "*" * (len(account_no) - 2) + account_no[-2:]
    return account_no[:2] + "*" * (len(account_no) - 6) + account_no[-4:]


class ReceiptCheckLimiter:
    """How many checks are let through: at most ``per_client`` from one address and
    ``overall`` from all addresses within ``window``. Kept in this process (with several server
    processes each keeps its own count); at most ``max_clients`` addresses are remembered."""

    def __init__(
        self,
        *,
        per_client: int = 20,
        overall: int = 600,
        window: timedelta = timedelta(minutes=10),
        max_clients: int = 10_000,
    ) -> None:
        self.per_client = per_client
        self.overall = overall
        self.window = window
        self.max_clients = max_clients
        self._clients: dict[str, deque[datetime]] = {}
        self._all: deque[datetime] = deque()
        self._lock = threading.Lock()

    @property
    def remembered(self) -> int:
        """How many addresses are remembered now."""
        with self._lock:
            return len(self._clients)

    def admit(self, client: str, *, now: datetime) -> None:
        """Count one check from ``client``.

        Raises :class:`CheckRefusedError` (nothing counted) when the address or everyone has
        used up the window's checks.
        """
        since = now - self.window
        with self._lock:
            _drop_before(self._all, since)
            mine = self._clients.get(client)
            if mine is not None:
                _drop_before(mine, since)
            if len(self._all) >= self.overall or (
                mine is not None and len(mine) >= self.per_client
            ):
                wait = max(1, -(-int(self.window.total_seconds()) // 60))
                raise CheckRefusedError(
                    message_zh=f"查验次数过多，请 {wait} 分钟后再试",
                    message_en=f"too many checks: try again in {wait} minutes",
                    details={"client": client},
                )
            if mine is None:
                self._forget_some(since)
                mine = self._clients[client] = deque()
            mine.append(now)
            self._all.append(now)

    def _forget_some(self, since: datetime) -> None:
        if len(self._clients) < self.max_clients:
            return
        for key in [key for key, times in self._clients.items() if not times or times[-1] < since]:
            del self._clients[key]
        while len(self._clients) >= self.max_clients:
            del self._clients[next(iter(self._clients))]


def _drop_before(times: deque[datetime], since: datetime) -> None:
    while times and times[0] < since:
        times.popleft()


def check_receipt(
    services: ConsoleServices,
    limiter: ReceiptCheckLimiter,
    *,
    client: str,
    claim: ReceiptClaim,
) -> ReceiptVerdict:
    """Whether the receipt of ``claim`` is genuine, and what it covers.

    Raises :class:`CheckRefusedError` when ``client`` (or everyone) checked too often lately.
    """
    limiter.admit(client, now=services.clock.now())
    with services.reading() as uow:
        lookup = ReceiptLookup(uow.connection)
        terminal = lookup.terminal(claim.terminal_no)
        if terminal is None:
            return ReceiptVerdict(genuine=False)
        if isinstance(claim, TypedClaim):
            for payment in lookup.payments_with_trace(terminal.id, claim.trace_no):
                if _printed_code_matches(payment, claim.verification_code, terminal.key):
                    return _verdict_of(payment, terminal.terminal_no)
            return ReceiptVerdict(genuine=False)
        recorded = lookup.payment(terminal.id, claim.txn_id)
        if recorded is not None:
            same = recorded.account_no == claim.account_no and recorded.cash == claim.cash
            if same and _printed_code_matches(recorded, claim.verification_code, terminal.key):
                return _verdict_of(recorded, terminal.terminal_no)
            return ReceiptVerdict(genuine=False)
        if terminal.key is None or not receipt_code_matches(
            key=terminal.key,
            txn_id=claim.txn_id,
            account_no=claim.account_no,
            cash=claim.cash,
            code=claim.verification_code,
        ):
            return ReceiptVerdict(genuine=False)
        tombstone = lookup.tombstone(terminal.id, claim.txn_id)
    return ReceiptVerdict(
        genuine=True,
        coverage=ReceiptCoverage(
            terminal_no=terminal.terminal_no,
            collection_point=terminal.collection_point,
            account_masked=mask_account_no(claim.account_no),
            cash=claim.cash,
            status=ReceiptStatus.REVERSED if tombstone else ReceiptStatus.NOT_UPLOADED,
            offline=tombstone is None,
            trace_no=tombstone.trace_no if tombstone else None,
            business_date=tombstone.business_date if tombstone else None,
        ),
    )


def _printed_code_matches(payment: RecordedPayment, code: str, key: bytes | None) -> bool:
    if payment.verification_code is not None:
        return hmac.compare_digest(payment.verification_code.encode(), code.encode())
    return key is not None and receipt_code_matches(
        key=key,
        txn_id=payment.txn_id,
        account_no=payment.account_no,
        cash=payment.cash,
        code=code,
    )


_STATUS_OF_STATE = {
    "confirmed": ReceiptStatus.CONFIRMED,
    "reversed": ReceiptStatus.REVERSED,
    "voided": ReceiptStatus.VOIDED,
    "cancelled": ReceiptStatus.CANCELLED,
    "rejected": ReceiptStatus.REJECTED,
}


def _verdict_of(payment: RecordedPayment, terminal_no: str) -> ReceiptVerdict:
    return ReceiptVerdict(
        genuine=True,
        coverage=ReceiptCoverage(
            terminal_no=terminal_no,
            collection_point=payment.collection_point,
            account_masked=mask_account_no(payment.account_no),
            cash=payment.cash,
            status=_STATUS_OF_STATE.get(payment.state, ReceiptStatus.UNSETTLED),
            offline=payment.offline,
            trace_no=payment.trace_no,
            business_date=payment.business_date,
            cash_time=payment.cash_time,
        ),
    )
