"""One direction of a connection: chunks queued with their arrival times, and the socket helpers
the writers use (write with a timeout, close with a reset).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from dataclasses import dataclass

from gridpos.sim.link.cuts import Closing
from gridpos.sim.link.profiles import LinkProfile
from gridpos.sim.link.shaping import DirectionPacer, Shape
from gridpos.sim.link.stats import ExchangeRecord

READ_SIZE = 64 * 1024


@dataclass(slots=True)
class Delivery:
    """Bytes (of ``exchange``, the last ones if ``completes``), an end of stream, or a close."""

    at: float
    data: bytes = b""
    exchange: ExchangeRecord | None = None
    completes: bool = False
    eof: bool = False
    closing: Closing | None = None


def shape_of(profile: LinkProfile) -> Shape:
    return Shape(
        one_way_s=profile.one_way_s, jitter_s=profile.jitter_s, bytes_per_s=profile.bytes_per_s
    )


class PacedQueue:
    """The deliveries of one direction in arrival order, timed by its pacer."""

    def __init__(self, *, jitter: random.Random) -> None:
        self._pacer = DirectionPacer(jitter=jitter)
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()

    def hold(self, *, until: float) -> None:
        self._pacer.hold(until=until)

    def send(
        self,
        data: bytes,
        *,
        exchange: ExchangeRecord | None,
        completes: bool,
        now: float,
        profile: LinkProfile,
    ) -> None:
        """Queue ``data`` handed to the line at ``now`` (in slices when the line is capped)."""
        shape = shape_of(profile)
        sizes = self._pacer.slices(len(data), shape)
        arrivals = self._pacer.schedule(now=now, sizes=sizes, shape=shape)
        offset = 0
        for size, at in zip(sizes, arrivals, strict=True):
            last = offset + size >= len(data)
            chunk = data[offset : offset + size]
            self._queue.put_nowait(
                Delivery(at=at, data=chunk, exchange=exchange, completes=completes and last)
            )
            offset += size

    def send_end(self, *, now: float, profile: LinkProfile, closing: Closing | None) -> None:
        """Queue the end of the stream (``closing`` None) or a close, after everything queued."""
        at = self._pacer.schedule(now=now, sizes=[0], shape=shape_of(profile))[-1]
        self._queue.put_nowait(Delivery(at=at, eof=closing is None, closing=closing))

    @property
    def busy_until(self) -> float:
        """When the last delivery queued so far is due (held bytes keep a connection busy)."""
        return self._pacer.last_arrival

    def clear(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def get(self) -> Delivery:
        return await self._queue.get()


def reset_transport(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST: SO_LINGER on with a zero timeout, then close without flushing."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def no_delay(writer: asyncio.StreamWriter) -> None:
    """Send small writes at once (no Nagle): the link adds its own delays."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """The next bytes, or ``b""`` at the end of the stream or on a socket error."""
    try:
        return await reader.read(READ_SIZE)
    except OSError:
        return b""


async def write_chunk(writer: asyncio.StreamWriter, data: bytes, *, timeout: float) -> bool:
    """Write and drain within ``timeout``; False when the peer is gone or stuck."""
    if not data:
        return True
    try:
        writer.write(data)
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
        async with asyncio.timeout(timeout):
            await writer.drain()
    except (OSError, TimeoutError):
        return False
    return True
