"""Field types of the wire: money in fen, dates, times, identifiers and the wire enums.

Each type refuses bad input with its own pydantic error type and a Chinese message in the error's
context (``ctx["zh"]``), which :mod:`gridpos.protocol.codec` turns into a named refusal:

- money (:data:`Fen`, :data:`PositiveFen`, :data:`TotalFen`, :data:`SignedFen`,
  :data:`RoundUpFen`): an ``int`` and nothing else — a float (even ``100.0``), a bool or a string
  is refused as ``amount_invalid``, and so are zero where a payment needs money, negatives and
  values past a ceiling. The refusal's ``reason`` is ``not_integer``, ``zero``, ``negative`` or
  ``too_large``;
- business dates (:data:`WireDate`) travel as ``"YYYYMMDD"``, billing months (:data:`Period`) as
  ``"YYYYMM"``, instants (:data:`UnixTime`) as integer unix seconds and are read back as aware UTC
  datetimes;
- identifiers: customer number (:data:`AccountNo`, 6–16 digits), terminal number
  (:data:`TerminalNo`, 8 digits), transaction id (:data:`TxnId`, see
  :func:`gridpos.protocol.terminal.payments.make_txn_id`), trace number (:data:`TraceNo`,
  1–999999).

The wire enums (:class:`WireCategory`, :class:`WirePaymentState`) use the same strings as the
domain's enums so the server maps them with a plain constructor call; the protocol never imports
the domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

MAX_AMOUNT_FEN = 99_999_999
"""Ceiling of one amount in a payment (999,999.99 yuan): past it, a typing slip, not a bill."""
MAX_TOTAL_FEN = 999_999_999_999
"""Ceiling of totals and balances (a float, a day's takings, a reconciliation range)."""
MAX_ROUND_UP_FEN = 99
"""The 角/分 part of a yuan: the most a round-up or a rounding credit can be."""
MAX_COUNT = 999_999_999

_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_EARLIEST_S = int(_EARLIEST.timestamp())
_LATEST_S = int(_LATEST.timestamp())


def _refuse(
    error_type: str, message_en: str, message_zh: str, **context: Any
) -> PydanticCustomError:
    return PydanticCustomError(error_type, message_en, {**context, "zh": message_zh})


# ---- money ----------------------------------------------------------------------------------


def _money_validator(*, minimum: int, maximum: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        # bool is a subclass of int; a float that happens to be whole is still a float on the wire
        if type(value) is not int:
            raise _refuse(
                "amount_invalid",
                "amount must be a whole number of fen (an integer), not {kind}",
                "金额必须是以分为单位的整数",
                reason="not_integer",
                kind=type(value).__name__,
            )
        if value == 0 and minimum > 0:
            raise _refuse(
                "amount_invalid", "amount must not be zero", "金额不能为零", reason="zero"
            )
        if value < minimum:
            raise _refuse(
                "amount_invalid",
                "amount must not be below {minimum} fen",
                "金额不能为负数" if minimum >= 0 else "金额超出下限",
                reason="negative" if minimum >= 0 else "too_small",
                minimum=minimum,
            )
        if value > maximum:
            raise _refuse(
                "amount_invalid",
                "amount must not exceed {maximum} fen",
                f"金额不能超过 {maximum} 分",
                reason="too_large",
                maximum=maximum,
            )
        return value

    return check


def _money_schema(*, minimum: int, maximum: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum})


Fen = Annotated[
    int,
    PlainValidator(_money_validator(minimum=0, maximum=MAX_AMOUNT_FEN)),
    _money_schema(minimum=0, maximum=MAX_AMOUNT_FEN),
]
"""An amount of one payment or one bill, zero allowed (penalty, principal, amount due)."""
PositiveFen = Annotated[
    int,
    PlainValidator(_money_validator(minimum=1, maximum=MAX_AMOUNT_FEN)),
    _money_schema(minimum=1, maximum=MAX_AMOUNT_FEN),
]
"""Cash handed over: at least one fen."""
TotalFen = Annotated[
    int,
    PlainValidator(_money_validator(minimum=0, maximum=MAX_TOTAL_FEN)),
    _money_schema(minimum=0, maximum=MAX_TOTAL_FEN),
]
"""A balance or a total: float, hold, a day's amount."""
SignedFen = Annotated[
    int,
    PlainValidator(_money_validator(minimum=-MAX_TOTAL_FEN, maximum=MAX_TOTAL_FEN)),
    _money_schema(minimum=-MAX_TOTAL_FEN, maximum=MAX_TOTAL_FEN),
]
"""A difference that may go either way."""
RoundUpFen = Annotated[
    int,
    PlainValidator(_money_validator(minimum=0, maximum=MAX_ROUND_UP_FEN)),
    _money_schema(minimum=0, maximum=MAX_ROUND_UP_FEN),
]
"""A round-up or a rounding credit (调尾): under one yuan."""


# ---- counts and small numbers -----------------------------------------------------------------

Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
"""A number of things (payments, kWh, queued journal rows)."""
TraceNo = Annotated[int, Field(strict=True, ge=1, le=999_999)]
"""流水号: the terminal's six-digit serial, printed zero-padded on the receipt."""
BatchNo = Annotated[int, Field(strict=True, ge=1, le=999_999)]
"""批次号: the batch a sign-in opens and 扎帐 closes."""


# ---- text and identifiers ---------------------------------------------------------------------


def _pattern_validator(
    pattern: str, *, error_type: str, message_en: str, message_zh: str
) -> Callable[[object], str]:
    compiled = re.compile(pattern)

    def check(value: object) -> str:
        if not isinstance(value, str) or compiled.fullmatch(value) is None:
            raise _refuse(error_type, message_en, message_zh)
        return value

    return check


def _pattern_schema(pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": f"^{pattern}$"})


ACCOUNT_NO_PATTERN = r"[0-9]{6,16}"
TERMINAL_NO_PATTERN = r"[0-9]{8}"
TXN_ID_PATTERN = r"([0-9]{8})-([0-9]{1,10})-([0-9a-f]{8})"
VERIFICATION_CODE_PATTERN = r"[0-9]{8}"

AccountNo = Annotated[
    str,
    PlainValidator(
        _pattern_validator(
            ACCOUNT_NO_PATTERN,
            error_type="account_no_invalid",
            message_en="customer number must be 6 to 16 digits",
            message_zh="户号应为6至16位数字",
        )
    ),
    _pattern_schema(ACCOUNT_NO_PATTERN),
]
"""户号: the customer number, 6 to 16 digits."""
TerminalNo = Annotated[
    str,
    PlainValidator(
        _pattern_validator(
            TERMINAL_NO_PATTERN,
            error_type="terminal_no_invalid",
            message_en="terminal number must be 8 digits",
            message_zh="终端号应为8位数字",
        )
    ),
    _pattern_schema(TERMINAL_NO_PATTERN),
]
"""终端号: eight digits, given at enrolment."""
TxnId = Annotated[
    str,
    PlainValidator(
        _pattern_validator(
            TXN_ID_PATTERN,
            error_type="txn_id_invalid",
            message_en="transaction id must read <terminal no>-<serial>-<8 hex digits>",
            message_zh="交易号格式应为「终端号-序号-8位十六进制」",
        )
    ),
    _pattern_schema(TXN_ID_PATTERN),
]
"""The terminal-chosen id of a payment (see ``make_txn_id``)."""
VerificationCode = Annotated[
    str,
    PlainValidator(
        _pattern_validator(
            VERIFICATION_CODE_PATTERN,
            error_type="verification_code_invalid",
            message_en="verification code must be 8 digits",
            message_zh="校验码应为8位数字",
        )
    ),
    _pattern_schema(VERIFICATION_CODE_PATTERN),
]
"""The receipt's verification code (see ``receipt_code``)."""
Code = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9A-Za-z_.-]{1,32}$")]
"""A short code typed on a keypad or chosen by the console: account, organisation, area."""
Name = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)]
"""A printed name: company, station, collection point, customer, operator."""
Address = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128)]
Secret = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)]
"""A password as typed; it travels only inside TLS and is never logged."""
ProgramVersion = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9A-Za-z.+-]{1,16}$")]


# ---- dates and times --------------------------------------------------------------------------

_DATE_RE = re.compile(r"[0-9]{8}")
_PERIOD_RE = re.compile(r"[0-9]{6}")


def _read_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            parsed = datetime.strptime(value, "%Y%m%d").replace(tzinfo=UTC).date()
        except ValueError:
            pass
        else:
            if 2000 <= parsed.year < 2100:
                return parsed
    raise _refuse(
        "date_invalid",
        "date must be a calendar date written YYYYMMDD",
        "日期格式应为YYYYMMDD，且为有效日期",
    )


def _write_date(value: date) -> str:
    return value.strftime("%Y%m%d")


WireDate = Annotated[
    date,
    PlainValidator(_read_date),
    PlainSerializer(_write_date, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{8}$"}),
]
"""A business date (清算日期) or a due date: ``"20240615"`` on the wire, :class:`date` in code."""


def _read_period(value: object) -> str:
    if isinstance(value, str) and _PERIOD_RE.fullmatch(value):
        year, month = int(value[:4]), int(value[4:])
        if 2000 <= year < 2100 and 1 <= month <= 12:
            return value
    raise _refuse(
        "period_invalid",
        "billing month must be written YYYYMM",
        "电费年月格式应为YYYYMM",
    )


Period = Annotated[
    str,
    PlainValidator(_read_period),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{6}$"}),
]
"""电费年月: ``"202405"``."""


def _read_unix_time(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _refuse("time_invalid", "time must carry a timezone", "时间必须带时区")
        value = value.astimezone(UTC).replace(microsecond=0)
        if _EARLIEST <= value < _LATEST:
            return value
    elif type(value) is int and _EARLIEST_S <= value < _LATEST_S:
        return datetime.fromtimestamp(value, tz=UTC)
    raise _refuse(
        "time_invalid",
        "time must be whole unix seconds between 2000 and 2100",
        "时间应为2000至2100年之间的Unix秒数（整数）",
    )


def _write_unix_time(value: datetime) -> int:
    return int(value.timestamp())


UnixTime = Annotated[
    datetime,
    PlainValidator(_read_unix_time),
    PlainSerializer(_write_unix_time, return_type=int, when_used="json"),
    WithJsonSchema({"type": "integer", "minimum": _EARLIEST_S, "maximum": _LATEST_S - 1}),
]
"""An instant: integer unix seconds on the wire, an aware UTC :class:`datetime` in code."""


# ---- wire enums -------------------------------------------------------------------------------


class WireCategory(StrEnum):
    """用电类别 as it travels; the same strings as the domain's ``CustomerCategory``."""

    RESIDENTIAL = "residential"
    SHARED_METER = "shared_meter"
    SUBSIDISED = "subsidised"
    NON_RESIDENTIAL = "non_residential"


class WirePaymentState(StrEnum):
    """A payment's state as it travels; the same strings as the domain's ``PaymentState``."""

    PENDING = "pending"
    UNKNOWN = "unknown"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    REVERSED = "reversed"
    VOIDED = "voided"
    CANCELLED = "cancelled"


# ---- parameters of a GET ---------------------------------------------------------------------


def _int_from_digits(value: object) -> object:
    # path and query parameters arrive as strings; only plain ASCII digits become a number
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    return value


FromDigits = BeforeValidator(_int_from_digits)
"""Marks an ``int`` parameter of a ``GET`` that arrives as a string of digits."""
