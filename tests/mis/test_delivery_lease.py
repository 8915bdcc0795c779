"""The outbox lease: short, renewed while a worker works, taken over soon after a worker dies —
and never a payment posted twice.

The clock is the MIS's manual clock, moved by the MIS calls themselves (a slow MIS); a worker
"dies" by an exception no use case catches, raised after the MIS has done its work.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gridpos.adapters.db.tables import outbox
from gridpos.adapters.mis import MisClient
from gridpos.application.outbox_delivery import DeliveryReport, RetryPolicy, deliver_due

from .collecting import collect
from .conftest import County
from .test_delivery import _audit_clean

DAY = date(2026, 4, 10)
ACCOUNTS = ("0100100001", "0200100001", "0200100002")
FAST = RetryPolicy(max_attempts=12, base=timedelta(seconds=1), cap=timedelta(seconds=8))
CALL_TIMEOUT_S = 10.0  # the embedded worker's MIS timeout


class WorkerDied(BaseException):
    """The worker's process ends here (nothing in the delivery code catches it)."""


class SlowMis:
    """The MIS client of a worker whose every posting takes ``post_s`` of the clock; ``during``
    runs inside the nth posting, after the MIS has done its work and before the answer."""

    def __init__(self, client: MisClient, county: County, *, post_s: float) -> None:
        self._client = client
        self._county = county
        self._post_s = post_s
        self.posts = 0
        self.during: dict[int, Any] = {}
        self.timeout_s = CALL_TIMEOUT_S

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def post_payment(self, *args: Any, **kwargs: Any) -> Any:
        answer = self._client.post_payment(*args, **kwargs)
        self.posts += 1
        self._county.mis.clock.moment += timedelta(seconds=self._post_s)
        action = self.during.get(self.posts)
        if action is not None:
            action()
        return answer


def _deliver(county: County, client: Any) -> DeliveryReport:
    return deliver_due(
        county.engine, client, clock=county.mis.clock, jitter=lambda: 0.0, policy=FAST
    )


def _collect_three(county: County) -> None:
    for account_no in ACCOUNTS:
        collect(
            county.engine, county.collector, account_no=account_no, cash=1000, business_date=DAY
        )


def _leases(county: County) -> list[float]:
    """Seconds from now to each pending row's next attempt."""
    now = county.mis.clock.now()
    with county.engine.connect() as connection:
        due = connection.execute(
            select(outbox.c.next_attempt_at).where(outbox.c.state == "pending")
        ).scalars()
        return [(moment - now).total_seconds() for moment in due]


def test_a_worker_that_dies_mid_batch_leaves_its_rows_due_within_a_minute(
    county: County,
) -> None:
    _collect_three(county)
    dying = SlowMis(county.client, county, post_s=1)

    def die() -> None:
        raise WorkerDied

    dying.during[1] = die  # the MIS has the first posting; its answer never reaches the worker
    with pytest.raises(WorkerDied):
        _deliver(county, dying)
    leases = _leases(county)
    assert len(leases) == 3
    assert max(leases) <= 60  # one row's calls and a margin, not the whole batch's

    county.mis.clock.moment += timedelta(seconds=60)  # the restarted worker, a minute later
    report = _deliver(county, county.client)
    assert (report.claimed, report.sent, report.lost) == (3, 3, 0)
    counts = county.mis.posting_counts()
    assert (len(counts), set(counts.values())) == (3, {1})  # each payment posted once
    _audit_clean(county.engine)


def test_a_slow_batch_keeps_its_rows_past_its_first_lease(county: County) -> None:
    _collect_three(county)
    slow = SlowMis(county.client, county, post_s=25)  # three rows: 75 s, past one lease
    rival: list[DeliveryReport] = []
    for nth in (1, 2, 3):  # another worker looks for due rows during every posting
        slow.during[nth] = lambda: rival.append(_deliver(county, county.client))

    report = _deliver(county, slow)

    assert [r.claimed for r in rival] == [0, 0, 0]  # the lease was renewed: nothing to take over
    assert (report.claimed, report.sent, report.lost) == (3, 3, 0)
    assert set(county.mis.posting_counts().values()) == {1}
    assert county.mis.requests.count("POST", "/v1/postings") == 3
    _audit_clean(county.engine)


def test_a_batch_that_stalled_past_its_lease_sends_no_row_taken_over(county: County) -> None:
    _collect_three(county)
    stalled = SlowMis(county.client, county, post_s=1)
    rival: list[DeliveryReport] = []

    def stall_and_be_overtaken() -> None:
        county.mis.clock.moment += timedelta(minutes=5)  # frozen well past the lease
        rival.append(_deliver(county, county.client))

    stalled.during[1] = stall_and_be_overtaken
    report = _deliver(county, stalled)

    assert (rival[0].claimed, rival[0].sent) == (3, 3)  # took all three, asked before posting
    # the stalled worker writes nothing of the row it held, and sends none of the others
    assert (report.claimed, report.sent, report.lost) == (3, 0, 3)
    assert stalled.posts == 1
    assert set(county.mis.posting_counts().values()) == {1}
    _audit_clean(county.engine)
