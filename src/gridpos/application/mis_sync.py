"""Use case: keep the replica of the MIS's customers and receivables, incrementally by watermark.

The MIS numbers every change of a customer or a receivable (``change_seq``) and pages them out in
that order (``GET /changes?since=W``). The server keeps the last number it applied in
``sync_watermarks`` under :data:`SYNC_SOURCE`. Each page is applied in one transaction together
with the new watermark, so a crash between pages loses nothing and repeats nothing; applying a
page twice writes the same rows again (upserts), so a repeat is harmless anyway. Two syncs at once
(two workers) cannot both apply a page: the watermark row is locked and re-read in the page's
transaction, and a page whose ``since`` is no longer the watermark is dropped.

HTTP happens outside the transactions: the page (and any customer a receivable needs that has not
reached the replica yet — the MIS shows a customer at its latest change, which may come after its
receivables) is read first, then written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gridpos.adapters.db.tables import sync_watermarks
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient, MisRefusedError
from gridpos.application.mis_replica import (
    CustomerFields,
    ReceivableFields,
    local_account_nos,
    write_customers,
    write_receivables,
)
from gridpos.application.ports import Clock
from gridpos.protocol.mis import MAX_PAGE_SIZE, ChangesPage, CustomerRecord

SYNC_SOURCE: Final[str] = "mis.changes"
DEFAULT_PAGE_SIZE: Final[int] = 1_000


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """What one run of :func:`sync_from_mis` did."""

    pages: int = 0
    customers: int = 0  # customer rows written (inserted or updated)
    receivables: int = 0  # receivable rows written
    skipped: int = 0  # MIS receivables not copied (fully paid and never held)
    dropped_pages: int = 0  # pages another sync had applied first
    watermark: int = 0
    caught_up: bool = False  # the MIS had nothing more after the last page
    fetched_customers: int = 0  # customers read one by one (their receivables came first)

    @property
    def rows(self) -> int:
        return self.customers + self.receivables + self.skipped


def read_watermark(connection: Connection) -> int:
    """The last change number applied to the replica (0 before the first sync)."""
    value = connection.execute(
        select(sync_watermarks.c.watermark).where(sync_watermarks.c.source == SYNC_SOURCE)
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def sync_from_mis(
    engine: Engine,
    client: MisClient,
    *,
    clock: Clock,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_pages: int | None = None,
    timeout_s: float | None = None,
) -> SyncProgress:
    """Apply the MIS's changes after the watermark, page by page, until caught up or
    ``max_pages`` pages were applied.

    Raises :class:`~gridpos.adapters.mis.MisError` when the MIS cannot be read (pages applied
    before stay applied), :class:`~gridpos.application.mis_replica.ReplicaError`
    (``station_unknown``) when a customer's station has not been imported (that page is not
    applied), ``ValueError`` for a page size outside 1..5000.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"the page size must be 1 to {MAX_PAGE_SIZE}")
    progress = SyncProgress()
    with SqlUnitOfWork(engine, write=False) as uow:
        watermark = read_watermark(uow.connection)
    while max_pages is None or progress.pages + progress.dropped_pages < max_pages:
        page = client.changes(since=watermark, limit=page_size, timeout_s=timeout_s)
        extra = _customers_missing_for(engine, client, page, timeout_s=timeout_s)
        applied, watermark, counts = _apply_page(engine, page, extra, clock=clock)
        progress = SyncProgress(
            pages=progress.pages + applied,
            customers=progress.customers + counts[0],
            receivables=progress.receivables + counts[1],
            skipped=progress.skipped + counts[2],
            dropped_pages=progress.dropped_pages + (0 if applied else 1),
            watermark=watermark,
            caught_up=applied == 1 and not page.has_more,
            fetched_customers=progress.fetched_customers + len(extra),
        )
        if applied and (not page.has_more or page.next_watermark <= page.since):
            break  # caught up, or a page that moves nothing on (asking again would loop)
    return progress


def _customers_missing_for(
    engine: Engine, client: MisClient, page: ChangesPage, *, timeout_s: float | None
) -> list[CustomerRecord]:
    """Customers the page's receivables belong to that are neither in the page nor the replica,
    read one by one from the MIS (a customer the MIS no longer shows is left out, and so are its
    receivables)."""
    in_page = {customer.account_no for customer in page.customers}
    wanted = {r.account_no for r in page.receivables} - in_page
    if not wanted:
        return []
    with SqlUnitOfWork(engine, write=False) as uow:
        wanted -= local_account_nos(uow.connection, wanted)
    found: list[CustomerRecord] = []
    for account_no in sorted(wanted):
        try:
            found.append(client.customer(account_no, timeout_s=timeout_s))
        except MisRefusedError as exc:
            if exc.mis_code != "account_not_found":
                raise
    return found


def _apply_page(
    engine: Engine, page: ChangesPage, extra: list[CustomerRecord], *, clock: Clock
) -> tuple[int, int, tuple[int, int, int]]:
    """Write one page and its watermark in one transaction; (applied 0/1, watermark, counts)."""
    with SqlUnitOfWork(engine, write=True) as uow:
        connection = uow.connection
        now = clock.now()
        current = _lock_watermark(connection, now=now)
        if current != page.since:
            return 0, current, (0, 0, 0)  # another sync applied it (or more) first
        customer_counts = write_customers(
            connection, [_customer_fields(c) for c in [*extra, *page.customers]], now=now
        )
        receivable_counts = write_receivables(
            connection,
            [
                ReceivableFields(
                    account_no=r.account_no,
                    period=r.period,
                    run_no=r.run_no,
                    kwh=r.kwh,
                    principal=r.principal,
                    principal_paid=r.principal_paid,
                    due_date=r.due_date,
                )
                for r in page.receivables
            ],
            now=now,
        )
        connection.execute(
            update(sync_watermarks)
            .where(sync_watermarks.c.source == SYNC_SOURCE)
            .values(watermark=str(page.next_watermark), updated_at=now)
        )
        uow.commit()
    counts = (
        customer_counts.inserted + customer_counts.updated,
        receivable_counts.inserted + receivable_counts.updated,
        receivable_counts.skipped,
    )
    return 1, page.next_watermark, counts


def _lock_watermark(connection: Connection, *, now: datetime) -> int:
    """The watermark, its row created if missing and locked for the transaction."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(
        dialect.insert(sync_watermarks)
        .values(source=SYNC_SOURCE, watermark="0", updated_at=now)
        .on_conflict_do_nothing(index_elements=["source"])
    )
    value = connection.execute(
        select(sync_watermarks.c.watermark)
        .where(sync_watermarks.c.source == SYNC_SOURCE)
        .with_for_update()
    ).scalar_one()
    return int(value)


def _customer_fields(record: CustomerRecord) -> CustomerFields:
    return CustomerFields(
        account_no=record.account_no,
        name=record.name,
        address=record.address,
        category=record.category,
        station_code=record.station_code,
        segment=record.segment_code,
        status=record.status,
    )
