"""Terminal statistics, date-range reconciliation (对帐), batch close (扎帐) and upload (批上送).

Close compares the terminal's totals of its open batch with the server's: balanced closes the
batch (the collector's cash count and its difference kept with a note); not balanced leaves it
open until the detail is uploaded. The last part of the upload names every difference — missing
on the server (单边帐, terminal side), missing on the terminal, amount or state differs — records
them for reconciliation and closes the batch.
"""

from __future__ import annotations

from datetime import date

from gridpos.adapters.db.batch_store import UploadedItem
from gridpos.adapters.db.payment_store import Totals
from gridpos.adapters.db.payment_store.reports import DetailRecord
from gridpos.adapters.db.reconciliation.sets import SetFilter, day_totals
from gridpos.adapters.db.terminal_store import BatchRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest, claim
from gridpos.application.terminals.day import require_day
from gridpos.domain.audit import AuditAction
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal.batches import (
    BatchTotals,
    CloseBatchAnswer,
    CloseBatchRequest,
    DayTotals,
    DetailLine,
    Difference,
    DifferenceKind,
    ReconcileAnswer,
    ReconcileQuery,
    StatisticsAnswer,
    StatisticsQuery,
    UploadBatchAnswer,
    UploadBatchRequest,
)

# how a difference is kept in ``batch_differences``
_STORED_KIND = {
    DifferenceKind.MISSING_ON_SERVER: "terminal_only",
    DifferenceKind.MISSING_ON_TERMINAL: "server_only",
    DifferenceKind.AMOUNT_DIFFERS: "amount_mismatch",
    DifferenceKind.STATE_DIFFERS: "state_mismatch",
}
# terminal states in which the collector holds the customer's cash
_CASH_TAKEN = frozenset({"confirmed", "unknown", "pending"})


def wire_totals(totals: Totals) -> BatchTotals:
    """Totals as they travel."""
    return BatchTotals(
        count=totals.count,
        amount=totals.amount,
        undone_count=totals.undone_count,
        undone_amount=totals.undone_amount,
    )


def _detail_line(record: DetailRecord) -> DetailLine:
    return DetailLine(
        txn_id=record.txn_id,
        trace_no=record.trace_no,
        account_no=record.account_no,
        cash=record.cash,
        state=WirePaymentState(record.state),
        paid_at=record.paid_at,
        offline=record.offline,
    )


def statistics(
    services: Services, signed: SignedRequest, query: StatisticsQuery
) -> StatisticsAnswer:
    """终端统计: the float, today's totals and one page of today's payments.

    Raises :class:`RefusalError`: ``not_signed_in``, ``session_expired``, and the signing refusals.
    """
    terminal = signed.terminal
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now, collecting=False)
        totals = uow.payment_reports.totals(terminal.id, day.business_date)
        lines = uow.payment_reports.detail(
            terminal.id,
            day.business_date,
            offset=(query.page - 1) * query.limit,
            limit=query.limit + 1,
        )
        agent = uow.agents.agent_float(day.agent_id)
        uow.commit()
    more = len(lines) > query.limit
    return StatisticsAnswer(
        business_date=day.business_date,
        batch_no=day.batch.batch_no if day.batch is not None else None,
        float_available=agent.float_available,
        float_held=agent.float_held,
        totals=wire_totals(totals),
        lines=tuple(_detail_line(line) for line in lines[: query.limit]),
        page=query.page,
        next_page=query.page + 1 if more else None,
    )


def reconcile(services: Services, signed: SignedRequest, query: ReconcileQuery) -> ReconcileAnswer:
    """对帐: the server's totals of this terminal per business date over the range — the company
    side of the reconciliation engine (:func:`gridpos.adapters.db.reconciliation.sets.day_totals`:
    what stood at the end of each day, and what was undone by then).

    Raises the signing refusals.
    """
    terminal = signed.terminal
    with services.writing() as uow:
        claim(uow, signed, services)
        by_date = day_totals(
            uow.connection,
            SetFilter(
                date_from=query.date_from,
                date_to=query.date_to,
                mis_load_id=None,
                mis_at_day_end=True,
                terminal_id=terminal.id,
            ),
        )
        days = tuple(
            DayTotals(
                business_date=day,
                totals=wire_totals(totals),
                closed=uow.terminals.batch_closed_on(terminal.id, day),
            )
            for day, totals in by_date.items()
        )
        uow.commit()
    overall = Totals(
        count=sum(t.count for t in by_date.values()),
        amount=sum(t.amount for t in by_date.values()),
        undone_count=sum(t.undone_count for t in by_date.values()),
        undone_amount=sum(t.undone_amount for t in by_date.values()),
    )
    return ReconcileAnswer(
        date_from=query.date_from, date_to=query.date_to, days=days, totals=wire_totals(overall)
    )


def _batch(uow: SqlUnitOfWork, terminal_id: int, business_date: date, batch_no: int) -> BatchRecord:
    batch = uow.batches.by_number(terminal_id, business_date, batch_no)
    if batch is None:
        raise RefusalError(ErrorCode.BATCH_MISMATCH, details={"batch": batch_no})
    if not batch.is_open:
        raise RefusalError(ErrorCode.BATCH_ALREADY_CLOSED, details={"batch": batch_no})
    return batch


def close_batch(
    services: Services, signed: SignedRequest, request: CloseBatchRequest
) -> CloseBatchAnswer:
    """扎帐: compare the terminal's totals with the server's; close the batch when they agree.

    Raises :class:`RefusalError`: ``batch_mismatch`` (no such batch today),
    ``batch_already_closed``,
    ``not_signed_in``, ``session_expired``, and the signing refusals.
    """
    terminal = signed.terminal
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now, collecting=False)
        batch = _batch(uow, terminal.id, day.business_date, request.batch_no)
        server = uow.payment_reports.totals(terminal.id, day.business_date, batch_no=batch.batch_no)
        told = request.totals
        mine = Totals(
            count=told.count,
            amount=told.amount,
            undone_count=told.undone_count,
            undone_amount=told.undone_amount,
        )
        balanced = mine == server
        uow.batches.record_totals(
            batch.id,
            terminal=mine,
            server=server,
            cash_counted=request.cash_counted,
            note=request.note,
        )
        if balanced:
            uow.batches.close(batch.id, balanced=True, now=now)
        uow.audit.append(
            occurred_at=now,
            actor=f"terminal:{terminal.terminal_no}",
            action=AuditAction.BATCH_CLOSE,
            subject=f"batch:{terminal.terminal_no}:{day.business_date.isoformat()}:{batch.batch_no}",
            details={
                "balanced": balanced,
                "terminal_count": mine.count,
                "terminal_amount": mine.amount,
                "server_count": server.count,
                "server_amount": server.amount,
                "cash_counted": request.cash_counted,
                "note": request.note,
            },
        )
        uow.commit()
    return CloseBatchAnswer(
        batch_no=batch.batch_no,
        business_date=day.business_date,
        balanced=balanced,
        server_totals=wire_totals(server),
        closed=balanced,
        expected_cash=server.amount,
    )


def upload_batch(
    services: Services, signed: SignedRequest, request: UploadBatchRequest
) -> UploadBatchAnswer:
    """批上送: keep one part of the batch's detail; on the last one, name every difference and
    close the batch. A part sent again is acknowledged and not kept twice.

    Raises :class:`RefusalError`: ``batch_mismatch``, ``batch_already_closed``, ``not_signed_in``,
    ``session_expired``, and the signing refusals.
    """
    terminal = signed.terminal
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now, collecting=False)
        repeat = _closed_by_this_upload(uow, terminal.id, day.business_date, request)
        if repeat is not None:
            # the last part sent again, its answer lost: the differences of the kept detail
            again = _differences(uow, terminal.id, repeat)
            received = uow.batches.parts_received(repeat.id)
            uow.commit()
            return UploadBatchAnswer(
                batch_no=repeat.batch_no,
                part=request.part,
                received=received,
                complete=True,
                differences=again,
                closed=True,
            )
        batch = _batch(uow, terminal.id, day.business_date, request.batch_no)
        if not uow.batches.has_part(batch.id, request.part):
            uow.batches.add_part(
                batch.id,
                part=request.part,
                parts=request.parts,
                items=[
                    UploadedItem(
                        txn_id=item.txn_id,
                        trace_no=item.trace_no,
                        account_no=item.account_no,
                        cash=item.cash,
                        state=item.state.value,
                        cash_time=item.cash_time,
                        offline=item.offline,
                    )
                    for item in request.items
                ],
                now=now,
            )
        received = uow.batches.parts_received(batch.id)
        complete = received >= request.parts
        differences: tuple[Difference, ...] = ()
        if complete:
            differences = _differences(uow, terminal.id, batch)
            for difference in differences:
                payment = uow.payments.find(terminal.id, difference.txn_id)
                uow.batches.add_difference(
                    batch.id,
                    kind=_STORED_KIND[difference.kind],
                    txn_id=difference.txn_id,
                    payment_id=payment.id if payment is not None else None,
                    terminal_amount=difference.terminal_cash,
                    server_amount=difference.server_cash,
                    note=difference.kind.value,
                )
            uow.batches.close(batch.id, balanced=not differences, now=now)
            uow.audit.append(
                occurred_at=now,
                actor=f"terminal:{terminal.terminal_no}",
                action=AuditAction.BATCH_UPLOAD,
                subject=f"batch:{terminal.terminal_no}:{day.business_date.isoformat()}:{batch.batch_no}",
                details={"differences": len(differences), "parts": request.parts},
            )
        uow.commit()
    return UploadBatchAnswer(
        batch_no=batch.batch_no,
        part=request.part,
        received=received,
        complete=complete,
        differences=differences,
        closed=complete,
    )


def _closed_by_this_upload(
    uow: SqlUnitOfWork, terminal_id: int, business_date: date, request: UploadBatchRequest
) -> BatchRecord | None:
    """The batch, when it is closed and ``request`` is its last part, already received (a resend
    whose first answer was lost); otherwise None."""
    batch = uow.batches.by_number(terminal_id, business_date, request.batch_no)
    if batch is None or batch.is_open or request.part != request.parts:
        return None
    if not uow.batches.has_part(batch.id, request.part):
        return None
    return batch


def _differences(
    uow: SqlUnitOfWork, terminal_id: int, batch: BatchRecord
) -> tuple[Difference, ...]:
    """Every difference between the uploaded detail and the server's payments of the batch."""
    server = {
        record.txn_id: record
        for record in uow.payment_reports.batch_payments(
            terminal_id, batch.business_date, batch.batch_no
        )
    }
    found: list[Difference] = []
    seen: set[str] = set()
    for item in uow.batches.items(batch.id):
        seen.add(item.txn_id)
        record = server.get(item.txn_id)
        if record is None:
            payment = uow.payments.find(terminal_id, item.txn_id)
            if payment is None:
                if item.state in _CASH_TAKEN:
                    found.append(
                        Difference(
                            kind=DifferenceKind.MISSING_ON_SERVER,
                            txn_id=item.txn_id,
                            trace_no=item.trace_no,
                            terminal_cash=item.cash,
                            terminal_state=WirePaymentState(item.state),
                        )
                    )
                continue
            record = DetailRecord(
                id=payment.id,
                txn_id=payment.txn_id,
                trace_no=payment.trace_no,
                account_no=item.account_no,
                cash=payment.cash,
                state=payment.state,
                offline=payment.offline,
                paid_at=payment.recorded_at,
            )
        if record.cash != item.cash:
            kind = DifferenceKind.AMOUNT_DIFFERS
        elif record.state != item.state:
            kind = DifferenceKind.STATE_DIFFERS
        else:
            continue
        found.append(
            Difference(
                kind=kind,
                txn_id=item.txn_id,
                trace_no=record.trace_no,
                terminal_cash=item.cash,
                server_cash=record.cash,
                terminal_state=WirePaymentState(item.state),
                server_state=WirePaymentState(record.state),
            )
        )
    for txn_id, record in server.items():
        if txn_id not in seen:
            found.append(
                Difference(
                    kind=DifferenceKind.MISSING_ON_TERMINAL,
                    txn_id=txn_id,
                    trace_no=record.trace_no,
                    server_cash=record.cash,
                    server_state=WirePaymentState(record.state),
                )
            )
    return tuple(found)
