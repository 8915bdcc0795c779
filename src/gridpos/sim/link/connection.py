"""One client connection through the link: two readers, two paced writers, and the cuts.

Bytes read from either side are framed (:mod:`.framing`), given arrival times (:mod:`.shaping`)
and queued; each writer sleeps until a chunk's arrival time and writes it. Decisions are taken
when a request's head is complete, and acted on at the point they name: before the request is
forwarded, when its answer starts, or part-way through the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from gridpos.sim.link.cuts import Closing, CutKind, PartitionMode, StallOn
from gridpos.sim.link.delivery import (
    PacedQueue,
    read_chunk,
    reset_transport,
    write_chunk,
)
from gridpos.sim.link.framing import MessageHead, Piece, RequestFramer, ResponseFramer
from gridpos.sim.link.profiles import LinkProfile
from gridpos.sim.link.script import Decision
from gridpos.sim.link.stats import ConnectionRecord, ExchangeRecord, LinkStats


class LinkContext(Protocol):
    """What a connection needs from the link it belongs to."""

    stats: LinkStats
    idle_timeout_s: float
    write_timeout_s: float

    @property
    def profile(self) -> LinkProfile: ...

    @property
    def seed(self) -> int: ...

    def now(self) -> float: ...

    def decide(self, *, method: str, target: str) -> tuple[int, Decision]: ...


@dataclass(slots=True)
class _Answer:
    """The answer now coming down and what to do with it."""

    exchange: ExchangeRecord | None
    decision: Decision
    budget: int = 0
    cut_done: bool = False


class LinkConnection:
    """A client connection, its upstream connection, and everything the link does between them."""

    def __init__(
        self,
        *,
        link: LinkContext,
        connection_id: int,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self._link = link
        self.record = ConnectionRecord(
            id=connection_id, opened_s=link.stats.since_start(link.now())
        )
        self._client_reader, self._client_writer = client
        self._upstream_reader, self._upstream_writer = upstream
        self._up = PacedQueue(jitter=self._jitter("up"))
        self._down = PacedQueue(jitter=self._jitter("down"))
        self._requests = RequestFramer()
        self._answers = ResponseFramer()
        self._pending: deque[tuple[ExchangeRecord, Decision]] = deque()
        self._answer: _Answer | None = None
        self._current_request: ExchangeRecord | None = None
        self._forwarding = True
        self._frozen = False
        self._discard_client = False
        self._client_closed = False
        self._upstream_closed = False
        self._finished = asyncio.Event()
        self._last_activity = link.now()

    def _jitter(self, direction: str) -> random.Random:
        key = f"gridpos-link/{self._link.seed}/connection/{self.record.id}/{direction}"
        return random.Random(key)  # noqa: S311 - emulation, not security

    # -- life cycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Carry the connection until both sides are closed, then record how it ended."""
        now = self._link.now()
        profile = self._link.profile
        if profile.handshake:
            self._link.stats.handshakes += 1
            self._up.hold(until=now + 2 * profile.one_way_s)
        tasks = [
            asyncio.create_task(self._read_client()),
            asyncio.create_task(self._read_upstream()),
            asyncio.create_task(self._write(self._up, towards_client=False)),
            asyncio.create_task(self._write(self._down, towards_client=True)),
            asyncio.create_task(self._watch_idle()),
        ]
        try:
            await self._finished.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=1.0)
            if not self._client_closed:
                self._client_writer.transport.abort()
            if not self._upstream_closed:
                self._upstream_writer.transport.abort()
            self.record.closed_s = self._link.stats.since_start(self._link.now())
            self._link.stats.connection_closed(self.record)

    def _end(self, reason: str) -> None:
        if self.record.ended_by is None:
            self.record.ended_by = reason

    def _close_client(self, closing: Closing) -> None:
        if self._client_closed:
            return
        self._client_closed = True
        if closing is Closing.RESET:
            reset_transport(self._client_writer)
        else:
            self._client_writer.close()
        self._check_finished()

    def _close_upstream(self) -> None:
        if not self._upstream_closed:
            self._upstream_closed = True
            self._upstream_writer.close()
        self._check_finished()

    def _check_finished(self) -> None:
        if self._client_closed and self._upstream_closed:
            self._finished.set()

    def close_now(self, *, closing: Closing, reason: str) -> None:
        """Close both sides at once (partition, idle limit, the link stopping)."""
        self._end(reason)
        self._close_client(closing)
        self._close_upstream()

    def black_hole_now(self, *, reason: str) -> None:
        """Stop forwarding both ways at once, bytes in flight included, and close nothing."""
        self._end(reason)
        self._silence()
        self._frozen = True
        self._up.clear()
        self._down.clear()

    def partition(self, mode: PartitionMode) -> None:
        if mode is PartitionMode.BLACK_HOLE:
            self.black_hole_now(reason="partition")
        else:
            closing = Closing.RESET if mode is PartitionMode.RESET else Closing.FIN
            self.close_now(closing=closing, reason="partition")

    def _silence(self) -> None:
        self._forwarding = False
        self.record.black_holed = True

    async def _watch_idle(self) -> None:
        limit = self._link.idle_timeout_s
        while True:
            # bytes held back by latency or a stall are not idleness
            idle_since = max(self._last_activity, self._up.busy_until, self._down.busy_until)
            idle_for = self._link.now() - idle_since
            if idle_for >= limit:
                self.close_now(closing=Closing.FIN, reason="idle")
                return
            await asyncio.sleep(limit - idle_for)

    # -- client → server -------------------------------------------------------------------

    async def _read_client(self) -> None:
        while not self._client_closed:
            data = await read_chunk(self._client_reader)
            self._last_activity = now = self._link.now()
            if not data:
                self._client_ended()
                return
            if not self._forwarding or self._discard_client:
                continue
            for piece in self._requests.feed(data):
                if piece.head is not None and not self._request_starts(piece.head, now):
                    break
                self._send_up(piece, now)

    def _client_ended(self) -> None:
        self._end("client")
        if not self._forwarding or self._discard_client:
            self._close_client(Closing.FIN)
            self._close_upstream()
            return
        for piece in self._requests.finish():
            self._send_up(piece, self._link.now())
        self._up.send_end(now=self._link.now(), profile=self._link.profile, closing=None)

    def _request_starts(self, head: MessageHead, now: float) -> bool:
        """Record the request and apply its decision; False when it must not be forwarded."""
        index, decision = self._link.decide(method=head.method, target=head.target)
        self.record.requests += 1
        exchange = ExchangeRecord(
            index=index,
            connection=self.record.id,
            on_connection=self.record.requests,
            method=head.method,
            target=head.target,
            started_s=self._link.stats.since_start(now),
            rule=decision.rule,
        )
        self._link.stats.add_exchange(exchange)
        if decision.stall_s:
            exchange.stall_s = decision.stall_s
            exchange.stall_on = decision.stall_on.value
            self._link.stats.stalls += 1
            self._link.stats.stalled_s += decision.stall_s
            if decision.stall_on is StallOn.REQUEST:
                self._up.hold(until=now + decision.stall_s)
        if decision.cut is not None:
            exchange.cut = decision.cut.value
            exchange.closing = (decision.effective_closing or Closing.SILENT).value
        if decision.cut in (CutKind.DROP_REQUEST, CutKind.BLACK_HOLE):
            self._link.stats.cuts[decision.cut.value] += 1
            self._end("cut")
            closing = decision.effective_closing or Closing.SILENT
            if closing is Closing.SILENT:
                self._silence()
            else:
                self._discard_client = True
                self._close_upstream()
                self._down.send_end(now=now, profile=self._link.profile, closing=closing)
            return False
        self._answers.expect_answer_to(head.method)
        self._pending.append((exchange, decision))
        self._current_request = exchange
        return True

    def _send_up(self, piece: Piece, now: float) -> None:
        exchange = None if self._requests.raw else self._current_request
        self._up.send(
            piece.data, exchange=exchange, completes=piece.ends, now=now, profile=self._link.profile
        )

    # -- server → client -------------------------------------------------------------------

    async def _read_upstream(self) -> None:
        while not self._upstream_closed:
            data = await read_chunk(self._upstream_reader)
            self._last_activity = now = self._link.now()
            if not data:
                self._upstream_ended(now)
                return
            if not self._forwarding:
                continue
            for piece in self._answers.feed(data):
                self._answer_piece(piece, now)

    def _upstream_ended(self, now: float) -> None:
        if not self._forwarding:
            return  # a black hole: the client hears nothing, not even the end
        for piece in self._answers.finish():
            self._answer_piece(piece, now)
        if self._forwarding and not self._discard_client:
            self._end("server")
            self._down.send_end(now=now, profile=self._link.profile, closing=None)
        else:
            self._close_upstream()

    def _answer_piece(self, piece: Piece, now: float) -> None:
        head = piece.head
        final = head is not None and not 100 <= head.status < 200
        if head is not None and final:
            self._answer_starts(head, now)
        answer = None if self._answers.raw else self._answer
        if answer is None or answer.exchange is None:
            self._send_down(piece.data, None, completes=False, now=now)
        else:
            if head is not None and final:
                answer.exchange.status = head.status
            self._answer_bytes(answer, answer.exchange, piece, now)
        if piece.ends and (head is None or final):
            self._answer = None
            if self._discard_client:
                self._close_upstream()

    def _answer_bytes(
        self, answer: _Answer, exchange: ExchangeRecord, piece: Piece, now: float
    ) -> None:
        if answer.cut_done:
            return
        data = piece.data
        cut = answer.decision.cut
        if cut is CutKind.CUT_BEFORE_ANSWER:
            if piece.ends:
                self._cut_answer(answer, now)
            return
        if cut is CutKind.CUT_MID_ANSWER:
            allowed = min(len(data), answer.budget)
            if piece.ends and allowed == len(data):
                allowed = max(0, allowed - 1)  # never the whole answer
            if allowed:
                self._send_down(data[:allowed], exchange, completes=False, now=now)
            answer.budget -= allowed
            if allowed < len(data) or piece.ends:
                self._cut_answer(answer, now)
            return
        self._send_down(data, exchange, completes=piece.ends, now=now)

    def _answer_starts(self, head: MessageHead, now: float) -> None:
        exchange, decision = self._pending.popleft() if self._pending else (None, Decision())
        budget = 0
        if decision.cut is CutKind.CUT_MID_ANSWER:
            total = head.total_bytes
            if decision.answer_bytes is not None:
                budget = decision.answer_bytes
                if total is not None:
                    budget = min(budget, max(0, total - 1))
            else:
                budget = total // 2 if total is not None else head.size
        self._answer = _Answer(exchange=exchange, decision=decision, budget=budget)
        if decision.stall_s and decision.stall_on is StallOn.ANSWER:
            self._down.hold(until=now + decision.stall_s)

    def _cut_answer(self, answer: _Answer, now: float) -> None:
        """Carry out a cut before or in the middle of the answer: close or silence the client."""
        answer.cut_done = True
        if answer.decision.cut is not None:
            self._link.stats.cuts[answer.decision.cut.value] += 1
        self._end("cut")
        closing = answer.decision.effective_closing or Closing.SILENT
        if closing is Closing.SILENT:
            self._silence()
            return
        self._discard_client = True
        self._down.send_end(now=now, profile=self._link.profile, closing=closing)

    def _send_down(
        self, data: bytes, exchange: ExchangeRecord | None, *, completes: bool, now: float
    ) -> None:
        if self._forwarding and not self._discard_client:
            self._down.send(
                data, exchange=exchange, completes=completes, now=now, profile=self._link.profile
            )

    # -- the writers -----------------------------------------------------------------------

    async def _write(self, queue: PacedQueue, *, towards_client: bool) -> None:
        writer = self._client_writer if towards_client else self._upstream_writer
        while True:
            delivery = await queue.get()
            wait = delivery.at - self._link.now()
            if wait > 0:
                await asyncio.sleep(wait)
            if towards_client and self._client_closed:
                return
            if not towards_client and self._upstream_closed:
                return
            if self._frozen:
                continue
            if delivery.closing is not None:
                self._close_client(delivery.closing)
                return
            if delivery.eof:
                self._deliver_eof(towards_client=towards_client)
                if towards_client:
                    return
                continue
            # counted when handed to the socket, before the peer can read it
            self._link.stats.delivered(
                self.record,
                delivery.exchange,
                size=len(delivery.data),
                completes=delivery.completes,
                down=towards_client,
                now=self._link.now(),
            )
            if not await write_chunk(writer, delivery.data, timeout=self._link.write_timeout_s):
                self.close_now(closing=Closing.RESET, reason="error")
                return
            if delivery.data:
                self._last_activity = self._link.now()

    def _deliver_eof(self, *, towards_client: bool) -> None:
        if towards_client:
            self._close_client(Closing.FIN)
            self._close_upstream()
        elif self._upstream_writer.can_write_eof():
            with contextlib.suppress(OSError):
                self._upstream_writer.write_eof()
