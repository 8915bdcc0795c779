"""What the link measured: bytes each way per connection and per request, round trips, cuts.

Bytes are counted when the link delivers them (to the server going up, to the client coming
down), so a swallowed answer counts nothing down. Times are seconds since the link started.
The totals are kept for ever; the most recent exchanges and closed connections are kept in full
(bounded, so a long run cannot grow without limit).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from gridpos.sim.link.cuts import CutKind

KEEP_RECORDS = 10_000


@dataclass(slots=True)
class ExchangeRecord:
    """One request and its answer as the link saw them."""

    index: int
    connection: int
    on_connection: int
    method: str
    target: str
    started_s: float
    cut: str | None = None
    closing: str | None = None
    rule: int | None = None
    stall_s: float = 0.0
    stall_on: str | None = None
    request_bytes: int = 0
    request_delivered: bool = False
    status: int | None = None
    answer_bytes: int = 0
    answered: bool = False
    answered_s: float | None = None


@dataclass(slots=True)
class ConnectionRecord:
    """One client connection through the link; ``ended_by`` says why it closed."""

    id: int
    opened_s: float
    bytes_up: int = 0
    bytes_down: int = 0
    requests: int = 0
    black_holed: bool = False
    closed_s: float | None = None
    ended_by: str | None = None


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """A copy of the link's counters at one moment.

    ``round_trips`` counts the round trips the emulated link charged: one per accepted
    connection when the profile has a handshake, and one per answer delivered in full.
    """

    uptime_s: float
    connections_accepted: int
    connections_refused: int
    connections_open: int
    handshakes: int
    bytes_up: int
    bytes_down: int
    requests: int
    requests_delivered: int
    answers_delivered: int
    round_trips: int
    cuts: dict[str, int]
    stalls: int
    stalled_s: float
    exchanges: tuple[ExchangeRecord, ...]
    connections: tuple[ConnectionRecord, ...]

    def exchange(self, index: int) -> ExchangeRecord | None:
        """The exchange with global request ``index``, if still kept."""
        for record in self.exchanges:
            if record.index == index:
                return record
        return None

    def as_dict(self) -> dict[str, Any]:
        body = {
            key: getattr(self, key)
            for key in self.__dataclass_fields__
            if key not in ("exchanges", "connections")
        }
        body["exchanges"] = [asdict(record) for record in self.exchanges]
        body["connections"] = [asdict(record) for record in self.connections]
        return body


@dataclass
class LinkStats:
    """The live counters, changed only on the link's event loop."""

    started_at: float
    keep: int = KEEP_RECORDS
    connections_accepted: int = 0
    connections_refused: int = 0
    handshakes: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    requests: int = 0
    requests_delivered: int = 0
    answers_delivered: int = 0
    cuts: dict[str, int] = field(default_factory=lambda: {kind.value: 0 for kind in CutKind})
    stalls: int = 0
    stalled_s: float = 0.0
    open_connections: dict[int, ConnectionRecord] = field(default_factory=dict)
    closed_connections: deque[ConnectionRecord] = field(default_factory=deque)
    exchanges: deque[ExchangeRecord] = field(default_factory=deque)

    def since_start(self, now: float) -> float:
        return round(now - self.started_at, 6)

    def add_exchange(self, record: ExchangeRecord) -> None:
        self.requests += 1
        self.exchanges.append(record)
        while len(self.exchanges) > self.keep:
            self.exchanges.popleft()

    def delivered(
        self,
        connection: ConnectionRecord,
        exchange: ExchangeRecord | None,
        *,
        size: int,
        completes: bool,
        down: bool,
        now: float,
    ) -> None:
        """Count ``size`` bytes handed to the server (up) or the client (``down``); ``completes``
        when they are the last of the exchange's request or answer."""
        if down:
            connection.bytes_down += size
            self.bytes_down += size
            if exchange is not None:
                exchange.answer_bytes += size
                if completes:
                    exchange.answered = True
                    exchange.answered_s = self.since_start(now)
                    self.answers_delivered += 1
            return
        connection.bytes_up += size
        self.bytes_up += size
        if exchange is not None:
            exchange.request_bytes += size
            if completes:
                exchange.request_delivered = True
                self.requests_delivered += 1

    def connection_closed(self, record: ConnectionRecord) -> None:
        self.open_connections.pop(record.id, None)
        self.closed_connections.append(record)
        while len(self.closed_connections) > self.keep:
            self.closed_connections.popleft()

    def snapshot(self, *, now: float) -> StatsSnapshot:
        connections = [*self.closed_connections, *self.open_connections.values()]
        connections.sort(key=lambda record: record.id)
        return StatsSnapshot(
            uptime_s=self.since_start(now),
            connections_accepted=self.connections_accepted,
            connections_refused=self.connections_refused,
            connections_open=len(self.open_connections),
            handshakes=self.handshakes,
            bytes_up=self.bytes_up,
            bytes_down=self.bytes_down,
            requests=self.requests,
            requests_delivered=self.requests_delivered,
            answers_delivered=self.answers_delivered,
            round_trips=self.handshakes + self.answers_delivered,
            cuts=dict(self.cuts),
            stalls=self.stalls,
            stalled_s=round(self.stalled_s, 6),
            exchanges=tuple(copy.copy(record) for record in self.exchanges),
            connections=tuple(copy.copy(record) for record in connections),
        )

    def reset(self) -> None:
        """Start counting again from zero (open connections stay listed, their counts zeroed)."""
        fresh = LinkStats(started_at=self.started_at, keep=self.keep)
        for record in self.open_connections.values():
            record.bytes_up = record.bytes_down = record.requests = 0
            fresh.open_connections[record.id] = record
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))
