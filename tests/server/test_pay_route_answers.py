"""The pay route's HTTP answers, whichever way it is served (in the event loop on PostgreSQL, on a
worker thread elsewhere): status, headers and body alike — a receipt, a refusal, a body too large,
a signature the process cannot check from its cache."""

from __future__ import annotations

import re

import httpx

from gridpos.protocol.codec import MAX_BODY_BYTES
from gridpos.protocol.terminal import routes

from .helpers import payment, sign_in
from .support import TERMINAL, County


def _shape(response: httpx.Response) -> tuple[int, list[str], str]:
    names = [name.lower() for name in response.headers]
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    return response.status_code, names, response.headers["x-request-id"]


def test_the_pay_route_answers_alike_on_every_database(county: County) -> None:
    client = county.client()
    refused = client.send(
        routes.PAY,
        payment(client, "0100000001", 17100, 17100),
        headers={"x-request-id": "req-refused"},
    )
    assert refused.json()["code"] == "not_signed_in"
    assert _shape(refused) == (
        403,
        ["content-length", "content-type", "x-request-id"],
        "req-refused",
    )

    sign_in(client)
    paid = client.send(routes.PAY, payment(client, "0100000001", 17100, 17100))
    status, names, request_id = _shape(paid)
    assert (status, names) == (200, ["content-length", "content-type", "x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)  # made up when the terminal sent none
    assert paid.json()["cash"] == 17100

    huge = client.send(routes.PAY, body=b"x" * (MAX_BODY_BYTES + 1))
    assert (huge.status_code, huge.json()["code"]) == (413, "body_too_large")
    assert "x-request-id" in huge.headers

    # a key this process has not cached: read from the database, the payment then goes through
    county.services.directory.forget(TERMINAL)
    again = client.send(routes.PAY, payment(client, "0100000003", 100, 0))
    assert again.status_code == 200, again.text
    forged = county.client()
    forged.key = b"x" * 32
    forged.counter = 1_000
    bad = forged.send(routes.PAY, payment(forged, "0100000003", 100, 0))
    assert bad.json()["code"] == "bad_signature"
    county.verify()
