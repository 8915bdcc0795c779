"""Reversal (冲正), cancellation (冲销), the daily posting report and the reconciliation file."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from gridpos.protocol.bank_file import parse_reconciliation_file
from gridpos.refmis.tables import customers

from .support import Clock, ok


def _post(client: TestClient, payment_id: str, account_no: str, amount: int, lines: list[Any], *,
          channel: str = "POS", **extra: Any) -> dict[str, Any]:  # fmt: skip
    body = {
        "payment_id": payment_id,
        "account_no": account_no,
        "amount_fen": amount,
        "cash_date": "2026-05-05",
        "business_date": "2026-05-05",
        "channel": channel,
        "collection_point_id": "CP-0007",
        "terminal_id": "T0001",
        "operator_id": "agent.07",
        "lines": [
            {"period": period, "run_no": 1, "penalty": penalty, "principal": principal}
            for period, penalty, principal in lines
        ],
        **extra,
    }
    return ok(client.post("/v1/postings", json=body))  # type: ignore[no-any-return]


def _undo(client: TestClient, kind: str, posted: dict[str, Any], day: str, **changes: Any) -> Any:
    body = {
        "serial": posted["serial"],
        "amount_fen": posted["amount_fen"],
        "business_date": day,
        "operator_id": "finance.01",
        "reason": "客户取回现金",
        **changes,
    }
    return client.post(f"/v1/postings/{posted['payment_id']}/{kind}", json=body)


@pytest.fixture
def day_of_postings(
    billed_county: dict[str, Any], clock: Clock, client: TestClient
) -> dict[str, Any]:
    """Four postings on 2026-05-05 (ten days late), one of them reversed the same day."""
    clock.set_day(date(2026, 5, 5))
    posted = {
        # 居民 A pays everything, rounded up: 43 fen of rounding credit.
        "p1": _post(client, "T0001-1", "0100100001", 138300,
                    [("202601", 100, 8480), ("202602", 1102, 110234), ("202603", 182, 18159)],
                    rounding_added=43),
        # 非居民 C pays January: 77600 + 2 ‰ × 10 days = 1552.
        "p2": _post(client, "T0001-2", "0200100001", 79152, [("202601", 1552, 77600)]),
        # 合表 D pays January at the counter: 19490 + 194.9 → 195.
        "p3": _post(client, "C0001-3", "0200100002", 19685, [("202601", 195, 19490)],
                    channel="COUNTER"),
        # 低保 B pays both bills (penalties 22.61 and 50.88, each raised to 1 yuan) and prepays 451.
        "p4": _post(client, "T0001-4", "0100100002", 8000,
                    [("202602", 100, 2261), ("202603", 100, 5088)], prepaid_added=451),
    }  # fmt: skip
    reversed_ = _undo(client, "reversal", posted["p3"], "2026-05-05")
    assert reversed_.status_code == 200, reversed_.text
    return posted


def _assert_summary_is_sum_of_detail(report: dict[str, Any]) -> None:
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in report["detail"]:
        group = sums[(line["station_code"], line["channel"])]
        posting = line["kind"] == "posting"
        group["posting_count"] += posting
        group["posting_amount"] += line["amount_fen"] if posting else 0
        group["undo_count"] += not posting
        group["undo_amount"] += 0 if posting else line["amount_fen"]
        for name in ("penalty", "principal", "prepaid_net"):
            group[name] += line[name]
        group["net_amount"] += line["amount_fen"]
    assert len(report["summary"]) == len(sums)
    for row in report["summary"]:
        expected = sums[(row["station_code"], row["channel"])]
        for name, value in expected.items():
            assert row[name] == value, (row["station_code"], row["channel"], name)
        assert row["net_amount"] == row["penalty"] + row["principal"] + row["prepaid_net"]
    assert report["net_amount"] == sum(line["amount_fen"] for line in report["detail"])


def test_the_daily_report_sums_its_detail(
    day_of_postings: dict[str, Any], client: TestClient
) -> None:
    report = ok(client.get("/v1/reports/postings", params={"business_date": "2026-05-05"}))
    _assert_summary_is_sum_of_detail(report)
    by_group = {(row["station_code"], row["channel"]): row for row in report["summary"]}
    tiantang = by_group[("34082801", "POS")]
    assert tiantang["station_name_zh"] == "天堂供电所"
    assert (tiantang["posting_count"], tiantang["posting_amount"]) == (2, 138300 + 8000)
    assert tiantang["prepaid_net"] == 43 + 451
    counter = by_group[("34082802", "COUNTER")]
    assert (counter["posting_count"], counter["undo_count"], counter["net_amount"]) == (1, 1, 0)
    assert report["net_amount"] == 138300 + 79152 + 8000
    kinds = [(line["kind"], line["payment_id"]) for line in report["detail"]]
    assert ("reversal", "C0001-3") in kinds
    assert report["posting_count"] == 4
    assert report["undo_count"] == 1


def test_the_reconciliation_file_round_trips(
    day_of_postings: dict[str, Any], client: TestClient
) -> None:
    response = client.get("/v1/reconciliation-files/20260505")
    assert response.status_code == 200
    assert "GBK" in response.headers["content-type"]
    parsed = parse_reconciliation_file(response.content)
    assert parsed.business_date == date(2026, 5, 5)
    assert parsed.batch_no == "20260505001"
    assert [line.payment_id for line in parsed.lines] == ["T0001-1", "T0001-2", "T0001-4"]
    assert parsed.total_fen == 138300 + 79152 + 8000
    assert response.content.splitlines()[0] == b"20260505|3|225452|20260505001"
    assert [line.prepaid_fen for line in parsed.lines] == [43, 0, 451]
    empty = parse_reconciliation_file(client.get("/v1/reconciliation-files/20260504").content)
    assert empty.lines == ()


def test_reversal_restores_and_repeats_and_refuses_the_other_kind(
    day_of_postings: dict[str, Any], client: TestClient
) -> None:
    p3 = day_of_postings["p3"]
    again = ok(_undo(client, "reversal", p3, "2026-05-05"))
    assert again["state"] == "reversed"
    assert again["kind"] == "reversal"
    assert again["reason"] == "客户取回现金"
    arrears = ok(client.get("/v1/customers/0200100002/arrears", params={"as_of": "2026-05-05"}))
    assert [line["period"] for line in arrears["receivables"]] == ["202601", "202602", "202603"]
    assert arrears["receivables"][0]["principal_paid"] == 0
    assert arrears["receivables"][0]["settle_state"] == "unpaid"
    other = _undo(client, "cancellation", p3, "2026-05-06")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "posting_already_reversed"
    assert ok(client.get("/v1/postings/C0001-3"))["state"] == "reversed"


def test_cancellation_on_a_later_day_shows_on_that_day(
    day_of_postings: dict[str, Any], client: TestClient, clock: Clock
) -> None:
    clock.set_day(date(2026, 5, 6))
    p2 = day_of_postings["p2"]
    late_reversal = _undo(client, "reversal", p2, "2026-05-06")
    assert late_reversal.status_code == 422
    assert late_reversal.json()["error"]["code"] == "reversal_not_same_day"
    cancelled = ok(_undo(client, "cancellation", p2, "2026-05-06", reason="隔日抹帐"))
    assert (cancelled["state"], cancelled["business_date"]) == ("cancelled", "2026-05-06")
    next_day = ok(client.get("/v1/reports/postings", params={"business_date": "2026-05-06"}))
    _assert_summary_is_sum_of_detail(next_day)
    assert [(line["kind"], line["amount_fen"]) for line in next_day["detail"]] == [
        ("cancellation", -79152)
    ]
    # The day it was posted keeps it: that day's file never changes once the day is over.
    first_day = ok(client.get("/v1/reports/postings", params={"business_date": "2026-05-05"}))
    _assert_summary_is_sum_of_detail(first_day)
    assert first_day["net_amount"] == 138300 + 79152 + 8000
    file = parse_reconciliation_file(client.get("/v1/reconciliation-files/20260505").content)
    assert "T0001-2" in [line.payment_id for line in file.lines]
    arrears = ok(client.get("/v1/customers/0200100001/arrears", params={"as_of": "2026-05-06"}))
    assert arrears["receivables"][0]["period"] == "202601"
    assert arrears["receivables"][0]["penalty"] == 1707  # 77600 × 22 ‰ = 1707.2


def test_undo_refusals(
    day_of_postings: dict[str, Any], client: TestClient, mis_engine: Engine
) -> None:
    p1, p4 = day_of_postings["p1"], day_of_postings["p4"]
    unknown = _undo(client, "reversal", {**p1, "payment_id": "T0001-999"}, "2026-05-05")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "posting_not_found"
    wrong_serial = _undo(client, "reversal", p1, "2026-05-05", serial="2026050500000099")
    assert wrong_serial.status_code == 422
    assert wrong_serial.json()["error"] == {
        **wrong_serial.json()["error"],
        "code": "undo_mismatch",
        "field": "serial",
    }
    wrong_amount = _undo(client, "reversal", p1, "2026-05-05", amount_fen=138299)
    assert wrong_amount.json()["error"]["field"] == "amount_fen"
    backdated = _undo(client, "cancellation", p1, "2026-05-04")
    assert backdated.json()["error"]["code"] == "undo_date_invalid"
    # B's 451 fen of prepaid has been spent since: the cancellation cannot take it back.
    with mis_engine.begin() as connection:
        connection.execute(
            update(customers).where(customers.c.account_no == "0100100002").values(prepaid=0)
        )
    spent = _undo(client, "cancellation", p4, "2026-05-05")
    assert spent.status_code == 409
    assert spent.json()["error"]["code"] == "prepaid_already_used"
    assert ok(client.get("/v1/postings/T0001-4"))["state"] == "posted"
