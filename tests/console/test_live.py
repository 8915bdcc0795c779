"""Server-Sent Events plumbing: the wire format, fan-out from any thread, heartbeats, the end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from gridpos.interfaces.console.live import (
    EventBroker,
    ServerEvent,
    event_stream,
    poll,
    subscription_events,
)

from .helpers import run_async


class _Request:
    """What event_stream needs of a request: whether the browser went away."""

    def __init__(self, disconnect_after: int = 1_000) -> None:
        self.calls = 0
        self.disconnect_after = disconnect_after

    async def is_disconnected(self) -> bool:
        self.calls += 1
        return self.calls > self.disconnect_after


def test_an_event_is_written_as_the_event_stream_format() -> None:
    event = ServerEvent("payment", '<tr id="p1">\n<td>12.50</td></tr>')
    assert event.encode() == (b'event: payment\ndata: <tr id="p1">\ndata: <td>12.50</td></tr>\n\n')


def test_events_published_from_another_thread_reach_every_listener_in_order() -> None:
    async def scenario() -> tuple[list[str], list[str], int]:
        broker = EventBroker()
        first = broker.subscribe("station:5")
        second = broker.subscribe("station:5")
        other = broker.subscribe("station:6")

        def publisher() -> None:
            for n in range(3):
                broker.publish("station:5", ServerEvent("payment", f"p{n}"))

        thread = threading.Thread(target=publisher)
        thread.start()
        thread.join(timeout=5)
        got_first = [(await asyncio.wait_for(first.queue.get(), 2)).data for _ in range(3)]
        got_second = [(await asyncio.wait_for(second.queue.get(), 2)).data for _ in range(3)]
        first.close()
        return got_first, got_second, broker.listeners("station:5") + other.queue.qsize()

    got_first, got_second, remaining = run_async(scenario())
    assert got_first == got_second == ["p0", "p1", "p2"]
    assert remaining == 1  # the second listener is left; station 6 got nothing


def test_a_slow_listener_keeps_the_newest_events() -> None:
    async def scenario() -> tuple[int, str, int]:
        broker = EventBroker()
        slow = broker.subscribe("t")
        for n in range(300):
            slow.offer(ServerEvent("e", str(n)))
        return slow.queue.qsize(), slow.queue.get_nowait().data, slow.dropped

    size, oldest, dropped = run_async(scenario())
    assert (size, oldest, dropped) == (256, "44", 44)


def test_the_stream_sends_heartbeats_in_silence_and_ends_with_its_events() -> None:
    async def two_events() -> AsyncIterator[ServerEvent]:
        await asyncio.sleep(0.05)
        yield ServerEvent("a", "1")
        yield ServerEvent("b", "2")

    async def scenario() -> list[bytes]:
        return [
            chunk
            async for chunk in event_stream(
                _Request(),
                two_events(),
                heartbeat_s=0.01,  # type: ignore[arg-type]
            )
        ]

    chunks = run_async(scenario())
    assert chunks[0] == b": connected\n\n"
    assert b": heartbeat\n\n" in chunks
    assert chunks[-2:] == [b"event: a\ndata: 1\n\n", b"event: b\ndata: 2\n\n"]


def test_the_stream_stops_when_the_browser_goes_away_and_frees_the_subscription() -> None:
    async def scenario() -> tuple[int, int]:
        broker = EventBroker()
        subscription = broker.subscribe("t")
        chunks = [
            chunk
            async for chunk in event_stream(
                _Request(disconnect_after=3),  # type: ignore[arg-type]
                subscription_events(subscription),
                heartbeat_s=0.01,
            )
        ]
        await asyncio.sleep(0)  # let the cancelled reader close its subscription
        return len(chunks), broker.listeners("t")

    count, listeners = run_async(scenario())
    assert count == 4  # connected + three heartbeats
    assert listeners == 0


def test_poll_turns_reads_into_events() -> None:
    async def scenario() -> list[str]:
        reads = iter([None, ServerEvent("n", "1"), None, ServerEvent("n", "2")])

        async def read() -> ServerEvent | None:
            return next(reads)

        out: list[str] = []
        async for event in poll(read, every_s=0):
            out.append(event.data)
            if len(out) == 2:
                break
        return out

    assert run_async(scenario()) == ["1", "2"]
