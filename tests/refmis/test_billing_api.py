"""Billing, arrears and the change feed over HTTP on SQLite and PostgreSQL, by worked examples."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.pricing import estimated_noise, monthly_kwh
from gridpos.refmis.tables import receivables

from .support import DUE, PERIODS, WORKED, Clock, add_customer, ok


def _all_changes(client: TestClient, since: int = 0, limit: int = 3) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for _ in range(1000):
        page = ok(client.get("/v1/changes", params={"since": since, "limit": limit}))
        items = page["customers"] + page["receivables"]
        assert len(items) <= limit
        assert all(since < item["change_seq"] <= page["next_watermark"] for item in items)
        rows.extend(items)
        since = page["next_watermark"]
        if not page["has_more"]:
            return rows
    raise AssertionError("the change feed never ended")


def test_billing_matches_the_domain_tariff(
    billed_county: dict[str, Any], client: TestClient
) -> None:
    schedule = default_tariff_schedule()
    bills = {
        (row["account_no"], row["period"]): row
        for row in _all_changes(client, limit=100)
        if "period" in row
    }
    assert len(bills) == 12
    for account_no, (category, _, _, principals) in WORKED.items():
        year_before = 0
        tiered = category in {"residential", "subsidised"}  # only annual tiers accumulate
        for period, principal in zip(PERIODS, principals, strict=True):
            row = bills[(account_no, period)]
            assert row["principal"] == principal, (account_no, period)
            assert row["year_kwh_before"] == (year_before if tiered else 0)
            domain = schedule.bill(
                category=CustomerCategory(category),
                period=period,
                kwh=row["kwh"],
                year_kwh_before=year_before,
            )
            assert domain.amount_fen == principal
            assert row["due_date"] == DUE.isoformat()
            assert row["settle_state"] == ("settled" if principal == 0 else "unpaid")
            year_before += row["kwh"]
    assert bills[("0100100001", "202603")]["kwh"] == 300
    assert bills[("0100100001", "202603")]["year_kwh_before"] == 2100
    assert billed_county["202603"]["principal_total"] == 18159 + 5088 + 77600 + 5853
    assert billed_county["202603"]["kwh_total"] == 300 + 100 + 1000 + 100


def test_a_billing_run_is_repeatable_and_estimates_missing_readings(
    billed_county: dict[str, Any], client: TestClient, mis_engine: Engine, clock: Clock
) -> None:
    add_customer(mis_engine, "0100100003", category="residential", base_kwh=120)
    clock.set_day(date(2026, 5, 3))
    ok(
        client.post(
            "/v1/meter-readings",
            json={
                "account_no": "0100100001",
                "period": "202604",
                "reading": 2500,
                "read_on": "2026-04-30",
            },
        )
    )
    first = ok(client.post("/v1/billing-runs", json={"period": "202604"}))
    assert first["customers_billed"] == 5
    assert first["readings_estimated"] == 4  # everyone but 0100100001
    again = ok(client.post("/v1/billing-runs", json={"period": "202604"}))
    assert again["customers_billed"] == 0
    assert again["already_billed"] == 5
    with mis_engine.connect() as connection:
        count = connection.execute(
            select(func.count()).where(receivables.c.period == "202604")
        ).scalar_one()
        new = (
            connection.execute(select(receivables).where(receivables.c.account_no == "0100100003"))
            .mappings()
            .one()
        )
    assert count == 5
    # April is 850 ‰ of a typical month; the noise is the account's own, the same on every retry.
    noise = estimated_noise(account_no="0100100003", period="202604")
    assert new["kwh"] == monthly_kwh(base_kwh=120, month=4, noise_per_mille=noise)
    assert new["due_date"] == date(2026, 5, 25)
    assert new["billed_on"] == date(2026, 5, 3)
    # 0100100001: 100 kWh on top of 2400 for the year, all in the second tier: 100 × 0.6153.
    arrears = ok(client.get("/v1/customers/0100100001/arrears", params={"as_of": "2026-05-03"}))
    april = next(line for line in arrears["receivables"] if line["period"] == "202604")
    assert april["principal"] == 6153


def test_billing_refuses_a_month_that_has_not_ended(client: TestClient, clock: Clock) -> None:
    refused = client.post("/v1/billing-runs", json={"period": "202604"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "period_not_ended"
    malformed = client.post("/v1/billing-runs", json={"period": "202613"})
    assert malformed.status_code == 422
    assert malformed.json()["error"]["field"] == "period"


def test_arrears_with_penalties_worked_by_hand(
    billed_county: dict[str, Any], client: TestClient
) -> None:
    # Ten days late (due 2026-04-25, paid 2026-05-05).
    residential = ok(client.get("/v1/customers/0100100001/arrears", params={"as_of": "2026-05-05"}))
    # 8480 × 10 ‰ = 84.8 → 85, raised to the 1-yuan minimum; 110234 → 1102.34; 18159 → 181.59.
    assert [line["penalty"] for line in residential["receivables"]] == [100, 1102, 182]
    assert residential["principal_unpaid_total"] == 8480 + 110234 + 18159
    assert residential["total_due"] == 136873 + 1384
    assert residential["receivables"][2]["charge_lines"] == [
        {
            "label_zh": "第一档",
            "label_en": "Tier 1",
            "kwh": 60,
            "unit_price_e4": 5653,
            "amount_fen": 3392,
        },
        {
            "label_zh": "第二档",
            "label_en": "Tier 2",
            "kwh": 240,
            "unit_price_e4": 6153,
            "amount_fen": 14767,
        },
    ]
    # Non-residential: 2 ‰ a day in the due date's year: 77600 × 20 ‰ = 1552; 38800 → 776.
    business = ok(client.get("/v1/customers/0200100001/arrears", params={"as_of": "2026-05-05"}))
    assert [line["penalty"] for line in business["receivables"]] == [1552, 776, 1552]
    # On the due date nothing is owed beyond the principal.
    on_time = ok(client.get("/v1/customers/0200100001/arrears", params={"as_of": "2026-04-25"}))
    assert on_time["penalty_total"] == 0
    # The subsidised customer's free January is settled and not in arrears.
    subsidised = ok(client.get("/v1/customers/0100100002/arrears", params={"as_of": "2026-04-25"}))
    assert [line["period"] for line in subsidised["receivables"]] == ["202602", "202603"]


def test_cross_year_penalty_for_non_residential(
    mis_engine: Engine, client: TestClient, clock: Clock
) -> None:
    add_customer(mis_engine, "0200100009", category="non_residential", station_code="34082802")
    clock.set_day(date(2025, 12, 10))
    ok(
        client.post(
            "/v1/meter-readings",
            json={
                "account_no": "0200100009",
                "period": "202511",
                "reading": 1000,
                "read_on": "2025-11-30",
            },
        )
    )
    ok(client.post("/v1/billing-runs", json={"period": "202511"}))
    # Due 2025-12-25; paid 2026-01-04: 6 days at 2 ‰ + 4 days at 3 ‰ = 24 ‰ of 77600 = 1862.4.
    arrears = ok(client.get("/v1/customers/0200100009/arrears", params={"as_of": "2026-01-04"}))
    assert arrears["receivables"][0]["due_date"] == "2025-12-25"
    assert arrears["receivables"][0]["penalty"] == 1862


def test_the_change_feed_pages_every_change_once_and_in_order(
    billed_county: dict[str, Any], client: TestClient
) -> None:
    rows = _all_changes(client, limit=5)
    seqs = [row["change_seq"] for row in rows]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs) == 4 + 12
    last = seqs[-1]
    empty = ok(client.get("/v1/changes", params={"since": last}))
    assert empty == {
        "since": last,
        "next_watermark": last,
        "has_more": False,
        "customers": [],
        "receivables": [],
    }
    refused = client.get("/v1/changes", params={"since": -1})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "since"


def test_unknown_and_malformed_accounts(client: TestClient) -> None:
    unknown = client.get("/v1/customers/0999999999/arrears")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "account_not_found"
    assert unknown.json()["error"]["message_zh"] == "户号 0999999999 不存在"
    malformed = client.get("/v1/customers/12ab/arrears")
    assert malformed.status_code == 422
    assert malformed.json()["error"] == {
        "code": "field_invalid",
        "field": "account_no",
        "message_zh": "字段 account_no 无效",
        "message_en": malformed.json()["error"]["message_en"],
        "details": {},
    }
