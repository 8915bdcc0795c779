"""Bad input gets a named refusal (code, field, zh and en) and changes nothing; never a 5xx."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import func, select

from gridpos.adapters.db.tables import agents, payments
from gridpos.protocol.terminal import routes

from .helpers import sign_in
from .support import FLOAT, START, County

_TXN = "34080017-1-0a1b2c3d"
_GOOD = {
    "txn": _TXN,
    "trace": 1,
    "acct": "0100000003",
    "cash": 100,
    "due": 0,
    "at": int(START.timestamp()),
}

BAD_BODIES = [
    (b"{not json", "malformed_request", None),
    (b"[1, 2]", "malformed_request", None),
    (b'{"txn": "34080017-1-0a1b2c3d"}', "invalid_field", "trace"),
    ({**_GOOD, "cash": "100"}, "amount_invalid", "cash"),
    ({**_GOOD, "cash": 100.0}, "amount_invalid", "cash"),
    ({**_GOOD, "cash": 100.5}, "amount_invalid", "cash"),
    ({**_GOOD, "cash": 0}, "amount_invalid", "cash"),
    ({**_GOOD, "cash": -100}, "amount_invalid", "cash"),
    ({**_GOOD, "cash": 10**15}, "amount_invalid", "cash"),
    ({**_GOOD, "cash": True}, "amount_invalid", "cash"),
    ({**_GOOD, "acct": "12"}, "invalid_field", "acct"),
    ({**_GOOD, "trace": "one"}, "invalid_field", "trace"),
    ({**_GOOD, "extra": 1}, "invalid_field", "extra"),
    ({**_GOOD, "txn": "34089999-1-0a1b2c3d"}, "invalid_field", "txn"),
    ({**_GOOD, "at": "yesterday"}, "invalid_field", "at"),
]


@pytest.mark.parametrize(("body", "code", "field"), BAD_BODIES)
def test_a_bad_payment_body_is_refused_by_name(
    county: County, body: object, code: str, field: str | None
) -> None:
    client = county.client()
    sign_in(client)
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    refused = client.refused(routes.PAY, body=raw)
    assert (refused["code"], refused.get("field")) == (code, field)
    with county.services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 0
        assert (
            conn.execute(
                select(agents.c.float_available).where(agents.c.id == county.ids["agent"])
            ).scalar_one()
            == FLOAT
        )


def test_unknown_routes_methods_and_oversized_bodies(county: County) -> None:
    http = county.http
    unknown = http.get("/t/v1/nothing-here")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "route_unknown")
    wrong_method = http.get("/t/v1/pay")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")
    client = county.client()
    huge = client.send(routes.PAY, body=b"{" + b" " * 70_000 + b"}")
    assert (huge.status_code, huge.json()["code"]) == (413, "body_too_large")
    unsigned = county.http.get("/t/v1/acct/not-digits")
    assert unsigned.json()["code"] == "unsigned"


def test_health_and_metrics(county: County) -> None:
    health = county.http.get("/healthz")
    assert health.status_code == 200
    assert health.json()["ok"] is True
    client = county.client()
    sign_in(client)
    client.refused(routes.PAY, body=b"{")
    page = county.http.get("/metrics").text
    assert 'gridpos_terminal_refusals_total{code="malformed_request"}' in page
    assert "gridpos_outbox_backlog" in page
    assert "gridpos_payments" in page
