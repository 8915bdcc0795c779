"""Live pages over Server-Sent Events, for the htmx SSE extension (``hx-ext="sse"``,
``sse-connect``, ``sse-swap``; htmx 2 syntax — pinned, htmx 4 changes it).

:class:`EventBroker` fans events out to the pages listening in this process; publishers may be
in any thread (a use case's code run in the thread pool publishes after its commit).
:func:`event_stream` turns a subscription into the ``text/event-stream`` body, with a comment
line as heartbeat so proxies keep the connection, ending when the browser goes away.

With several server processes an event reaches only the listeners of the process that
published it: a page that must see every process's events publishes from what it reads in the
database on a timer (``poll``), which works the same with one process or many.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import StreamingResponse

HEARTBEAT_S = 15.0
QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One event: ``name`` is what ``sse-swap`` listens for, ``data`` usually an HTML fragment."""

    name: str
    data: str

    def encode(self) -> bytes:
        """The event as the ``text/event-stream`` format writes it (one ``data:`` per line)."""
        lines = [f"event: {self.name}"]
        lines.extend(f"data: {line}" for line in self.data.split("\n"))
        return ("\n".join(lines) + "\n\n").encode("utf-8")


class Subscription:
    """The events of one topic for one listener, in order; the oldest are dropped when a slow
    listener falls :data:`QUEUE_SIZE` behind (a live page only needs the latest)."""

    def __init__(self, broker: EventBroker, topic: str, loop: asyncio.AbstractEventLoop) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[ServerEvent] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._broker = broker
        self._loop = loop
        self.dropped = 0

    def offer(self, event: ServerEvent) -> None:
        """Queue ``event`` (called on the subscriber's loop)."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    def deliver(self, event: ServerEvent) -> None:
        """Queue ``event`` from any thread."""
        self._loop.call_soon_threadsafe(self.offer, event)

    def close(self) -> None:
        self._broker.unsubscribe(self)


class EventBroker:
    """Topics and their listeners in this process."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = {}

    def subscribe(self, topic: str) -> Subscription:
        """Listen to ``topic`` (call on the event loop; close the subscription when done)."""
        subscription = Subscription(self, topic, asyncio.get_running_loop())
        self._subscriptions.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        listeners = self._subscriptions.get(subscription.topic)
        if listeners is not None:
            listeners.discard(subscription)
            if not listeners:
                del self._subscriptions[subscription.topic]

    def publish(self, topic: str, event: ServerEvent) -> int:
        """Send ``event`` to every listener of ``topic`` (from any thread); how many."""
        listeners = list(self._subscriptions.get(topic, ()))
        for subscription in listeners:
            subscription.deliver(event)
        return len(listeners)

    def listeners(self, topic: str) -> int:
        return len(self._subscriptions.get(topic, ()))


async def event_stream(
    request: Request,
    events: AsyncIterator[ServerEvent],
    *,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[bytes]:
    """The bytes of an event stream: each event, and a heartbeat comment after every
    ``heartbeat_s`` of silence; stops when the browser disconnects or ``events`` ends."""
    pending: asyncio.Task[ServerEvent] | None = None
    try:
        yield b": connected\n\n"
        while not await request.is_disconnected():
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat_s)
            if not done:
                yield b": heartbeat\n\n"
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield event.encode()
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending


async def subscription_events(subscription: Subscription) -> AsyncIterator[ServerEvent]:
    """The events of ``subscription`` as they come (closes it when the stream ends)."""
    try:
        while True:
            yield await subscription.queue.get()
    finally:
        subscription.close()


async def poll(
    read: Callable[[], Awaitable[ServerEvent | None]], *, every_s: float
) -> AsyncIterator[ServerEvent]:
    """Events made by calling ``read`` every ``every_s`` (None: nothing new this time)."""
    while True:
        event = await read()
        if event is not None:
            yield event
        await asyncio.sleep(every_s)


def sse_response(request: Request, events: AsyncIterator[ServerEvent]) -> StreamingResponse:
    """A ``text/event-stream`` answer of ``events`` (not cached, not buffered by proxies)."""
    return StreamingResponse(
        event_stream(request, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
