"""The replica follows the MIS: organisation import, incremental sync by watermark, paging,
billing runs, and bills paid through other channels."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.tables import customers, organisations, receivables, sync_watermarks
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient
from gridpos.application.audit_verify import verify_database
from gridpos.application.mis_replica import ReplicaError
from gridpos.application.mis_sync import read_watermark, sync_from_mis
from gridpos.application.organisation_import import import_organisation

from .county import add_worked_customers, bill, post_elsewhere
from .harness import RunningMis

A, B, C, D = "0100100001", "0100100002", "0200100001", "0200100002"


def _replica(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                customers.c.account_no,
                receivables.c.period,
                receivables.c.principal,
                receivables.c.principal_paid,
                receivables.c.settle_state,
                receivables.c.mis_principal,
                receivables.c.mis_principal_paid,
            ).join(customers, customers.c.id == receivables.c.customer_id)
        )
        return {(row.account_no, row.period): dict(row._mapping) for row in rows}


def _audit_clean(engine: Engine) -> None:
    report = verify_database(SqlUnitOfWork(engine, write=False))
    assert report.ok, [b.describe() for b in report.breaks]


def test_import_creates_the_county_and_its_stations_once(
    server_engine: Engine, mis: RunningMis, mis_client: MisClient
) -> None:
    first = import_organisation(server_engine, mis_client, clock=mis.clock)
    assert first.county_code == "340828"
    assert len(first.created) == 25  # the county and its 24 township stations
    again = import_organisation(server_engine, mis_client, clock=mis.clock)
    assert again.created == ()
    assert again.renamed == ()
    assert len(again.unchanged) == 25
    with server_engine.connect() as connection:
        rows = connection.execute(
            select(organisations.c.code, organisations.c.level, organisations.c.parent_id)
        ).all()
    levels = {row.code: row.level for row in rows}
    assert levels["340828"] == "county"
    assert levels["34082801"] == "station"
    assert {row.parent_id for row in rows if row.level == "station"} == {first.county_id}
    _audit_clean(server_engine)


def test_sync_copies_customers_and_what_is_left_to_collect(
    server_engine: Engine, mis: RunningMis, mis_client: MisClient
) -> None:
    import_organisation(server_engine, mis_client, clock=mis.clock)
    add_worked_customers(mis)
    bill(mis, "202601")
    bill(mis, "202602")

    progress = sync_from_mis(server_engine, mis_client, clock=mis.clock)

    assert progress.caught_up
    assert progress.customers == 4
    # B's January bill was 0 (8 kWh, all free) and settled at billing: nothing to copy
    assert (progress.receivables, progress.skipped) == (7, 1)
    replica = _replica(server_engine)
    assert {key: row["principal"] for key, row in replica.items()} == {
        (A, "202601"): 8480,
        (A, "202602"): 110234,
        (B, "202602"): 2261,
        (C, "202601"): 77600,
        (C, "202602"): 38800,
        (D, "202601"): 19490,
        (D, "202602"): 5853,
    }
    assert all(row["settle_state"] == "unpaid" for row in replica.values())
    assert all(row["principal_paid"] == 0 for row in replica.values())
    with server_engine.connect() as connection:
        assert read_watermark(connection) == progress.watermark > 0
        customer = connection.execute(select(customers).where(customers.c.account_no == C)).one()
    assert customer.category == "non_residential"
    assert customer.mis_status == "active"
    assert customer.segment == "34082802001"
    assert customer.prepaid == 0  # the kept balance moves only with the ledger
    _audit_clean(server_engine)


def test_sync_is_incremental_and_picks_up_a_billing_run(
    server_engine: Engine, mis: RunningMis, mis_client: MisClient
) -> None:
    import_organisation(server_engine, mis_client, clock=mis.clock)
    add_worked_customers(mis)
    bill(mis, "202601")
    bill(mis, "202602")
    first = sync_from_mis(server_engine, mis_client, clock=mis.clock)

    nothing = sync_from_mis(server_engine, mis_client, clock=mis.clock)
    assert (nothing.pages, nothing.rows, nothing.watermark) == (1, 0, first.watermark)

    bill(mis, "202603")
    after = sync_from_mis(server_engine, mis_client, clock=mis.clock)

    # the March run: four new receivables and nothing else
    assert (after.customers, after.receivables, after.skipped) == (0, 4, 0)
    assert after.watermark == first.watermark + 4
    replica = _replica(server_engine)
    assert [replica[(acct, "202603")]["principal"] for acct in (A, B, C, D)] == [
        18159,
        5088,
        77600,
        5853,
    ]
    assert len(replica) == 11


def test_small_pages_give_the_same_replica_as_one_page(
    server_engine: Engine, mis: RunningMis, mis_client: MisClient
) -> None:
    import_organisation(server_engine, mis_client, clock=mis.clock)
    add_worked_customers(mis)
    for period in ("202601", "202602", "202603"):
        bill(mis, period)

    progress = sync_from_mis(server_engine, mis_client, clock=mis.clock, page_size=3)

    # 4 customers and 12 receivables change: 16 rows in pages of 3 (the last one full-up)
    assert progress.pages == 6
    assert progress.caught_up
    assert (progress.customers, progress.receivables, progress.skipped) == (4, 11, 1)
    assert len(_replica(server_engine)) == 11
    with server_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(sync_watermarks)).scalar() == 1


def test_a_bill_paid_at_a_bank_leaves_only_the_rest_to_collect(
    server_engine: Engine, mis: RunningMis, mis_client: MisClient
) -> None:
    import_organisation(server_engine, mis_client, clock=mis.clock)
    add_worked_customers(mis)
    bill(mis, "202601")
    bill(mis, "202602")
    sync_from_mis(server_engine, mis_client, clock=mis.clock)

    post_elsewhere(mis, payment_id="BANK-1", account_no=A, period="202601", principal=8480)
    post_elsewhere(mis, payment_id="BANK-2", account_no=A, period="202602", principal=10234)
    sync_from_mis(server_engine, mis_client, clock=mis.clock)

    replica = _replica(server_engine)
    assert replica[(A, "202601")] | {} == {
        "account_no": A,
        "period": "202601",
        "principal": 0,
        "principal_paid": 0,
        "settle_state": "settled",
        "mis_principal": 8480,
        "mis_principal_paid": 8480,
    }
    assert replica[(A, "202602")]["principal"] == 110234 - 10234
    assert replica[(A, "202602")]["settle_state"] == "unpaid"
    _audit_clean(server_engine)


def test_a_station_not_imported_stops_the_sync_with_nothing_written(
    server_engine: Engine, mis: RunningMis, mis_client: MisClient
) -> None:
    add_worked_customers(mis)
    bill(mis, "202601")
    with pytest.raises(ReplicaError) as refused:
        sync_from_mis(server_engine, mis_client, clock=mis.clock)
    assert refused.value.code == "station_unknown"
    assert refused.value.field == "station_code"
    assert refused.value.details == {"station_codes": ["34082801", "34082802"]}
    with server_engine.connect() as connection:
        assert read_watermark(connection) == 0
        assert connection.execute(select(func.count()).select_from(customers)).scalar() == 0
