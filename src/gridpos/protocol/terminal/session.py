"""The collector's session: sign-in (签到), sign-out (签退) and the heartbeat.

Sign-in opens the terminal's business day: the collector gives agent account, password and
organisation code (each wrong one refused with its own code: ``agent_account_unknown``,
``password_wrong``, ``organisation_wrong``; ``operator_locked`` after repeated failures). The
answer carries the business date, the batch number, the parameters, the float and — if asked —
the offline allowance the server held from the float. Sign-out releases what is left of the hold.

The heartbeat (signal, battery, journal queue depth, program version) is its own request and also
rides on ordinary requests in the :data:`HEARTBEAT_HEADER` (``s=-71,b=83,q=0,v=1.4.2``). The header
is telemetry and is not signed: a server logs and ignores a malformed one rather than refuse the
request it came with.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError
from gridpos.protocol.fields import (
    BatchNo,
    Code,
    Count,
    Name,
    ProgramVersion,
    Secret,
    TotalFen,
    UnixTime,
    WireDate,
)
from gridpos.protocol.messages import WireAnswer, WireRequest

HEARTBEAT_HEADER = "X-GP-H"

SignalDbm = Annotated[int, Field(strict=True, ge=-140, le=0)]
BatteryPercent = Annotated[int, Field(strict=True, ge=0, le=100)]
Seconds = Annotated[int, Field(strict=True, ge=1, le=86_400)]


class Heartbeat(WireRequest):
    """The terminal's health: signal (dBm), battery (%), journal rows not yet answered, version."""

    signal_dbm: SignalDbm | None = Field(default=None, alias="sig")
    battery_percent: BatteryPercent | None = Field(default=None, alias="bat")
    queue_depth: Count = Field(alias="q")
    version: ProgramVersion = Field(alias="ver")


class HeartbeatAnswer(WireAnswer):
    """The server's time (to correct the terminal's clock) and whether the terminal is signed in."""

    server_time: UnixTime = Field(alias="now")
    signed_in: StrictBool = Field(default=False, alias="on")
    business_date: WireDate | None = Field(default=None, alias="bd")


def heartbeat_header(heartbeat: Heartbeat) -> str:
    """The heartbeat as the header value ``s=-71,b=83,q=0,v=1.4.2`` (absent parts left out)."""
    parts: list[str] = []
    if heartbeat.signal_dbm is not None:
        parts.append(f"s={heartbeat.signal_dbm}")
    if heartbeat.battery_percent is not None:
        parts.append(f"b={heartbeat.battery_percent}")
    parts.append(f"q={heartbeat.queue_depth}")
    parts.append(f"v={heartbeat.version}")
    return ",".join(parts)


_HEADER_KEYS = {"s": "sig", "b": "bat", "q": "q", "v": "ver"}
_INTEGER_KEYS = frozenset({"s", "b", "q"})


def read_heartbeat_header(value: str) -> Heartbeat:
    """The heartbeat a request carried in its :data:`HEARTBEAT_HEADER`.

    Raises:
        ProtocolError: ``invalid_field`` naming the header when it cannot be read.
    """
    data: dict[str, object] = {}
    for part in value.strip().split(","):
        key, sep, text = part.partition("=")
        wire = _HEADER_KEYS.get(key.strip())
        if not sep or wire is None or wire in data:
            raise _bad_header()
        text = text.strip()
        if key.strip() in _INTEGER_KEYS:
            digits = text[1:] if text.startswith("-") else text
            if not (digits.isascii() and digits.isdigit() and len(digits) <= 9):
                raise _bad_header()
            data[wire] = int(text)
        else:
            data[wire] = text
    try:
        return Heartbeat.model_validate(data, by_alias=True, by_name=False)
    except ValueError:
        raise _bad_header() from None


def _bad_header() -> ProtocolError:
    return ProtocolError.of(
        ErrorCode.INVALID_FIELD,
        field=HEARTBEAT_HEADER,
        message_zh="心跳信息格式错误",
        message_en="the heartbeat header cannot be read",
    )


class SignInRequest(WireRequest):
    """签到: agent account, password, organisation code; an offline allowance if wanted."""

    agent_account: Code = Field(alias="agent")
    password: Secret = Field(alias="pw")
    organisation_code: Code = Field(alias="org")
    offline_allowance: TotalFen = Field(default=0, alias="off")
    heartbeat: Heartbeat | None = Field(default=None, alias="hb")


class TerminalParams(WireAnswer):
    """What the terminal needs for the day: receipt header, limits, rules, timers."""

    company: Name = Field(alias="co")
    station: Name = Field(alias="stn")
    collection_point: Name = Field(alias="pt")
    hotline: str | None = Field(default=None, alias="tel", max_length=20)
    per_payment_limit: TotalFen = Field(alias="lim_pay")
    per_day_limit: TotalFen = Field(alias="lim_day")
    offline_per_payment_limit: TotalFen = Field(default=0, alias="off_pay")
    offline_per_day_limit: TotalFen = Field(default=0, alias="off_day")
    partial_allowed: StrictBool = Field(default=False, alias="partial")
    round_up_allowed: StrictBool = Field(default=True, alias="round")
    receipt_copies: Annotated[int, Field(strict=True, ge=1, le=2)] = Field(
        default=1, alias="copies"
    )
    heartbeat_s: Seconds = Field(default=300, alias="hb_s")
    timeout_s: Seconds = Field(default=30, alias="to_s")
    allowed_skew_s: Seconds = Field(default=300, alias="skew_s")


class SignInAnswer(WireAnswer):
    """The opened business day: date, batch, operator, parameters, float and offline allowance."""

    business_date: WireDate = Field(alias="bd")
    batch_no: BatchNo = Field(alias="batch")
    server_time: UnixTime = Field(alias="now")
    operator: Name = Field(alias="op")
    params: TerminalParams = Field(alias="par")
    float_available: TotalFen = Field(alias="fa")
    float_held: TotalFen = Field(default=0, alias="fh")
    offline_allowance: TotalFen = Field(default=0, alias="off")
    notices: tuple[ErrorBody, ...] = Field(default=(), alias="note")


class SignOutRequest(WireRequest):
    """签退: the batch being left, and how many offline payments still wait (should be none)."""

    batch_no: BatchNo = Field(alias="batch")
    offline_pending: Count = Field(default=0, alias="pend")


class SignOutAnswer(WireAnswer):
    """What sign-out released from the hold, and the float after it."""

    business_date: WireDate = Field(alias="bd")
    released: TotalFen = Field(default=0, alias="rel")
    float_available: TotalFen = Field(alias="fa")
    float_held: TotalFen = Field(default=0, alias="fh")
