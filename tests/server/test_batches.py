"""Statistics, reconciliation, batch close (扎帐) and upload (批上送) with named differences."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gridpos.adapters.db.tables import batch_differences, batches
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.batches import (
    BatchItem,
    BatchTotals,
    CloseBatchRequest,
    ReconcileQuery,
    StatisticsQuery,
    UploadBatchRequest,
)
from gridpos.protocol.terminal.payments import ReprintQuery, ReverseRequest

from .helpers import payment, sign_in
from .support import DAY, FLOAT, START, County


def test_statistics_reprint_and_reconciliation(county: County) -> None:
    client = county.client()
    sign_in(client)
    first = payment(client, "0100000001", 17100, 17100, trace_no=1)
    second = payment(client, "0100000003", 500, 0, trace_no=2)
    third = payment(client, "0100000003", 700, 0, trace_no=3)
    for request in (first, second, third):
        client.ok(routes.PAY, request)
    client.ok(
        routes.REVERSE,
        ReverseRequest(
            txn_id=second.txn_id, trace_no=2, business_date=DAY, cash=500, reversal_trace_no=4
        ),
    )
    stats = client.ok(routes.STATISTICS, StatisticsQuery(page=1, limit=2))
    assert (stats.totals.count, stats.totals.amount) == (2, 17800)
    assert (stats.totals.undone_count, stats.totals.undone_amount) == (1, 500)
    assert stats.float_available == FLOAT - 17800
    assert [line.txn_id for line in stats.lines] == [first.txn_id, second.txn_id]
    assert stats.next_page == 2
    page2 = client.ok(routes.STATISTICS, StatisticsQuery(page=2, limit=2))
    assert [line.txn_id for line in page2.lines] == [third.txn_id]
    assert page2.next_page is None
    reprint = client.ok(routes.REPRINT, ReprintQuery(limit=5))
    assert [r.txn_id for r in reprint.receipts] == [third.txn_id, first.txn_id]
    assert client.ok(routes.REPRINT, ReprintQuery(trace_no=1)).receipts[0].cash == 17100
    reconciled = client.ok(
        routes.RECONCILE, ReconcileQuery(date_from=date(2024, 4, 25), date_to=DAY)
    )
    assert [(d.business_date, d.totals.amount, d.closed) for d in reconciled.days] == [
        (DAY, 17800, False)
    ]
    assert reconciled.totals.count == 2
    county.verify()


def test_a_balanced_close_closes_the_batch_and_keeps_the_cash_count(county: County) -> None:
    client = county.client()
    sign_in(client)
    client.ok(routes.PAY, payment(client, "0100000003", 1000, 0))
    answer = client.ok(
        routes.CLOSE_BATCH,
        CloseBatchRequest(
            batch_no=1, totals=BatchTotals(count=1, amount=1000), cash_counted=990, note="少一角"
        ),
    )
    assert (answer.balanced, answer.closed, answer.expected_cash) == (True, True, 1000)
    with county.services.engine.connect() as conn:
        row = conn.execute(select(batches)).one()
    assert (row.state, row.cash_counted, row.cash_difference, row.note) == (
        "balanced",
        990,
        -10,
        "少一角",
    )
    refused = client.refused(routes.PAY, payment(client, "0100000003", 1000, 0))
    assert refused["code"] == "business_day_closed"
    again = client.refused(routes.CLOSE_BATCH, CloseBatchRequest(batch_no=1, totals=BatchTotals()))
    assert again["code"] == "batch_already_closed"
    # sign in again: a new batch of the same day
    assert sign_in(client).batch_no == 2
    county.verify()


def test_an_unbalanced_close_is_settled_by_the_upload_naming_every_difference(
    county: County,
) -> None:
    client = county.client()
    sign_in(client)
    kept = payment(client, "0100000003", 1000, 0, trace_no=1)
    other = payment(client, "0100000003", 2000, 0, trace_no=2)
    client.ok(routes.PAY, kept)
    client.ok(routes.PAY, other)
    answer = client.ok(
        routes.CLOSE_BATCH, CloseBatchRequest(batch_no=1, totals=BatchTotals(count=2, amount=3500))
    )
    assert (answer.balanced, answer.closed) == (False, False)
    assert answer.server_totals.amount == 3000

    def item(txn: str, trace: int, cash: int, state: str = "confirmed") -> BatchItem:
        return BatchItem(
            txn_id=txn,
            trace_no=trace,
            account_no="0100000003",
            cash=cash,
            state=WirePaymentState(state),
            cash_time=START,
        )

    lost = client.txn_id()
    part1 = UploadBatchRequest(batch_no=1, part=1, parts=2, items=(item(kept.txn_id, 1, 1000),))
    part2 = UploadBatchRequest(
        batch_no=1,
        part=2,
        parts=2,
        items=(item(lost, 3, 500), item(client.txn_id(), 4, 800, "rejected")),
    )
    first = client.ok(routes.UPLOAD_BATCH, part1)
    assert (first.received, first.complete) == (1, False)
    assert client.ok(routes.UPLOAD_BATCH, part1).received == 1  # a part sent twice counts once
    last = client.ok(routes.UPLOAD_BATCH, part2)
    assert (last.complete, last.closed) == (True, True)
    assert sorted((d.kind.value, d.txn_id) for d in last.differences) == sorted(
        [("missing_on_server", lost), ("missing_on_terminal", other.txn_id)]
    )
    # the last part sent again (its answer lost): the same differences, nothing kept twice
    again = client.ok(routes.UPLOAD_BATCH, part2)
    assert (again.complete, again.closed, again.differences) == (True, True, last.differences)
    # any other part of a closed batch is refused
    assert client.refused(routes.UPLOAD_BATCH, part1)["code"] == "batch_already_closed"
    with county.services.engine.connect() as conn:
        kinds = sorted(conn.execute(select(batch_differences.c.kind)).scalars())
        state = conn.execute(select(batches.c.state)).scalar_one()
    assert kinds == ["server_only", "terminal_only"]
    assert state == "unbalanced"
    county.verify()


def test_a_payment_reversed_before_it_arrived_is_in_neither_total(county: County) -> None:
    """10.00 stands; 20.00 paid then reversed is undone; 7.00 whose reversal came first (a
    tombstone) never moved money: the terminal's totals without it close the batch balanced."""
    client = county.client()
    sign_in(client)
    kept = payment(client, "0100000003", 1000, 0, trace_no=1)
    never = payment(client, "0100000003", 700, 0, trace_no=2)
    undone = payment(client, "0100000003", 2000, 0, trace_no=3)
    client.ok(routes.PAY, kept)
    client.ok(routes.PAY, undone)
    for request, reversal_trace in ((never, 4), (undone, 5)):
        answer = client.ok(
            routes.REVERSE,
            ReverseRequest(
                txn_id=request.txn_id,
                trace_no=request.trace_no,
                business_date=DAY,
                cash=request.cash,
                reversal_trace_no=reversal_trace,
            ),
        )
        assert answer.tombstone is (request is never)
    expected = BatchTotals(count=1, amount=1000, undone_count=1, undone_amount=2000)
    assert client.ok(routes.STATISTICS, StatisticsQuery(page=1)).totals == expected
    answer = client.ok(routes.CLOSE_BATCH, CloseBatchRequest(batch_no=1, totals=expected))
    assert (answer.balanced, answer.closed) == (True, True)
    assert answer.server_totals == expected
    county.verify()
