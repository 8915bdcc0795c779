"""An account query refreshes that one account from the MIS with a short timeout, and falls back
to the replica at once when the MIS is slow, down or does not know the account."""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy import Engine, select

from gridpos.adapters.db.tables import customers, receivables
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.account_refresh import MisAccountRefresher
from gridpos.application.audit_verify import verify_database
from gridpos.application.outbox_delivery import deliver_due
from gridpos.application.ports import RefreshOutcome

from .collecting import collect
from .conftest import County
from .county import add_customers, bill, post_elsewhere

DAY = date(2026, 4, 10)
A, C = "0100100001", "0200100001"


def _open(engine: Engine, account_no: str) -> dict[str, tuple[int, int, str]]:
    """period → (principal, principal_paid, settle_state) of the account's receivables."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                receivables.c.period,
                receivables.c.principal,
                receivables.c.principal_paid,
                receivables.c.settle_state,
            )
            .join(customers, customers.c.id == receivables.c.customer_id)
            .where(customers.c.account_no == account_no)
        )
        return {row.period: (row.principal, row.principal_paid, row.settle_state) for row in rows}


def _refresher(county: County, *, timeout_s: float = 1.5) -> MisAccountRefresher:
    return MisAccountRefresher(
        engine=county.engine, client=county.client, clock=county.mis.clock, timeout_s=timeout_s
    )


def test_a_refresh_brings_a_new_bill_and_a_bank_payment_before_the_sync_does(
    county: County,
) -> None:
    bill(county.mis, "202603")
    post_elsewhere(county.mis, payment_id="BANK-1", account_no=A, period="202601", principal=8480)
    post_elsewhere(county.mis, payment_id="BANK-2", account_no=A, period="202602", principal=234)

    assert _refresher(county).refresh(A) is RefreshOutcome.REFRESHED

    assert _open(county.engine, A) == {
        "202601": (0, 0, "settled"),  # paid in full at the bank
        "202602": (110000, 0, "unpaid"),  # 110234 less 234 paid at the bank
        "202603": (18159, 0, "unpaid"),  # billed since the last sync
    }
    report = verify_database(SqlUnitOfWork(county.engine, write=False))
    assert report.ok


def test_a_refresh_creates_a_customer_the_sync_has_not_brought_yet(county: County) -> None:
    [new] = add_customers(county.mis, 1)
    bill(county.mis, "202603", worked_readings=False)

    assert _refresher(county).refresh(new) is RefreshOutcome.REFRESHED

    with county.engine.connect() as connection:
        customer = connection.execute(select(customers).where(customers.c.account_no == new)).one()
    assert (customer.name, customer.category) == ("储建国", "residential")
    assert list(_open(county.engine, new)) == ["202603"]


def test_our_posted_payment_is_not_taken_for_a_payment_elsewhere(county: County) -> None:
    collect(county.engine, county.collector, account_no=C, cash=50000, business_date=DAY)
    deliver_due(county.engine, county.client, clock=county.mis.clock, jitter=lambda: 0.0)

    assert _refresher(county).refresh(C) is RefreshOutcome.REFRESHED

    assert _open(county.engine, C) == {
        "202601": (77600, 50000, "partial"),
        "202602": (38800, 0, "unpaid"),
    }


def test_a_down_mis_answers_unavailable_at_once_and_is_left_alone_for_a_while(
    county: County,
) -> None:
    refresher = _refresher(county)
    before = _open(county.engine, A)
    county.mis.set_faults("down")

    assert refresher.refresh(A) is RefreshOutcome.UNAVAILABLE
    asked = county.mis.requests.count("GET", f"/v1/customers/{A}/arrears")
    county.mis.set_faults("normal")
    bill(county.mis, "202603")

    # within the pause the MIS is not asked at all
    assert refresher.refresh(A) is RefreshOutcome.UNAVAILABLE
    assert county.mis.requests.count("GET", f"/v1/customers/{A}/arrears") == asked == 1
    assert _open(county.engine, A) == before

    county.mis.clock.moment += timedelta(seconds=31)
    assert refresher.refresh(A) is RefreshOutcome.REFRESHED
    assert "202603" in _open(county.engine, A)


def test_a_slow_mis_is_given_up_on_within_the_short_timeout(county: County) -> None:
    county.mis.set_faults("slow", delay_ms=1000)
    started = time.monotonic()

    outcome = _refresher(county, timeout_s=0.3).refresh(A)

    assert outcome is RefreshOutcome.UNAVAILABLE
    assert time.monotonic() - started < 0.9


def test_an_account_the_mis_does_not_know_falls_back_without_a_pause(county: County) -> None:
    refresher = _refresher(county)
    assert refresher.refresh("0999999999") is RefreshOutcome.UNAVAILABLE
    assert refresher.refresh(A) is RefreshOutcome.REFRESHED
