"""Change sequence numbers and the incremental change feed (watermark paging).

Every write that changes a customer or a receivable stamps it with a fresh number from the one
``counters`` row ``change_seq``, taken with ``UPDATE … RETURNING`` inside the writing transaction.
That row lock serialises writers, so numbers become visible in commit order: a reader never sees
number ``n`` committed while a smaller one is still to come, and a watermark never skips a row.
Numbers are unique per row (a block is reserved for a write touching many rows), so a page may end
anywhere without splitting a change.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update
from sqlalchemy.engine import RowMapping

from gridpos.protocol.mis import MAX_PAGE_SIZE, ChangesPage, CustomerRecord, ReceivableRecord
from gridpos.refmis.errors import refusal
from gridpos.refmis.tables import CHANGE_SEQ, POSTING_SERIAL, counters, customers, receivables


def reserve_counter(connection: Connection, *, name: str, count: int) -> int:
    """Reserve ``count`` consecutive numbers of counter ``name`` and return the first."""
    last = connection.execute(
        update(counters)
        .where(counters.c.name == name)
        .values(value=counters.c.value + count)
        .returning(counters.c.value)
    ).scalar_one()
    return int(last) - count + 1


def reserve_change_seqs(connection: Connection, count: int) -> int:
    """Reserve ``count`` change sequence numbers and return the first."""
    return reserve_counter(connection, name=CHANGE_SEQ, count=count)


def next_posting_number(connection: Connection) -> int:
    """The next posting number, the tail of the posting serial (进账流水号)."""
    return reserve_counter(connection, name=POSTING_SERIAL, count=1)


def customer_record(row: RowMapping) -> CustomerRecord:
    return CustomerRecord(
        account_no=row["account_no"],
        name=row["name"],
        address=row["address"],
        category=row["category"],
        station_code=row["station_code"],
        segment_code=row["segment_code"],
        meter_no=row["meter_no"],
        prepaid=row["prepaid"],
        rounding_credit=row["rounding_credit"],
        status=row["status"],
        change_seq=row["change_seq"],
    )


def receivable_record(row: RowMapping) -> ReceivableRecord:
    return ReceivableRecord(
        account_no=row["account_no"],
        period=row["period"],
        run_no=row["run_no"],
        kwh=row["kwh"],
        free_kwh=row["free_kwh"],
        year_kwh_before=row["year_kwh_before"],
        principal=row["principal"],
        principal_paid=row["principal_paid"],
        penalty_paid=row["penalty_paid"],
        due_date=row["due_date"],
        billed_on=row["billed_on"],
        settle_state=row["settle_state"],
        settled_on=row["settled_on"],
        change_seq=row["change_seq"],
    )


_CUSTOMER_COLUMNS = [column for column in customers.c if column.name not in {"base_kwh"}]


def read_changes(connection: Connection, *, since: int, limit: int) -> ChangesPage:
    """Customers and receivables with ``change_seq > since``, at most ``limit`` rows, in order.

    Run it in one snapshot (``read_transaction``). Raises :class:`MisError` ``watermark_invalid``
    or ``limit_invalid`` for a negative watermark or a limit outside 1..``MAX_PAGE_SIZE``.
    """
    if since < 0:
        raise refusal(
            "watermark_invalid", "since", "水位不能为负数", "the watermark cannot be negative"
        )
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise refusal(
            "limit_invalid",
            "limit",
            f"每页条数应在 1 至 {MAX_PAGE_SIZE} 之间",
            f"the page size must be 1 to {MAX_PAGE_SIZE}",
        )
    customer_rows = (
        connection.execute(
            select(*_CUSTOMER_COLUMNS)
            .where(customers.c.change_seq > since)
            .order_by(customers.c.change_seq)
            .limit(limit + 1)
        )
        .mappings()
        .all()
    )
    receivable_rows = (
        connection.execute(
            select(receivables)
            .where(receivables.c.change_seq > since)
            .order_by(receivables.c.change_seq)
            .limit(limit + 1)
        )
        .mappings()
        .all()
    )
    merged = sorted(
        [(row["change_seq"], "c", row) for row in customer_rows]
        + [(row["change_seq"], "r", row) for row in receivable_rows],
        key=lambda item: item[0],
    )
    page = merged[:limit]
    return ChangesPage(
        since=since,
        next_watermark=page[-1][0] if page else since,
        has_more=len(merged) > limit,
        customers=[customer_record(row) for _, kind, row in page if kind == "c"],
        receivables=[receivable_record(row) for _, kind, row in page if kind == "r"],
    )
