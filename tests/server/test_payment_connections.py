"""The PostgreSQL payment path's own connections: a payment that has to wait for one is served
before a payment that comes after it, however the two meet the freed connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import make_url

from gridpos.adapters.db import migrate
from gridpos.adapters.db.payment_store.postgresql import PaymentConnections


async def _in_turn(url: str) -> list[str]:
    served: list[str] = []
    async with PaymentConnections(make_url(url), size=1) as pool:

        async def pay(name: str) -> None:
            async with pool.transaction():
                served.append(name)

        first = pool.transaction()
        await first.__aenter__()
        queued = asyncio.create_task(pay("queued"))
        await asyncio.sleep(0.05)  # the only connection is taken: "queued" waits for it
        await first.__aexit__(None, None, None)
        # asks as the connection is given back, before "queued" has run again
        await pay("late")  # (awaited here, not a task of its own: no turn of the loop between)
        await asyncio.wait_for(queued, timeout=10)
        await pay("alone")  # nobody waiting: taken at once
    return served


def test_a_payment_waiting_for_a_connection_is_served_first(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("postgresql")
    migrate.upgrade(url)
    # a loop of its own thread: the browser tests' Playwright may keep one running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, _in_turn(url)).result() == ["queued", "late", "alone"]
