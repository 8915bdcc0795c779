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

A terminal whose journal failed its hash-chain check adds a :class:`JournalDamage` report to the
heartbeat *request* (``jd``, about 60 bytes) — never to the header, which stays small and
unsigned: the report is evidence, so it travels in a signed body. Such a terminal sends a
heartbeat soon after it starts, and every later heartbeat and sign-in carries the report again.

The heartbeat answer and the sign-in answer carry the company's pending request for the
terminal's journal, if there is one (``jr``, :class:`JournalRequestNotice`): an older terminal
ignores the field, a newer one uploads that journal (:mod:`.journal_upload`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError
from gridpos.protocol.fields import (
    MAX_COUNT,
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
JournalSeq = Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]
"""A row of the terminal's journal, by its sequence number (1, 2, 3…)."""
RequestId = Annotated[int, Field(strict=True, ge=1, le=2**62)]
MAX_JOURNAL_DAYS = 31
"""A journal request (终端流水调阅) covers at most this many business dates, both ends included."""


class JournalDamageKind(StrEnum):
    """How the journal's hash chain fails at one place (the terminal's check names the same)."""

    ALTERED = "altered"  # a row no longer matches its own hash
    MISSING = "missing"  # a gap in the numbering: rows deleted
    LINK_BROKEN = "link_broken"  # a row does not follow the row before it
    TRUNCATED = "truncated"  # rows deleted at the end, behind the recorded head


class JournalDamage(WireRequest):
    """A damaged terminal journal: how many places of the hash chain fail, the first and last
    damaged rows, and the kinds of damage (each once). Bounded whatever the damage: four small
    numbers and at most four words. The rows themselves stay on the terminal, as found."""

    problems: Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)] = Field(alias="n")
    first_seq: JournalSeq = Field(alias="first")
    last_seq: JournalSeq = Field(alias="last")
    kinds: tuple[JournalDamageKind, ...] = Field(
        alias="k",
        min_length=1,
        max_length=len(JournalDamageKind),
        json_schema_extra={"uniqueItems": True},
    )

    @model_validator(mode="after")
    def _consistent(self) -> JournalDamage:
        if self.last_seq < self.first_seq:
            raise PydanticCustomError(
                "journal_damage_reversed",
                "the last damaged row comes before the first",
                {"field": "last", "zh": "最后一处损坏早于第一处"},
            )
        if len(set(self.kinds)) != len(self.kinds):
            raise PydanticCustomError(
                "journal_damage_kind_repeated",
                "each kind of damage is named once",
                {"field": "k", "zh": "损坏类型重复"},
            )
        return self


class Heartbeat(WireRequest):
    """The terminal's health: signal (dBm), battery (%), journal rows not yet answered, version,
    and — only when its journal failed the check — the damage report."""

    signal_dbm: SignalDbm | None = Field(default=None, alias="sig")
    battery_percent: BatteryPercent | None = Field(default=None, alias="bat")
    queue_depth: Count = Field(alias="q")
    version: ProgramVersion = Field(alias="ver")
    journal_damage: JournalDamage | None = Field(default=None, alias="jd")


class JournalRequestNotice(WireAnswer):
    """终端流水调阅: the company asks for the terminal's journal of these business dates (see
    :mod:`gridpos.protocol.terminal.journal_upload`)."""

    request_id: RequestId = Field(alias="id")
    date_from: WireDate = Field(alias="from")
    date_to: WireDate = Field(alias="to")


class HeartbeatAnswer(WireAnswer):
    """The server's time (to correct the terminal's clock), whether the terminal is signed in,
    and — when the company asked for the terminal's journal — the pending request (``jr``)."""

    server_time: UnixTime = Field(alias="now")
    signed_in: StrictBool = Field(default=False, alias="on")
    business_date: WireDate | None = Field(default=None, alias="bd")
    journal_request: JournalRequestNotice | None = Field(default=None, alias="jr")


def heartbeat_header(heartbeat: Heartbeat) -> str:
    """The heartbeat as the header value ``s=-71,b=83,q=0,v=1.4.2`` (absent parts left out; a
    journal-damage report never rides in the header, see the module's docstring)."""
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
    journal_request: JournalRequestNotice | None = Field(default=None, alias="jr")


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
