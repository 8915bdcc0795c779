"""The MIS client names every way a call can go wrong, and never lets another error escape.

A hand-written transport plays the MIS for the answers a well-behaved reference MIS never gives
(garbage, a proxy's error page, a stall); a closed port plays an absent one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import date

import httpx
import pytest

from gridpos.adapters.mis import (
    MisClient,
    MisMalformedError,
    MisRefusedError,
    MisUnreachableError,
)
from gridpos.protocol.mis import API_KEY_HEADER

Answer = Callable[[httpx.Request], httpx.Response]


def _client(answer: Answer) -> MisClient:
    return MisClient(
        base_url="http://mis.test", api_key="k-1", transport=httpx.MockTransport(answer)
    )


def _error(status: int, code: str, field: str | None = None) -> Answer:
    body = {"error": {"code": code, "field": field, "message_zh": "拒绝", "message_en": "no"}}
    return lambda _request: httpx.Response(status, json=body)


def test_the_key_is_sent_and_path_values_are_escaped() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"error": {
            "code": "posting_not_found", "message_zh": "无", "message_en": "none"}})  # fmt: skip

    assert _client(answer).find_posting("a/../b") is None
    assert seen[0].headers[API_KEY_HEADER] == "k-1"
    assert seen[0].url.raw_path == b"/v1/postings/a%2F..%2Fb"


def test_a_refusal_keeps_the_mis_code_and_says_whether_it_is_final() -> None:
    with pytest.raises(MisRefusedError) as refused:
        _client(_error(409, "receivable_settled", "lines[0]")).customer("0100100001")
    error = refused.value
    assert (error.code, error.mis_code, error.status, error.field) == (
        "mis_refused",
        "receivable_settled",
        409,
        "lines[0]",
    )
    assert error.permanent
    assert error.message_zh == "营销系统拒绝了请求：拒绝"
    assert error.details["operation"] == "customer"
    with pytest.raises(MisRefusedError) as key:
        _client(_error(401, "unauthorized")).organisation()
    assert key.value.transient  # a wrong key is fixed by an operator, not by giving up
    with pytest.raises(MisRefusedError) as other:
        _client(_error(404, "route_not_found")).find_posting("P-1")
    assert other.value.mis_code == "route_not_found"


@pytest.mark.parametrize(
    ("answer", "mis_code"),
    [
        (_error(503, "mis_down"), "mis_down"),
        (lambda _r: httpx.Response(502, text="<html>Bad Gateway</html>"), "http_502"),
    ],
)
def test_a_5xx_is_an_unreachable_mis(answer: Answer, mis_code: str) -> None:
    with pytest.raises(MisUnreachableError) as down:
        _client(answer).changes(since=0, limit=10)
    assert down.value.code == "mis_unavailable"
    assert down.value.details["mis_code"] == mis_code


@pytest.mark.parametrize(
    "answer",
    [
        lambda _r: httpx.Response(200, text="not json"),
        lambda _r: httpx.Response(200, json={"since": 0}),
        lambda _r: httpx.Response(
            200,
            json={
                "since": 0,
                "next_watermark": "x",
                "has_more": False,
                "customers": [],
                "receivables": [],
            },
        ),
        lambda _r: httpx.Response(400, text="<html>Bad Request</html>"),
    ],
)
def test_an_answer_that_is_not_the_promised_message_is_malformed(answer: Answer) -> None:
    with pytest.raises(MisMalformedError) as malformed:
        _client(answer).changes(since=0, limit=10)
    assert malformed.value.code == "mis_malformed"
    assert malformed.value.transient


def test_a_stall_is_a_timeout_and_a_closed_port_is_unreachable() -> None:
    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("stalled", request=request)

    with pytest.raises(MisUnreachableError) as slow:
        _client(stall).arrears("0100100001", as_of=date(2026, 4, 10), timeout_s=0.5)
    assert slow.value.code == "mis_timeout"
    assert slow.value.message_en == "the MIS did not answer within 0.5 s"

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    absent = MisClient(base_url=f"http://127.0.0.1:{port}", api_key="k", timeout_s=1)
    with absent, pytest.raises(MisUnreachableError) as gone:
        absent.organisation()
    assert gone.value.code == "mis_unreachable"
    assert gone.value.details["problem"] == "ConnectError"


def test_a_timeout_must_be_above_zero() -> None:
    with pytest.raises(ValueError, match="above zero"):
        MisClient(base_url="http://mis.test", api_key="k", timeout_s=0)
