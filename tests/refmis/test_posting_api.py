"""Posting (进账): worked examples, idempotency, concurrency, refusals that change nothing."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from gridpos.domain.penalty import default_penalty_rules
from gridpos.protocol.mis import PostingRequest, PostingResult
from gridpos.refmis import posting
from gridpos.refmis.tables import counters, customers, posting_lines, postings, receivables

from .support import Clock, ok

ACCOUNT = "0100100001"
# Paid on 2026-05-05, ten days after the due date: penalties 100, 1102 and 182 (test_billing_api).
FULL_LINES = [
    {"period": "202601", "run_no": 1, "penalty": 100, "principal": 8480},
    {"period": "202602", "run_no": 1, "penalty": 1102, "principal": 110234},
    {"period": "202603", "run_no": 1, "penalty": 182, "principal": 18159},
]
FULL_DUE = 136873 + 1384  # principal + penalty = 138257


def _request(payment_id: str = "T0001-000001", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_id": payment_id,
        "account_no": ACCOUNT,
        "amount_fen": 138300,  # rounded up to the whole yuan: 43 fen of rounding credit
        "cash_date": "2026-05-05",
        "business_date": "2026-05-05",
        "channel": "POS",
        "collection_point_id": "CP-0007",
        "terminal_id": "T0001",
        "operator_id": "agent.07",
        "lines": FULL_LINES,
        "rounding_added": 43,
    }
    body.update(changes)
    return body


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))
            ]
            for table in (customers, receivables, postings, posting_lines, counters)
        }


@pytest.fixture
def paying_day(billed_county: dict[str, Any], clock: Clock) -> Clock:
    clock.set_day(date(2026, 5, 5))
    return clock


def test_a_full_payment_settles_every_bill_and_keeps_the_rounding_credit(
    paying_day: Clock, client: TestClient, mis_engine: Engine
) -> None:
    result = ok(client.post("/v1/postings", json=_request()))
    assert result["serial"] == "2026050500000001"
    assert result["state"] == "posted"
    assert result["station_code"] == "34082801"
    assert (result["penalty_total"], result["principal_total"]) == (1384, 136873)
    assert [line["settle_state"] for line in result["lines"]] == ["settled"] * 3
    arrears = ok(client.get(f"/v1/customers/{ACCOUNT}/arrears", params={"as_of": "2026-05-06"}))
    assert arrears["receivables"] == []
    assert arrears["rounding_credit"] == 43
    assert arrears["total_due"] == 0
    assert ok(client.get("/v1/postings/T0001-000001")) == result
    # The change feed shows the customer and its three receivables once more.
    page = ok(client.get("/v1/changes", params={"since": 16}))
    assert [row["account_no"] for row in page["customers"]] == [ACCOUNT]
    assert sorted(row["period"] for row in page["receivables"]) == ["202601", "202602", "202603"]
    assert all(row["settled_on"] == "2026-05-05" for row in page["receivables"])


def test_a_repeat_answers_the_first_result_and_other_content_is_refused(
    paying_day: Clock, client: TestClient, mis_engine: Engine
) -> None:
    first = ok(client.post("/v1/postings", json=_request()))
    before = _snapshot(mis_engine)
    paying_day.set_day(date(2026, 5, 9))  # a late resend still answers the first result
    assert ok(client.post("/v1/postings", json=_request())) == first
    other = client.post("/v1/postings", json=_request(operator_id="agent.08"))
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "payment_id_reused"
    assert other.json()["error"]["details"] == {"serial": first["serial"]}
    assert _snapshot(mis_engine) == before


def test_a_partial_payment_pays_penalty_first_and_later_penalties_follow_the_unpaid_principal(
    paying_day: Clock, client: TestClient
) -> None:
    partial = [
        {"period": "202601", "run_no": 1, "penalty": 100, "principal": 8480},
        {"period": "202602", "run_no": 1, "penalty": 1102, "principal": 318},
    ]
    result = ok(
        client.post(
            "/v1/postings", json=_request(amount_fen=10000, lines=partial, rounding_added=0)
        )
    )
    assert [line["settle_state"] for line in result["lines"]] == ["settled", "partial"]
    # Five days on: 109916 unpaid × 15 ‰ (due 2026-04-25, paid 2026-05-10) = 1648.74 → 1649.
    arrears = ok(client.get(f"/v1/customers/{ACCOUNT}/arrears", params={"as_of": "2026-05-10"}))
    assert [(r["period"], r["principal_unpaid"], r["penalty"]) for r in arrears["receivables"]] == [
        ("202602", 109916, 1649),
        ("202603", 18159, 272),  # 18159 × 15 ‰ = 272.385
    ]


def test_two_identical_posts_at_once_make_one_posting(
    paying_day: Clock, mis_engine: Engine
) -> None:
    request = PostingRequest.model_validate(_request("T0001-000777"))
    now = datetime(2026, 5, 5, 2, 0, tzinfo=UTC)
    rules = default_penalty_rules()
    start = threading.Barrier(4)
    results: list[PostingResult] = []
    failures: list[BaseException] = []

    def post() -> None:
        start.wait(timeout=10)
        try:
            results.append(posting.post_payment(mis_engine, request, now=now, rules=rules))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(results) == 4
    assert len({result.serial for result in results}) == 1
    with mis_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(postings)).scalar_one() == 1
        paid = connection.execute(
            select(func.sum(receivables.c.principal_paid)).where(
                receivables.c.account_no == ACCOUNT
            )
        ).scalar_one()
        credit = connection.execute(
            select(customers.c.rounding_credit).where(customers.c.account_no == ACCOUNT)
        ).scalar_one()
    assert (paid, credit) == (136873, 43)


REFUSALS: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("zero", {"amount_fen": 0}, 422, "amount_not_positive", "amount_fen"),
    ("negative", {"amount_fen": -100}, 422, "amount_not_positive", "amount_fen"),
    ("non-integer", {"amount_fen": 138300.5}, 422, "amount_not_integer", "amount_fen"),
    ("text", {"amount_fen": "138300"}, 422, "amount_not_integer", "amount_fen"),
    ("absurd", {"amount_fen": 10**12}, 422, "amount_too_large", "amount_fen"),
    (
        "negative penalty",
        {"lines": [{**FULL_LINES[0], "penalty": -1}]},
        422,
        "amount_negative",
        "lines[0].penalty",
    ),
    ("unknown account", {"account_no": "0100199999"}, 404, "account_not_found", "account_no"),
    (
        "overpaid",
        {"lines": [{**FULL_LINES[0], "principal": 8481}, *FULL_LINES[1:]], "amount_fen": 138301},
        422,
        "receivable_overpaid",
        "lines[0].principal",
    ),
    (
        "penalty below the MIS's figure",
        {"lines": [{**FULL_LINES[0], "penalty": 99}, *FULL_LINES[1:]], "amount_fen": 138299},
        422,
        "penalty_mismatch",
        "lines[0].penalty",
    ),
    (
        "newer bill before older",
        {"lines": [FULL_LINES[1]], "amount_fen": 111336, "rounding_added": 0},
        422,
        "allocation_order",
        "lines[0]",
    ),
    ("unbalanced", {"amount_fen": 138299}, 422, "allocation_unbalanced", "amount_fen"),
    (
        "prepaid not there",
        {"prepaid_used": 100, "amount_fen": 138200},
        422,
        "prepaid_insufficient",
        "prepaid_used",
    ),
    (
        "repeated line",
        {"lines": [FULL_LINES[0], FULL_LINES[0]]},
        422,
        "allocation_line_repeated",
        "lines[1]",
    ),
    (
        "unknown month",
        {"lines": [{**FULL_LINES[0], "period": "202512"}]},
        404,
        "receivable_not_found",
        "lines[0]",
    ),
    (
        "cash after business date",
        {"cash_date": "2026-05-06"},
        422,
        "cash_date_invalid",
        "cash_date",
    ),
    (
        "business date in the future",
        {"cash_date": "2026-05-09", "business_date": "2026-05-09"},
        422,
        "business_date_invalid",
        "business_date",
    ),
    ("separator in an id", {"payment_id": "T1|2"}, 422, "field_invalid", "payment_id"),
    ("unknown field", {"discount": 5}, 422, "field_invalid", "discount"),
]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [pytest.param(c, s, code, f, id=name) for name, c, s, code, f in REFUSALS],
)
def test_bad_postings_are_refused_with_a_code_and_change_nothing(  # noqa: PLR0917 - fixtures
    paying_day: Clock,
    client: TestClient,
    mis_engine: Engine,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    before = _snapshot(mis_engine)
    refused = client.post("/v1/postings", json=_request(**change))
    assert refused.status_code == status, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message_zh"]
    assert error["message_en"]
    assert _snapshot(mis_engine) == before


def test_a_settled_receivable_cannot_be_paid_again(
    paying_day: Clock, client: TestClient, mis_engine: Engine
) -> None:
    ok(client.post("/v1/postings", json=_request()))
    before = _snapshot(mis_engine)
    again = client.post("/v1/postings", json=_request("T0001-000002"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "receivable_settled"
    assert again.json()["error"]["details"]["settled_on"] == "2026-05-05"
    assert _snapshot(mis_engine) == before


def test_malformed_and_unauthenticated_requests(
    paying_day: Clock, client: TestClient, mis_engine: Engine
) -> None:
    before = _snapshot(mis_engine)
    not_json = client.post(
        "/v1/postings", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "malformed_request"
    body = _request()
    del body["lines"]
    missing = client.post("/v1/postings", json=body)
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "field_missing"
    assert missing.json()["error"]["field"] == "lines"
    no_key = client.post("/v1/postings", json=_request(), headers={"X-API-Key": "wrong"})
    assert no_key.status_code == 401
    assert no_key.json()["error"]["code"] == "unauthorized"
    assert _snapshot(mis_engine) == before


def test_a_posting_that_fails_half_way_leaves_nothing_behind(
    paying_day: Clock, client: TestClient, mis_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(mis_engine)

    def broken(*_args: Any, **_kwargs: Any) -> PostingResult:
        raise RuntimeError("the disk is full")

    # Every write is done by the time the answer is read back; fail right there.
    monkeypatch.setattr(posting, "posting_result", broken)
    with pytest.raises(RuntimeError):
        client.post("/v1/postings", json=_request())
    assert _snapshot(mis_engine) == before
