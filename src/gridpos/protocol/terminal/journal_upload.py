"""终端流水调阅: the journal the company asks a terminal for, over a range of business dates.

The host asks, the terminal answers when it next talks. The console (or the command line) keeps a
pending request; the next heartbeat answer — and sign-in answer — carries it as a
:class:`~gridpos.protocol.terminal.session.JournalRequestNotice` (``jr``: its id and the range,
about 40 bytes). A terminal of an older program ignores the field (answers ignore unknown
fields), so asking never breaks one.

The terminal then sends its journal's payments of that range — every state, with cash time,
amount, the offline flag, trace number, business date and batch — in parts of at most
:data:`MAX_JOURNAL_ITEMS` (:class:`JournalUploadRequest`), each sent again when no answer comes.
The server keeps each part once (a part sent again is acknowledged, not kept twice); the answer to
the last part says how many rows were kept and closes the request. A journal that failed its
hash-chain check says so in every part (``jd``, the same report the heartbeat carries): the server
records the damage and keeps its rows out of the reconciliation — they are never repaired.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, model_validator

from gridpos.protocol.fields import (
    AccountNo,
    BatchNo,
    Count,
    PositiveFen,
    TraceNo,
    TxnId,
    UnixTime,
    WireDate,
    WirePaymentState,
)
from gridpos.protocol.messages import WireAnswer, WireRequest
from gridpos.protocol.terminal.batches import check_part_within_parts
from gridpos.protocol.terminal.session import JournalDamage, RequestId

MAX_JOURNAL_ITEMS = 50
MAX_JOURNAL_PARTS = 1_000

JournalPartNo = Annotated[int, Field(strict=True, ge=1, le=MAX_JOURNAL_PARTS)]


class JournalItem(WireRequest):
    """One payment of the terminal's journal as it stands now."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    account_no: AccountNo = Field(alias="acct")
    cash: PositiveFen
    state: WirePaymentState = Field(alias="st")
    cash_time: UnixTime = Field(alias="at")
    offline: StrictBool = Field(default=False, alias="off")
    business_date: WireDate = Field(alias="bd")
    batch_no: BatchNo = Field(alias="batch")


class JournalUploadRequest(WireRequest):
    """One part of the journal asked for by request ``id``."""

    request_id: RequestId = Field(alias="id")
    part: JournalPartNo
    parts: JournalPartNo
    items: tuple[JournalItem, ...] = Field(default=(), max_length=MAX_JOURNAL_ITEMS)
    journal_damage: JournalDamage | None = Field(default=None, alias="jd")

    @model_validator(mode="after")
    def _part_within_parts(self) -> JournalUploadRequest:
        check_part_within_parts(self.part, self.parts)
        return self


class JournalUploadAnswer(WireAnswer):
    """Parts received so far; on the last, how many rows were kept and whether the request is
    closed (``done``)."""

    request_id: RequestId = Field(alias="id")
    part: JournalPartNo
    received: Count = Field(default=0, alias="rcvd")
    complete: StrictBool = Field(default=False, alias="done")
    rows: Count = Field(default=0, alias="rows")
