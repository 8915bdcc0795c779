"""Concurrent requests: one payment for identical requests, and a float never overdrawn."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from httpx import Response
from sqlalchemy import func, select

from gridpos.adapters.db.tables import agents, payments
from gridpos.protocol.terminal import routes

from .helpers import payment, sign_in
from .support import FLOAT, TERMINAL2, County, SignedClient


def test_identical_requests_at_once_make_one_payment(live: County) -> None:
    client = live.client()
    sign_in(client)
    request = payment(client, "0100000001", 17100, 17100)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: client.send(routes.PAY, request), range(8)))
    answered = [r for r in responses if r.status_code == 200]
    refused = {r.json()["code"] for r in responses if r.status_code != 200}
    assert answered, [r.text for r in responses]
    assert refused <= {"replayed_counter"}
    assert len({r.json()["vc"] for r in answered}) == 1
    with live.services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 1
        assert (
            conn.execute(
                select(agents.c.float_available).where(agents.c.id == live.ids["agent"])
            ).scalar_one()
            == FLOAT - 17100
        )
    live.verify()


def test_two_terminals_of_one_agent_racing_cannot_overdraw_the_float(live: County) -> None:
    first, second = live.client(), live.client(TERMINAL2)
    sign_in(first)
    sign_in(second)
    cash = 30_000  # the float of 1,000.00 yuan affords exactly three

    def collect(client: SignedClient) -> list[Response]:
        # a terminal sends one request after another; the two terminals race each other
        return [client.send(routes.PAY, payment(client, "0100000003", cash, 0)) for _ in range(5)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = [r for batch in pool.map(collect, (first, second)) for r in batch]
    codes = sorted(r.json()["code"] if r.status_code != 200 else "ok" for r in responses)
    assert codes == ["float_insufficient"] * 7 + ["ok"] * 3
    with live.services.engine.connect() as conn:
        left = conn.execute(
            select(agents.c.float_available).where(agents.c.id == live.ids["agent"])
        ).scalar_one()
    assert left == FLOAT - 3 * cash
    live.verify()
