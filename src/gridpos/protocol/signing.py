"""Request signing of the terminal API: HMAC-SHA256 with the terminal's own key.

Every request after enrolment carries four short headers::

    X-GP-T: 34080017       terminal number
    X-GP-TS: 1718435412    unix seconds, terminal clock corrected by the server's time
    X-GP-N: 5821           counter, strictly increasing per terminal
    X-GP-S: <43 chars>     base64url HMAC-SHA256, no padding

The signature is HMAC-SHA256, under the terminal's 32-byte key, of the canonical string::

    GP1\\n<METHOD>\\n<target>\\n<terminal no>\\n<timestamp>\\n<counter>\\n<hex SHA-256 of the body>

``target`` is the request's path *with* its query string exactly as sent (build it with
:meth:`gridpos.protocol.terminal.routes.Route.target`, which only writes characters no client or
proxy rewrites); a ``GET`` hashes the empty body. The terminal number is signed too, so a signature
only ever stands for the terminal it names.

The server verifies in this order, so only a genuinely signed request learns about clocks and
counters: headers present and readable (else ``unsigned``) → the terminal is known and enabled
(the server's lookup, not here) → signature (``bad_signature``; compared in constant time) →
timestamp within the allowed skew either way (``stale_timestamp``; the refusal tells the server's
time so the terminal can correct its clock) → counter above the last one accepted
(``replayed_counter``; the refusal tells the last counter so a terminal restored from a backup can
jump ahead). Only after all that does the server store the new counter.

A terminal's key is made by the server (32 random bytes), handed over once in the enrolment
answer (:func:`encode_key`), and kept by the terminal. The same key makes the verification code
printed on receipts (:func:`receipt_code`), so the console can check any receipt — including one
printed offline — without the terminal ever having sent it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridpos.protocol.errors import ErrorBody, ErrorCode, error_body
from gridpos.protocol.fields import TERMINAL_NO_PATTERN

HEADER_TERMINAL = "X-GP-T"
HEADER_TIMESTAMP = "X-GP-TS"
HEADER_COUNTER = "X-GP-N"
HEADER_SIGNATURE = "X-GP-S"
SIGNED_HEADERS = (HEADER_TERMINAL, HEADER_TIMESTAMP, HEADER_COUNTER, HEADER_SIGNATURE)

KEY_BYTES = 32
DEFAULT_ALLOWED_SKEW_S = 300
"""Five minutes either way: GPRS stalls last tens of seconds, terminal clocks drift."""
MAX_COUNTER = 2**63 - 1

_SCHEME = b"GP1"
_RECEIPT_SCHEME = b"GPRC1"
_TERMINAL_RE = re.compile(TERMINAL_NO_PATTERN)
_DIGITS_RE = re.compile(r"[0-9]{1,19}")
_SIGNATURE_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unix_seconds(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the time must be timezone-aware")
    return int(moment.timestamp())


# ---- keys -------------------------------------------------------------------------------------


def encode_key(key: bytes) -> str:
    """The key as it travels in the enrolment answer: 43 base64url characters.

    Raises:
        ValueError: the key is not :data:`KEY_BYTES` long.
    """
    if len(key) != KEY_BYTES:
        raise ValueError(f"a terminal key is {KEY_BYTES} bytes, not {len(key)}")
    return _b64url(key)


def decode_key(text: str) -> bytes:
    """The key from its wire form.

    Raises:
        ValueError: ``text`` is not 43 base64url characters of a 32-byte key.
    """
    if _KEY_RE.fullmatch(text) is None:
        raise ValueError("a terminal key is 43 base64url characters")
    try:
        key = _unb64url(text)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a terminal key is 43 base64url characters") from exc
    if len(key) != KEY_BYTES or _b64url(key) != text:
        raise ValueError("a terminal key is 43 base64url characters")
    return key


# ---- the canonical string and the signature -----------------------------------------------------


def body_digest(body: bytes) -> str:
    """Hex SHA-256 of the body as sent (the empty body for a ``GET``)."""
    return hashlib.sha256(body).hexdigest()


def canonical_string(
    *, method: str, target: str, terminal_no: str, timestamp: int, counter: int, body: bytes
) -> bytes:
    """The exact bytes the signature covers (see the module's docstring)."""
    return b"\n".join(
        (
            _SCHEME,
            method.upper().encode("ascii"),
            target.encode("utf-8"),
            terminal_no.encode("ascii"),
            str(timestamp).encode("ascii"),
            str(counter).encode("ascii"),
            body_digest(body).encode("ascii"),
        )
    )


def _signature(key: bytes, canonical: bytes) -> str:
    return _b64url(hmac.new(key, canonical, hashlib.sha256).digest())


def sign_request(
    *,
    key: bytes,
    method: str,
    target: str,
    body: bytes,
    terminal_no: str,
    counter: int,
    now: datetime,
) -> dict[str, str]:
    """The four signing headers of one request.

    ``now`` is the terminal's clock corrected by the offset it learnt from the server; ``counter``
    is the terminal's next counter (persisted before sending).

    Raises:
        ValueError: a naive ``now``, a key of the wrong length, a malformed terminal number or a
            counter outside 1..2**63-1 (programming errors, not refusals).
    """
    if len(key) != KEY_BYTES:
        raise ValueError(f"a terminal key is {KEY_BYTES} bytes, not {len(key)}")
    if _TERMINAL_RE.fullmatch(terminal_no) is None:
        raise ValueError("a terminal number is 8 digits")
    if not 1 <= counter <= MAX_COUNTER:
        raise ValueError("the counter must be between 1 and 2**63-1")
    timestamp = _unix_seconds(now)
    canonical = canonical_string(
        method=method,
        target=target,
        terminal_no=terminal_no,
        timestamp=timestamp,
        counter=counter,
        body=body,
    )
    return {
        HEADER_TERMINAL: terminal_no,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_COUNTER: str(counter),
        HEADER_SIGNATURE: _signature(key, canonical),
    }


# ---- verification -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The signing headers of a request, read but not yet verified."""

    terminal_no: str
    timestamp: int
    counter: int
    signature: str


@dataclass(frozen=True, slots=True)
class SignatureRefusal:
    """Why a request's signing is refused: one of unsigned, stale, replayed, bad signature."""

    code: ErrorCode
    field: str
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def body(self) -> ErrorBody:
        """The error body to answer with."""
        return error_body(self.code, field=self.field, details=self.details)


def read_signed_headers(headers: Mapping[str, str]) -> SignedHeaders | SignatureRefusal:
    """The signing headers of a request (header names matched case-insensitively).

    Returns ``unsigned`` naming the first header that is missing or unreadable (a terminal number
    that is not 8 digits, a timestamp or counter that is not a number), and ``bad_signature`` for
    a signature that is not 43 base64url characters.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    values: dict[str, str] = {}
    for name in SIGNED_HEADERS:
        value = lowered.get(name.lower())
        if value is None or value == "":
            return SignatureRefusal(ErrorCode.UNSIGNED, name, {"reason": "missing"})
        values[name] = value.strip()
    terminal_no = values[HEADER_TERMINAL]
    if _TERMINAL_RE.fullmatch(terminal_no) is None:
        return SignatureRefusal(ErrorCode.UNSIGNED, HEADER_TERMINAL, {"reason": "malformed"})
    for name in (HEADER_TIMESTAMP, HEADER_COUNTER):
        if _DIGITS_RE.fullmatch(values[name]) is None or int(values[name]) > MAX_COUNTER:
            return SignatureRefusal(ErrorCode.UNSIGNED, name, {"reason": "malformed"})
    signature = values[HEADER_SIGNATURE]
    if _SIGNATURE_RE.fullmatch(signature) is None:
        return SignatureRefusal(ErrorCode.BAD_SIGNATURE, HEADER_SIGNATURE, {"reason": "malformed"})
    return SignedHeaders(
        terminal_no=terminal_no,
        timestamp=int(values[HEADER_TIMESTAMP]),
        counter=int(values[HEADER_COUNTER]),
        signature=signature,
    )


def verify_request(
    *,
    signed: SignedHeaders,
    key: bytes,
    method: str,
    target: str,
    body: bytes,
    now: datetime,
    last_counter: int | None,
    allowed_skew_s: int = DEFAULT_ALLOWED_SKEW_S,
) -> SignatureRefusal | None:
    """Which refusal applies to a signed request, or ``None`` when it is genuine, fresh and new.

    ``last_counter`` is the last counter accepted from this terminal (``None`` before its first
    request); on ``None`` the caller stores ``signed.counter`` as the new last counter.

    Raises:
        ValueError: a naive ``now`` (a programming error).
    """
    now_s = _unix_seconds(now)
    canonical = canonical_string(
        method=method,
        target=target,
        terminal_no=signed.terminal_no,
        timestamp=signed.timestamp,
        counter=signed.counter,
        body=body,
    )
    expected = _signature(key, canonical)
    if not hmac.compare_digest(expected.encode("ascii"), signed.signature.encode("ascii")):
        return SignatureRefusal(ErrorCode.BAD_SIGNATURE, HEADER_SIGNATURE)
    if abs(now_s - signed.timestamp) > allowed_skew_s:
        return SignatureRefusal(
            ErrorCode.STALE_TIMESTAMP,
            HEADER_TIMESTAMP,
            {"server_time": now_s, "skew": allowed_skew_s},
        )
    if last_counter is not None and signed.counter <= last_counter:
        return SignatureRefusal(ErrorCode.REPLAYED_COUNTER, HEADER_COUNTER, {"last": last_counter})
    return None


# ---- receipts -----------------------------------------------------------------------------------


def receipt_code(*, key: bytes, txn_id: str, account_no: str, cash: int) -> str:
    """The eight-digit verification code printed on a receipt (online or 脱机).

    HMAC-SHA256 under the terminal's key of the payment's id, customer number and cash, reduced to
    eight decimal digits; the server recomputes it to check an offline receipt.
    """
    message = b"\n".join(
        (_RECEIPT_SCHEME, txn_id.encode("ascii"), account_no.encode("ascii"), str(cash).encode())
    )
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 100_000_000:08d}"


def receipt_code_matches(*, key: bytes, txn_id: str, account_no: str, cash: int, code: str) -> bool:
    """Whether ``code`` is the verification code of this payment (constant-time comparison)."""
    expected = receipt_code(key=key, txn_id=txn_id, account_no=account_no, cash=cash)
    return hmac.compare_digest(expected.encode("ascii"), code.encode("ascii", "replace"))
