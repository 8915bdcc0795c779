"""终端流水调阅, the terminal's side of it: the pending request its heartbeat and sign-in answers
carry, and the upload of its journal in parts.

Each part is kept once (a part sent again is acknowledged, not kept twice); its rows go under the
batches they name, among the uploaded journal rows reconciliation reads as the terminal's side
(:class:`~gridpos.adapters.db.journal_requests.JournalRequestStore`). The last part closes the
request — ``fulfilled`` with the rows kept and those naming a batch the server never opened, or
``damaged`` when the terminal reports its journal failed its hash-chain check: the report is kept
and audited, the rows are not used (nothing is repaired) — and is audited as
``terminal.journal_uploaded``. A part sent again after the request closed is answered as complete.
"""

from __future__ import annotations

import json

from gridpos.adapters.db.journal_requests import JournalRequestStore, JournalRow
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import (
    SignedRequest,
    claim,
    journal_damage_details,
)
from gridpos.domain.audit import AuditAction
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.journal_upload import JournalUploadAnswer, JournalUploadRequest
from gridpos.protocol.terminal.session import JournalRequestNotice


def pending_notice(uow: SqlUnitOfWork, terminal_id: int) -> JournalRequestNotice | None:
    """The terminal's oldest pending journal request, as its next answer carries it."""
    pending = JournalRequestStore(uow.connection).pending_of(terminal_id)
    if pending is None:
        return None
    return JournalRequestNotice(
        request_id=pending.id, date_from=pending.date_from, date_to=pending.date_to
    )


def upload_journal(
    services: Services, signed: SignedRequest, request: JournalUploadRequest
) -> JournalUploadAnswer:
    """Keep one part of the journal asked for (see the module docstring).

    Raises :class:`RefusalError` ``invalid_field``: field ``id`` for a request this terminal was
    not asked, field ``bd`` for a row outside the request's dates; and the signing refusals.
    """
    terminal = signed.terminal
    now = services.clock.now()
    with services.writing() as uow:
        claim(uow, signed, services)
        store = JournalRequestStore(uow.connection)
        asked = store.by_id(request.request_id)
        if asked is None or asked.terminal_id != terminal.id:
            raise RefusalError(
                ErrorCode.INVALID_FIELD,
                field="id",
                details={"reason": "journal_request_unknown"},
                message_zh="没有向本终端调阅该流水",
                message_en="this terminal was not asked for that journal",
            )
        if asked.state != "pending":
            uow.commit()  # the counter
            return JournalUploadAnswer(
                request_id=asked.id,
                part=request.part,
                received=request.parts,
                complete=True,
                rows=asked.rows_kept or 0,
            )
        for item in request.items:
            if not asked.date_from <= item.business_date <= asked.date_to:
                raise RefusalError(
                    ErrorCode.INVALID_FIELD,
                    field="bd",
                    details={"reason": "journal_row_outside_request", "txn": item.txn_id},
                    message_zh="上送的流水不在调阅的日期范围内",
                    message_en="an uploaded row lies outside the dates asked for",
                )
        if asked.parts != request.parts:
            store.start_upload(asked.id, parts=request.parts)
        if not store.has_part(asked.id, request.part):
            kept = 0
            if request.journal_damage is None:
                kept = store.keep_rows(
                    asked.id,
                    terminal.id,
                    [
                        JournalRow(
                            txn_id=item.txn_id,
                            trace_no=item.trace_no,
                            account_no=item.account_no,
                            cash=item.cash,
                            state=item.state.value,
                            cash_time=item.cash_time,
                            offline=item.offline,
                            business_date=item.business_date,
                            batch_no=item.batch_no,
                        )
                        for item in request.items
                    ],
                )
            store.add_part(
                asked.id,
                part=request.part,
                parts=request.parts,
                rows_kept=kept,
                rows_unplaced=len(request.items) - kept if request.journal_damage is None else 0,
                now=now,
            )
        received, kept, unplaced = store.received(asked.id)
        complete = received >= request.parts
        if complete:
            damage = request.journal_damage
            details = journal_damage_details(damage) if damage is not None else None
            store.fulfil(
                asked.id,
                state="damaged" if damage is not None else "fulfilled",
                rows_kept=kept,
                rows_unplaced=unplaced,
                journal_damage=json.dumps(details, sort_keys=True, separators=(",", ":"))
                if details is not None
                else None,
                now=now,
            )
            uow.audit.append(
                occurred_at=now,
                actor=f"terminal:{terminal.terminal_no}",
                action=AuditAction.TERMINAL_JOURNAL_UPLOADED,
                subject=f"terminal:{terminal.terminal_no}",
                details={
                    "request": asked.id,
                    "date_from": asked.date_from.isoformat(),
                    "date_to": asked.date_to.isoformat(),
                    "parts": request.parts,
                    "rows_kept": kept,
                    "rows_unplaced": unplaced,
                    "journal_damage": details,
                },
            )
        uow.commit()
    return JournalUploadAnswer(
        request_id=asked.id,
        part=request.part,
        received=received,
        complete=complete,
        rows=kept,
    )
