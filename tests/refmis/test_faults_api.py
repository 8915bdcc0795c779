"""Failure on purpose (slow, error, down), the admin switch, the API key, the OpenAPI document."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from gridpos.protocol.mis import FaultSettings
from gridpos.refmis.errors import MisError
from gridpos.refmis.faults import parse_fault_setting

from .support import ok


@pytest.fixture
def database_kind() -> str:
    """Faults act before any database work: SQLite is enough here."""
    return "sqlite"


def test_slow_answers_wait_but_the_admin_switch_does_not(client: TestClient) -> None:
    ok(client.post("/admin/faults", json={"mode": "slow", "delay_ms": 300}))
    started = time.perf_counter()
    ok(client.get("/v1/organisation"))
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    assert ok(client.get("/admin/faults")) == {
        "mode": "slow",
        "delay_ms": 300,
        "error_percent": 100,
    }
    assert time.perf_counter() - started < 0.3


def test_error_mode_fails_the_stated_share_of_requests_evenly(client: TestClient) -> None:
    ok(client.post("/admin/faults", json={"mode": "error", "error_percent": 50}))
    answers = [client.get("/v1/organisation") for _ in range(6)]
    assert [answer.status_code for answer in answers] == [200, 503, 200, 503, 200, 503]
    assert answers[1].json()["error"]["code"] == "mis_unavailable"
    ok(client.post("/admin/faults", json={"mode": "error"}))
    assert {client.get("/healthz").status_code for _ in range(3)} == {503}


def test_down_refuses_everything_until_switched_back(client: TestClient) -> None:
    ok(client.post("/admin/faults", json={"mode": "down"}))
    down = client.get("/v1/organisation")
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "mis_down"
    assert down.headers["connection"] == "close"
    assert client.get("/healthz").status_code == 503
    ok(client.post("/admin/faults", json={"mode": "normal"}))
    assert len(ok(client.get("/v1/organisation"))["stations"]) == 24


def test_the_admin_switch_needs_the_key_and_valid_settings(client: TestClient) -> None:
    no_key = client.post("/admin/faults", json={"mode": "down"}, headers={"X-API-Key": ""})
    assert no_key.status_code == 401
    bad = client.post("/admin/faults", json={"mode": "broken"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "mode"
    assert ok(client.get("/admin/faults"))["mode"] == "normal"


def test_the_openapi_document_is_published_without_a_key(client: TestClient) -> None:
    document = client.get("/openapi.json", headers={"X-API-Key": ""}).json()
    for path in (
        "/v1/changes",
        "/v1/customers/{account_no}/arrears",
        "/v1/postings",
        "/v1/postings/{payment_id}/reversal",
        "/v1/postings/{payment_id}/cancellation",
        "/v1/reports/postings",
        "/v1/reconciliation-files/{day}",
        "/v1/billing-runs",
        "/admin/faults",
    ):
        assert path in document["paths"], path
    assert "ErrorResponse" in document["components"]["schemas"]
    assert client.get("/v1/organisation", headers={"X-API-Key": ""}).status_code == 401
    unknown = client.get("/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "route_not_found"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("normal", FaultSettings()),
        ("slow:2000", FaultSettings(mode="slow", delay_ms=2000)),
        ("error:25", FaultSettings(mode="error", error_percent=25)),
        ("down", FaultSettings(mode="down")),
    ],
)
def test_fault_settings_from_text(text: str, expected: FaultSettings) -> None:
    assert parse_fault_setting(text) == expected


@pytest.mark.parametrize("text", ["slow:-1", "error:101", "error:x", "sideways"])
def test_bad_fault_settings_are_refused(text: str) -> None:
    with pytest.raises(MisError) as refused:
        parse_fault_setting(text)
    assert refused.value.code == "faults_invalid"
