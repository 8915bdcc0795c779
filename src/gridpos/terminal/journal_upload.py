"""终端流水调阅: upload the journal the company asked for, a part at a time.

The heartbeat's (or sign-in's) answer names a pending request (id and business dates); it is kept
in the journal file's meta table, so a restart continues it. The upload sends the journal's
payments of those dates — every state, with cash time, amount, the offline flag, trace number,
business date and batch — oldest first, in parts of at most 50, each part sent again when no
answer comes (bounded; the server keeps a part once). :func:`upload_next_part` sends one part, so
the caller can let the collector's work in between parts: the upload never holds the terminal for
longer than one exchange. Progress is kept after every answered part; a pass that stops without an
answer continues from the same part next time (from the first again if the journal of those dates
grew meanwhile, which changes the number of parts).

A journal that failed its hash-chain check when the terminal started is uploaded as it is, with
the damage report in every part: the server records it and keeps the rows out of the
reconciliation. Nothing here repairs the journal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import orjson

from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal.journal_upload import (
    MAX_JOURNAL_ITEMS,
    MAX_JOURNAL_PARTS,
    JournalItem,
    JournalUploadRequest,
)
from gridpos.protocol.terminal.routes import JOURNAL_UPLOAD
from gridpos.protocol.terminal.session import JournalRequestNotice
from gridpos.terminal.client import Answered, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.journal import TxnRecord

REQUEST_META = "journal_request"
UPLOAD_ATTEMPTS = 3
_LOG = logging.getLogger(__name__)


class UploadStep(StrEnum):
    """What one call of :func:`upload_next_part` came to."""

    NOTHING = "nothing"  # no request pending
    SENT = "sent"  # a part was kept; more follow
    DONE = "done"  # the last part was kept: the request is answered
    DROPPED = "dropped"  # the server does not know the request (or it cannot be sent): forgotten
    STOPPED = "stopped"  # no answer, or a refusal to try again later


@dataclass(frozen=True, slots=True)
class PendingJournalRequest:
    """The request being answered and how far the upload got."""

    request_id: int
    date_from: date
    date_to: date
    parts: int | None = None  # of the upload under way
    next_part: int = 1

    def dumps(self) -> str:
        return orjson.dumps(
            {
                "id": self.request_id,
                "from": self.date_from.isoformat(),
                "to": self.date_to.isoformat(),
                "parts": self.parts,
                "next": self.next_part,
            }
        ).decode("utf-8")

    @classmethod
    def loads(cls, text: str) -> PendingJournalRequest:
        data = orjson.loads(text)
        return cls(
            request_id=int(data["id"]),
            date_from=date.fromisoformat(str(data["from"])),
            date_to=date.fromisoformat(str(data["to"])),
            parts=int(data["parts"]) if data.get("parts") is not None else None,
            next_part=int(data.get("next") or 1),
        )


def pending_request(context: TerminalContext) -> PendingJournalRequest | None:
    """The request being answered, or None."""
    text = context.journal.meta(REQUEST_META)
    return PendingJournalRequest.loads(text) if text else None


def note_request(context: TerminalContext, notice: JournalRequestNotice | None) -> None:
    """Keep the request an answer named (the upload of one already under way goes on)."""
    if notice is None:
        return
    current = pending_request(context)
    if current is not None and current.request_id == notice.request_id:
        return
    if current is not None:
        return  # one at a time: the server names the next once this one is answered
    request = PendingJournalRequest(
        request_id=notice.request_id, date_from=notice.date_from, date_to=notice.date_to
    )
    context.journal.set_meta(REQUEST_META, request.dumps())


def _item(record: TxnRecord) -> JournalItem:
    return JournalItem(
        txn_id=record.txn_id,
        trace_no=record.trace_no,
        account_no=record.account_no,
        cash=record.cash,
        state=WirePaymentState(record.state.value),
        cash_time=record.cash_time,
        offline=record.offline,
        business_date=record.business_date,
        batch_no=record.batch_no,
    )


def journal_items(context: TerminalContext, date_from: date, date_to: date) -> list[JournalItem]:
    """The journal's payments of those business dates, oldest first, as they go up."""
    records = context.journal.txns_between(date_from=date_from, date_to=date_to)
    return [_item(record) for record in sorted(records, key=lambda r: r.first_seq)]


def upload_next_part(context: TerminalContext) -> UploadStep:
    """Send the next part of the pending request's journal (see the module docstring).

    Raises:
        JournalUnwritableError: the progress could not be kept (the part is sent again).
    """
    request = pending_request(context)
    if request is None or context.identity is None:
        return UploadStep.NOTHING
    items = journal_items(context, request.date_from, request.date_to)
    parts = max(1, -(-len(items) // MAX_JOURNAL_ITEMS))
    if parts > MAX_JOURNAL_PARTS:
        _LOG.warning("journal request %s too large to upload", request.request_id)
        context.journal.set_meta(REQUEST_META, None)
        return UploadStep.DROPPED
    part = request.next_part if request.parts == parts else 1
    chunk = tuple(items[(part - 1) * MAX_JOURNAL_ITEMS : part * MAX_JOURNAL_ITEMS])
    message = JournalUploadRequest(
        request_id=request.request_id,
        part=part,
        parts=parts,
        items=chunk,
        journal_damage=context.journal_damage,
    )
    for _attempt in range(UPLOAD_ATTEMPTS):
        result = context.client.call(JOURNAL_UPLOAD, message)
        if isinstance(result, Answered):
            if result.answer.complete:
                context.journal.set_meta(REQUEST_META, None)
                return UploadStep.DONE
            progress = PendingJournalRequest(
                request_id=request.request_id,
                date_from=request.date_from,
                date_to=request.date_to,
                parts=parts,
                next_part=part + 1,
            )
            context.journal.set_meta(REQUEST_META, progress.dumps())
            return UploadStep.SENT
        if isinstance(result, Refused):
            if result.error.code == ErrorCode.INVALID_FIELD and result.error.field == "id":
                context.journal.set_meta(REQUEST_META, None)
                return UploadStep.DROPPED
            return UploadStep.STOPPED
    return UploadStep.STOPPED
