"""The outbox worker gets every payment and undo into the MIS exactly once, through outages,
timeouts, refusals and two workers at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from gridpos.adapters.db.tables import outbox, payments, receivables
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.outbox_delivery import (
    DeliveryReport,
    RequeueError,
    RetryPolicy,
    dead_rows,
    deliver_due,
    outbox_status,
    requeue_dead,
)
from gridpos.application.outbox_delivery.rows import Outcome, claim_due, record
from gridpos.domain.ledger import EventKind
from gridpos.refmis.tables import postings as mis_postings

from .collecting import collect, undo
from .conftest import County
from .county import add_customers, bill, post_elsewhere

DAY = date(2026, 4, 10)
A, B, C, D = "0100100001", "0100100002", "0200100001", "0200100002"
FAST = RetryPolicy(max_attempts=12, base=timedelta(seconds=1), cap=timedelta(seconds=8))


def _no_jitter() -> float:
    return 0.0


def _drain(county: County, *, policy: RetryPolicy = FAST, rounds: int = 20) -> DeliveryReport:
    """Deliver until nothing is due, moving the clock past every backoff; the last report."""
    report = DeliveryReport()
    for _ in range(rounds):
        county.mis.clock.moment += policy.cap  # past every backoff so far
        report = deliver_due(
            county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter, policy=policy
        )
        if report.claimed == 0:
            return report
    raise AssertionError(f"the outbox did not drain in {rounds} rounds: {report}")


def _outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(outbox).order_by(outbox.c.id))
        return [dict(row._mapping) for row in rows]


def _mis_states(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        return {
            int(row.id): row.mis_state
            for row in connection.execute(select(payments.c.id, payments.c.mis_state))
        }


def _audit_clean(engine: Engine) -> None:
    report = verify_database(SqlUnitOfWork(engine, write=False))
    assert report.ok, [b.describe() for b in report.breaks]


def _txn(engine: Engine, payment_id: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(payments.c.txn_id).where(payments.c.id == payment_id)
            ).scalar_one()
        )


def test_each_payment_is_posted_with_its_allocation(county: County) -> None:
    c = county.collector
    both = collect(county.engine, c, account_no=A, cash=118714, business_date=DAY)  # 8480+110234
    part = collect(county.engine, c, account_no=C, cash=50000, business_date=DAY)
    extra = collect(county.engine, c, account_no=D, cash=30000, business_date=DAY, aggregate="txn")

    report = deliver_due(county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter)

    assert (report.claimed, report.sent, report.retried, report.dead) == (3, 3, 0, 0)
    posted = county.client.find_posting(_txn(county.engine, both))
    assert posted is not None
    assert [(ln.period, ln.principal, ln.settle_state) for ln in posted.lines] == [
        ("202601", 8480, "settled"),
        ("202602", 110234, "settled"),
    ]
    assert posted.channel == "POS"
    assert posted.cash_date == posted.business_date == DAY
    partial = county.client.find_posting(_txn(county.engine, part))
    assert partial is not None
    assert [(ln.principal, ln.settle_state) for ln in partial.lines] == [(50000, "partial")]
    # 19490 + 5853 = 25343 of arrears: 4657 of the 30000 becomes prepaid
    credit = county.client.find_posting(_txn(county.engine, extra))
    assert credit is not None
    assert (credit.principal_total, credit.prepaid_added) == (25343, 4657)
    assert set(_mis_states(county.engine).values()) == {"posted"}
    assert all(row["state"] == "sent" and row["attempts"] == 1 for row in _outbox(county.engine))

    # the MIS now shows our payments as paid: the replica still knows they are ours
    sync_from_mis(county.engine, county.client, clock=county.mis.clock)
    with county.engine.connect() as connection:
        rows = connection.execute(
            select(
                receivables.c.mis_receivable_id,
                receivables.c.principal,
                receivables.c.principal_paid,
                receivables.c.mis_principal_paid,
                receivables.c.settle_state,
            ).order_by(receivables.c.mis_receivable_id)
        ).all()
    by_key = {row.mis_receivable_id: tuple(row)[1:] for row in rows}
    assert by_key[f"{A}-202602-1"] == (110234, 110234, 110234, "settled")
    assert by_key[f"{C}-202601-1"] == (77600, 50000, 50000, "partial")
    assert by_key[f"{C}-202602-1"] == (38800, 0, 0, "unpaid")
    _audit_clean(county.engine)


def test_mis_down_for_the_whole_test_then_back_posts_every_payment_once(county: County) -> None:
    numbers = add_customers(county.mis, 8)
    bill(county.mis, "202603", worked_readings=False)
    sync_from_mis(county.engine, county.client, clock=county.mis.clock)
    c = county.collector
    paid = [
        collect(county.engine, c, account_no=account_no, cash=5000, business_date=DAY)
        for account_no in [A, C, D, *numbers]
    ]
    county.mis.set_faults("down")

    for _ in range(4):
        report = deliver_due(
            county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter, policy=FAST
        )
        # one try tells the MIS is down: the rest of the batch is not tried, nothing counted
        assert (report.claimed, report.released, report.sent, report.dead) == (11, 11, 0, 0)
        assert report.mis_unavailable
        assert report.errors == ((report.errors[0][0], "mis_unavailable"),)
        county.mis.clock.moment += FAST.cap
    rows = _outbox(county.engine)
    assert {(row["state"], row["attempts"]) for row in rows} == {("pending", 0)}
    assert "mis_down" in rows[0]["last_error"]
    status = outbox_status(county.engine, now=county.mis.clock.now())
    assert (status.pending, status.due, status.dead) == (11, 11, 0)
    assert status.oldest_age_s == 4 * FAST.cap.total_seconds()
    assert county.mis.posting_counts() == {}
    assert county.mis.requests.count("POST", "/v1/postings") == 4

    county.mis.set_faults("normal")
    _drain(county)

    txns = {_txn(county.engine, payment_id) for payment_id in paid}
    assert county.mis.posting_counts() == dict.fromkeys(txns, 1)
    # once back, each payment was POSTed once
    assert county.mis.requests.count("POST", "/v1/postings") == 4 + 11
    assert {row["state"] for row in _outbox(county.engine)} == {"sent"}
    assert set(_mis_states(county.engine).values()) == {"posted"}
    assert outbox_status(county.engine, now=county.mis.clock.now()).pending == 0
    _audit_clean(county.engine)


def test_a_slow_mis_times_out_and_nothing_is_posted_twice(county: County) -> None:
    c = county.collector
    paid = [
        collect(county.engine, c, account_no=account_no, cash=1000, business_date=DAY)
        for account_no in (A, C, D)
    ]
    txns = {_txn(county.engine, payment_id) for payment_id in paid}
    with county.mis.client(timeout_s=0.2) as impatient:
        # slow to start: the worker gives up before the MIS reads the request, which is lost
        county.mis.set_faults("slow", delay_ms=600)
        report = deliver_due(
            county.engine, impatient, clock=county.mis.clock, jitter=_no_jitter, policy=FAST
        )
        assert (report.claimed, report.retried, report.released) == (3, 1, 2)
        assert report.mis_unavailable
        assert [code for _, code in report.errors] == ["mis_timeout"]
        assert "0.2 s" in _outbox(county.engine)[0]["last_error"]
        county.mis.set_faults("normal")
        # slow to answer: each POST is posted, but answered after the worker gave up
        county.mis.requests.late_answer_s = 0.6
        for _ in range(10):
            county.mis.clock.moment += FAST.cap
            report = deliver_due(
                county.engine, impatient, clock=county.mis.clock, jitter=_no_jitter, policy=FAST
            )
            if report.claimed == 0:
                break
    _wait_for(lambda: len(county.mis.posting_counts()) == 3)
    county.mis.requests.late_answer_s = 0.0

    # one POST lost, three applied; every retry after an applied one asked first and found it
    assert county.mis.requests.count("POST", "/v1/postings") == 4
    assert county.mis.posting_counts() == dict.fromkeys(txns, 1)
    rows = _outbox(county.engine)
    assert {row["state"] for row in rows} == {"sent"}
    assert sorted(row["attempts"] for row in rows) == [2, 2, 3]
    assert set(_mis_states(county.engine).values()) == {"posted"}
    _audit_clean(county.engine)


def _wait_for(condition: Callable[[], bool], *, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


def test_two_workers_share_the_outbox_and_post_each_row_once(county: County) -> None:
    numbers = add_customers(county.mis, 30)
    bill(county.mis, "202603", worked_readings=False)
    sync_from_mis(county.engine, county.client, clock=county.mis.clock)
    c = county.collector
    for account_no in numbers:
        collect(county.engine, c, account_no=account_no, cash=2000, business_date=DAY)
    claimed = [0, 0]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with county.mis.client() as client:
                for _ in range(40):
                    report = deliver_due(
                        county.engine,
                        client,
                        clock=county.mis.clock,
                        jitter=_no_jitter,
                        batch_size=3,
                    )
                    claimed[index] += report.claimed
                    if report.claimed == 0:
                        return
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not failures
    assert sum(claimed) == 30
    assert min(claimed) > 0  # both took part
    assert len(county.mis.posting_counts()) == 30
    assert set(county.mis.posting_counts().values()) == {1}
    assert county.mis.requests.count("POST", "/v1/postings") == 30
    assert {(row["state"], row["attempts"]) for row in _outbox(county.engine)} == {("sent", 1)}
    _audit_clean(county.engine)


def test_reversal_and_cancellation_undo_the_posting_in_the_mis(county: County) -> None:
    c = county.collector
    reversed_early = collect(county.engine, c, account_no=A, cash=8480, business_date=DAY)
    # undone before its post was delivered
    undo(county.engine, c, reversed_early, business_date=DAY, at=county.mis.clock.now())
    posted_then_cancelled = collect(county.engine, c, account_no=C, cash=77600, business_date=DAY)

    _drain(county)
    undo(
        county.engine,
        c,
        posted_then_cancelled,
        kind=EventKind.CANCELLATION,
        business_date=DAY + timedelta(days=1),
        at=county.mis.clock.now(),
        topic="mis.cancel",
    )
    _drain(county)

    states = county.mis.posting_states()
    assert states == {
        _txn(county.engine, reversed_early): "reversed",
        _txn(county.engine, posted_then_cancelled): "cancelled",
    }
    assert set(_mis_states(county.engine).values()) == {"undone"}
    assert {row["state"] for row in _outbox(county.engine)} == {"sent"}
    sync_from_mis(county.engine, county.client, clock=county.mis.clock)
    with county.engine.connect() as connection:
        open_principal = dict(
            connection.execute(
                select(receivables.c.mis_receivable_id, receivables.c.principal).where(
                    receivables.c.mis_receivable_id.in_([f"{A}-202601-1", f"{C}-202601-1"])
                )
            ).all()
        )
    assert open_principal == {f"{A}-202601-1": 8480, f"{C}-202601-1": 77600}
    _audit_clean(county.engine)


def test_a_later_payment_refused_for_an_earlier_one_still_queued_is_retried(
    county: County,
) -> None:
    c = county.collector
    first = collect(county.engine, c, account_no=C, cash=50000, business_date=DAY)
    second = collect(county.engine, c, account_no=C, cash=27600 + 38800, business_date=DAY)
    later = county.mis.clock.now() + timedelta(minutes=1)
    with county.engine.begin() as connection:  # the first is in its backoff
        connection.execute(
            update(outbox)
            .where(outbox.c.aggregate_id == str(first))
            .values(next_attempt_at=later, attempts=1)
        )

    report = deliver_due(
        county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter, policy=FAST
    )

    # the second leaves January half open behind it: the MIS refuses it, for now
    assert (report.claimed, report.retried, report.dead) == (1, 1, 0)
    assert report.errors[0][1] == "allocation_order"
    county.mis.clock.moment = later
    _drain(county)
    assert set(county.mis.posting_counts()) == {_txn(county.engine, p) for p in (first, second)}
    _audit_clean(county.engine)


def test_a_permanent_refusal_is_dead_at_once_and_says_why(county: County) -> None:
    c = county.collector
    payment = collect(county.engine, c, account_no=A, cash=8480, business_date=DAY)
    # the customer paid the same bill at a bank before our post arrived
    post_elsewhere(county.mis, payment_id="BANK-9", account_no=A, period="202601", principal=8480)

    report = deliver_due(county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter)

    assert (report.claimed, report.dead) == (1, 1)
    [(row_id, topic, aggregate, error)] = dead_rows(county.engine)
    assert (topic, aggregate) == ("mis.post", str(payment))
    assert error is not None
    assert "the MIS refused the request" in error
    assert _mis_states(county.engine)[payment] == "failed"
    assert outbox_status(county.engine, now=county.mis.clock.now()).dead == 1
    assert row_id == _outbox(county.engine)[0]["id"]
    _audit_clean(county.engine)


def test_a_row_that_keeps_timing_out_gives_up_after_the_last_attempt(county: County) -> None:
    collect(county.engine, county.collector, account_no=D, cash=1000, business_date=DAY)
    county.mis.set_faults("slow", delay_ms=300)
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=1), cap=timedelta(seconds=2))
    reports = []
    with county.mis.client(timeout_s=0.1) as impatient:
        for _ in range(3):
            reports.append(
                deliver_due(
                    county.engine,
                    impatient,
                    clock=county.mis.clock,
                    jitter=_no_jitter,
                    policy=policy,
                )
            )
            county.mis.clock.moment += policy.cap
    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    [row] = _outbox(county.engine)
    assert (row["state"], row["attempts"]) == ("dead", 3)
    assert row["last_error"].startswith("gave up after 3 attempts")
    assert _mis_states(county.engine) == {row_payment(county.engine): "failed"}

    # finance puts it back once the MIS is well again: it goes through, once
    county.mis.set_faults("normal")
    c = county.collector
    with pytest.raises(RequeueError) as not_allowed:
        requeue_dead(
            county.engine, outbox_ids=[row["id"]], operator_id=c.collector_id,
            clock=county.mis.clock,
        )  # fmt: skip
    assert not_allowed.value.code == "operator_not_allowed"
    with pytest.raises(RequeueError) as not_dead:
        requeue_dead(
            county.engine, outbox_ids=[row["id"], 999], operator_id=c.finance_id,
            clock=county.mis.clock,
        )  # fmt: skip
    assert (not_dead.value.code, not_dead.value.details) == (
        "outbox_row_not_dead",
        {"outbox_ids": [999]},
    )
    assert (
        requeue_dead(
            county.engine, outbox_ids=[row["id"]], operator_id=c.finance_id, clock=county.mis.clock
        )
        == 1
    )
    _drain(county)
    [row] = _outbox(county.engine)
    assert (row["state"], row["attempts"]) == ("sent", 1)
    assert list(county.mis.posting_counts().values()) == [1]
    assert _mis_states(county.engine) == {row_payment(county.engine): "posted"}
    _audit_clean(county.engine)


def test_an_unavailable_mis_counts_no_attempt_and_a_stop_releases_the_batch(
    county: County,
) -> None:
    for account_no in (A, C, D):
        collect(
            county.engine, county.collector, account_no=account_no, cash=1000, business_date=DAY
        )
    county.mis.set_faults("error")  # 503 mis_unavailable to every request
    for _ in range(40):  # far beyond max_attempts: an outage never kills a row
        report = deliver_due(
            county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter,
            policy=RetryPolicy(max_attempts=2),
        )  # fmt: skip
        assert (report.released, report.mis_unavailable) == (3, True)
    assert {(row["state"], row["attempts"]) for row in _outbox(county.engine)} == {("pending", 0)}

    county.mis.set_faults("normal")
    asked: list[int] = []

    def stop_after_one() -> bool:
        asked.append(1)
        return len(asked) > 1

    report = deliver_due(
        county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter,
        should_stop=stop_after_one,
    )  # fmt: skip
    assert (report.claimed, report.sent, report.released) == (3, 1, 2)
    assert not report.mis_unavailable
    assert sorted((row["state"], row["attempts"]) for row in _outbox(county.engine)) == [
        ("pending", 0),
        ("pending", 0),
        ("sent", 1),
    ]


def row_payment(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(payments.c.id)).scalar_one())


def test_backoff_doubles_up_to_its_cap_with_the_jitter_given() -> None:
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=60))
    assert [policy.delay(n, 0.0).total_seconds() for n in (1, 2, 3, 4, 5, 6, 7)] == [
        1,
        2,
        4,
        8,
        16,
        30,
        30,
    ]
    assert policy.delay(3, 0.5).total_seconds() == 6  # 4 + 4 × 0.5
    assert policy.delay(40, 0.999).total_seconds() < 60


def test_the_posting_written_in_the_row_is_the_one_sent(county: County) -> None:
    payment = collect(
        county.engine, county.collector, account_no=D, cash=1000, business_date=DAY, aggregate="txn"
    )
    txn = _txn(county.engine, payment)
    with county.engine.begin() as connection:
        written = json.loads(
            connection.execute(
                select(outbox.c.payload).where(outbox.c.aggregate_id == txn)
            ).scalar_one()
        )
        assert written["payment_id"] == txn
        written["operator_id"] = "clerk-7"
        connection.execute(
            update(outbox).where(outbox.c.aggregate_id == txn).values(payload=json.dumps(written))
        )

    report = deliver_due(county.engine, county.client, clock=county.mis.clock, jitter=_no_jitter)

    assert report.sent == 1
    with county.mis.engine.connect() as connection:
        operator = connection.execute(
            select(mis_postings.c.operator_id).where(mis_postings.c.payment_id == txn)
        ).scalar_one()
    assert operator == "clerk-7"


def test_an_undone_payment_never_posted_is_not_counted_as_ours_in_the_mis(county: County) -> None:
    c = county.collector
    payment = collect(county.engine, c, account_no=C, cash=50000, business_date=DAY)
    undo(
        county.engine, c, payment, business_date=DAY, at=county.mis.clock.now(),
        mis_state="undo_pending",
    )  # fmt: skip
    # a bank takes 200.00 on the same bill before our post and its reversal reach the MIS
    post_elsewhere(county.mis, payment_id="BANK-5", account_no=C, period="202601", principal=20000)
    sync_from_mis(county.engine, county.client, clock=county.mis.clock)

    def january() -> tuple[int, int]:
        with county.engine.connect() as connection:
            row = connection.execute(
                select(receivables.c.principal, receivables.c.principal_paid).where(
                    receivables.c.mis_receivable_id == f"{C}-202601-1"
                )
            ).one()
        return int(row.principal), int(row.principal_paid)

    assert january() == (77600 - 20000, 0)  # the MIS's 200.00 are the bank's, not ours
    _drain(county)  # our post and its reversal reach the MIS
    sync_from_mis(county.engine, county.client, clock=county.mis.clock)
    assert january() == (77600 - 20000, 0)
    assert county.mis.posting_states()[_txn(county.engine, payment)] == "reversed"
    _audit_clean(county.engine)


def test_a_claim_whose_lease_ran_out_is_taken_over_and_its_late_outcome_dropped(
    county: County,
) -> None:
    collect(county.engine, county.collector, account_no=D, cash=1000, business_date=DAY)
    clock = county.mis.clock
    # a worker claims the row and stalls (its process froze) past its one-minute lease
    [stalled] = claim_due(county.engine, now=clock.now(), batch_size=5, lease=timedelta(minutes=1))
    assert deliver_due(county.engine, county.client, clock=clock, jitter=_no_jitter).claimed == 0
    clock.moment += timedelta(minutes=2)

    report = deliver_due(county.engine, county.client, clock=clock, jitter=_no_jitter)

    assert (report.claimed, report.sent) == (1, 1)
    # the stalled worker wakes up: what it would write is no longer its to write
    kept = record(
        county.engine, stalled, Outcome(kind="dead", error="late"), now=clock.now(),
        policy=FAST, jitter=_no_jitter,
    )  # fmt: skip
    assert not kept
    [row] = _outbox(county.engine)
    assert (row["state"], row["attempts"], row["last_error"]) == ("sent", 2, None)
    assert list(county.mis.posting_counts().values()) == [1]
    # the take-over asked before posting (a second attempt), and posted once
    assert county.mis.requests.count("POST", "/v1/postings") == 1
