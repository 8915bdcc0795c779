"""The link between the stacks the project really uses: httpx on the terminal's side, uvicorn
serving an ASGI app on the server's side. Each cut shows up in httpx as the error it will meet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from gridpos.sim.link import LinkProfile, RunningLink, script_from_data


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[tuple[tuple[str, int], list[dict[str, Any]]]]:
    app = FastAPI()
    committed: list[dict[str, Any]] = []

    @app.post("/t/v1/payments")
    async def pay(body: dict[str, Any]) -> dict[str, Any]:
        committed.append(body)
        return {"state": "confirmed", "fen": body["fen"]}

    @app.get("/t/v1/report")
    async def report() -> StreamingResponse:
        async def rows() -> Any:
            for _ in range(3):
                yield b"r" * 100

        return StreamingResponse(rows())

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    yield ("127.0.0.1", port), committed
    server.should_exit = True
    thread.join(timeout=5)


def test_each_cut_as_httpx_meets_it_against_uvicorn(
    asgi_server: tuple[tuple[str, int], list[dict[str, Any]]],
) -> None:
    address, committed = asgi_server
    committed.clear()
    script = script_from_data(
        [
            {"request": 2, "cut": "cut_before_answer"},
            {"request": 3, "cut": "cut_mid_answer"},
            {"request": 4, "cut": "cut_mid_answer", "answer_bytes": 350},
            {"request": 5, "cut": "drop_request"},
            {"request": 6, "cut": "black_hole"},
        ]
    )
    profile = LinkProfile(name="quick", one_way_ms=5)
    with (
        RunningLink(upstream=address, profile=profile, seed=1, script=script) as link,
        httpx.Client(base_url=f"http://{link.address[0]}:{link.address[1]}", timeout=2) as http,
    ):
        assert http.post("/t/v1/payments", json={"fen": 100}).json()["fen"] == 100
        with pytest.raises(httpx.ReadError):  # reset: the server committed, nothing came back
            http.post("/t/v1/payments", json={"fen": 200})
        with pytest.raises(httpx.RemoteProtocolError):  # half the answer, then the end
            http.post("/t/v1/payments", json={"fen": 300})
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            http.get("/t/v1/report")
        with pytest.raises(httpx.ReadError):
            http.post("/t/v1/payments", json={"fen": 500})
        with pytest.raises(httpx.ReadTimeout):
            http.post("/t/v1/payments", json={"fen": 600}, timeout=0.5)
        assert http.post("/t/v1/payments", json={"fen": 700}).json()["fen"] == 700
        stats = link.stats()
    assert [row["fen"] for row in committed] == [100, 200, 300, 700]
    assert [(e.index, e.cut, e.request_delivered, e.answered) for e in stats.exchanges] == [
        (1, None, True, True),
        (2, "cut_before_answer", True, False),
        (3, "cut_mid_answer", True, False),
        (4, "cut_mid_answer", True, False),
        (5, "drop_request", False, False),
        (6, "black_hole", False, False),
        (7, None, True, True),
    ]
    fourth = stats.exchange(4)
    assert fourth is not None
    assert fourth.answer_bytes == 350
