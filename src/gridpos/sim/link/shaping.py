"""When each byte arrives: one direction of the link as a serial line plus a propagation delay.

Bytes leave at the bandwidth cap (a token bucket with no burst: a chunk occupies the line for
``size / bytes_per_s`` seconds after the line is free), then travel ``one_way`` ± ``jitter``
seconds. Arrivals never overtake each other, as TCP delivers in order. A stall holds the line for a
while: nothing sent meanwhile leaves before it ends. Pure arithmetic on times passed in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Slices keep a capped line trickling (about 20 ms of line time each) instead of delivering a large
# chunk all at once when its last byte would have arrived.
SLICE_SECONDS = 0.02
MIN_SLICE_BYTES = 64
MAX_SLICE_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class Shape:
    """One direction's latency, jitter and bandwidth (``None``: no cap), in seconds and bytes."""

    one_way_s: float
    jitter_s: float = 0.0
    bytes_per_s: float | None = None


class DirectionPacer:
    """Delivery times for the chunks of one direction of one connection."""

    def __init__(self, *, jitter: random.Random) -> None:
        self._jitter = jitter
        self._line_free_at = 0.0
        self._last_arrival = 0.0

    @property
    def last_arrival(self) -> float:
        """When the last chunk scheduled so far arrives."""
        return self._last_arrival

    def hold(self, *, until: float) -> None:
        """Nothing sent from now on leaves before ``until`` (a stall, or TCP's handshake)."""
        self._line_free_at = max(self._line_free_at, until)

    def slices(self, size: int, shape: Shape) -> list[int]:
        """The sizes ``size`` bytes are sent in under ``shape``."""
        if size <= 0:
            return [0]
        if shape.bytes_per_s is None:
            return [size]
        step = int(min(MAX_SLICE_BYTES, max(MIN_SLICE_BYTES, shape.bytes_per_s * SLICE_SECONDS)))
        full, rest = divmod(size, step)
        return [step] * full + ([rest] if rest else [])

    def schedule(self, *, now: float, sizes: list[int], shape: Shape) -> list[float]:
        """The arrival time of each slice of a chunk handed to the line at ``now``.

        One jitter draw per chunk: the slices of a chunk travel together.
        """
        delay = shape.one_way_s
        if shape.jitter_s:
            delay += self._jitter.uniform(-shape.jitter_s, shape.jitter_s)
        delay = max(0.0, delay)
        arrivals: list[float] = []
        start = max(now, self._line_free_at)
        for size in sizes:
            sent = start + (size / shape.bytes_per_s if shape.bytes_per_s else 0.0)
            arrival = max(sent + delay, self._last_arrival)
            arrivals.append(arrival)
            self._last_arrival = arrival
            start = sent
        self._line_free_at = start
        return arrivals
