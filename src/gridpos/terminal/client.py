"""The terminal's HTTP client: signed requests, GPRS timeouts, and what became of each exchange.

One keep-alive connection (httpx), small headers (every byte crosses GPRS), a timeout on every
phase. Each call ends in exactly one of:

- :class:`Answered` — the server answered and the answer decoded;
- :class:`Refused` — the server refused with its error body (4xx): nothing was done;
- :class:`NoAnswer` — timeout, reset, refused connection, a 5xx or an answer that cannot be read.
  For a write the outcome is **unknown** (the server may have committed); ``delivered`` is
  ``False`` only when the request certainly never left (the connection was never made).

Signing refusals the terminal can fix by itself are fixed and the request sent once more: a stale
timestamp teaches the server's clock, a replayed counter jumps the counter past the server's last.
Both are refused before the server does anything, so the second send is safe.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

import httpx

from gridpos.protocol.codec import JSON_CONTENT_TYPE, decode, decode_error, encode
from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError
from gridpos.protocol.messages import WireAnswer, WireParams
from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal.routes import Route
from gridpos.terminal.config import Clock, Monotonic, Timeouts

A = TypeVar("A", bound=WireAnswer)
Q = TypeVar("Q")

USER_AGENT = "gp"
PROBE_PATH = "/healthz"


class NoAnswerReason(StrEnum):
    """How an exchange failed to bring an answer."""

    CONNECT_FAILED = "connect_failed"  # never connected: the request did not leave
    TIMEOUT = "timeout"
    CONNECTION_LOST = "connection_lost"  # reset or closed, perhaps mid-answer
    SERVER_FAULT = "server_fault"  # 5xx: the server may or may not have committed
    BAD_ANSWER = "bad_answer"  # an answer that is not ours or does not decode


@dataclass(frozen=True, slots=True)
class Answered(Generic[A]):
    answer: A
    rtt_ms: int


@dataclass(frozen=True, slots=True)
class Refused:
    error: ErrorBody
    http_status: int
    rtt_ms: int


@dataclass(frozen=True, slots=True)
class NoAnswer:
    reason: NoAnswerReason
    detail: str
    delivered: bool = True
    error: ErrorBody | None = None


Exchange = Answered[A] | Refused | NoAnswer


class Signer(Protocol):
    """What signing needs from the terminal: identity, a persisted counter, the server's time."""

    @property
    def terminal_no(self) -> str: ...

    @property
    def key(self) -> bytes: ...

    def next_counter(self) -> int:
        """The next request counter, persisted before it is returned."""
        ...

    def raise_counter(self, *, at_least: int) -> None: ...

    def server_now(self) -> datetime:
        """The terminal clock corrected by what the server's answers taught it."""
        ...

    def learn_server_time(self, server_time: datetime, *, rtt_ms: int = 0) -> None: ...


class LinkStatus(StrEnum):
    """The link indicator: the last exchange answered quickly, slowly, or not at all."""

    ONLINE = "online"
    SLOW = "slow"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class LinkState:
    """What the indicator shows: status, the last round trip, when, and failures in a row."""

    status: LinkStatus
    rtt_ms: int | None
    checked_at: datetime | None
    failures_in_row: int = 0


@dataclass(slots=True)
class ClientStats:
    """Counts of the client's exchanges since it started (for the fleet's figures)."""

    requests: int = 0
    answered: int = 0
    refused: int = 0
    no_answer: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    probes: int = 0  # health checks sent while the link was known down (not requests above)


def _header_bytes(headers: httpx.Headers) -> int:
    return sum(len(name) + len(value) + 4 for name, value in headers.raw)


class TerminalClient:
    """Calls the terminal API. Not thread-safe: the terminal serialises calls."""

    def __init__(
        self,
        base_url: str,
        *,
        timeouts: Timeouts,
        clock: Clock,
        monotonic: Monotonic = time.monotonic,
        slow_rtt_ms: int = 3000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._clock = clock
        self._monotonic = monotonic
        self._slow_rtt_ms = slow_rtt_ms
        self._timeouts = timeouts
        self._http = httpx.Client(
            base_url=base_url,
            timeout=self._httpx_timeout(timeouts),
            transport=transport or httpx.HTTPTransport(retries=0),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            headers={"User-Agent": USER_AGENT},
        )
        # the probe's own connection: it runs beside a request in flight, never waits for it
        self._probe_http = httpx.Client(
            base_url=base_url,
            transport=transport or httpx.HTTPTransport(retries=0),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT},
        )
        self._link = LinkState(LinkStatus.OFFLINE, None, None, 0)
        self.stats = ClientStats()
        self.signer: Signer | None = None

    @staticmethod
    def _httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
        return httpx.Timeout(
            connect=timeouts.connect_s,
            read=timeouts.read_s,
            write=timeouts.write_s,
            pool=timeouts.pool_s,
        )

    def set_read_timeout(self, seconds: float) -> None:
        """Use the server's timeout (from the sign-in parameters) for reading answers."""
        self._timeouts = Timeouts(
            connect_s=self._timeouts.connect_s,
            read_s=seconds,
            write_s=self._timeouts.write_s,
            pool_s=self._timeouts.pool_s,
        )
        self._http.timeout = self._httpx_timeout(self._timeouts)

    @property
    def timeouts(self) -> Timeouts:
        return self._timeouts

    def close(self) -> None:
        self._http.close()
        self._probe_http.close()

    def link_state(self) -> LinkState:
        return self._link

    # ---- calling ------------------------------------------------------------------------------

    def link_known_down(self) -> bool:
        """The last exchange brought no answer at all (nothing has answered since)."""
        return self._link.status is LinkStatus.OFFLINE and self._link.failures_in_row > 0

    def probe(self, *, timeout_s: float) -> bool:
        """Whether the server answers its health check (unsigned, on a connection of its own,
        so it needs neither the journal nor the terminal's lock). Any answer marks the link up.
        Safe to call from another thread while a request is in flight."""
        self.stats.probes += 1
        started = self._monotonic()
        try:
            self._probe_http.get(PROBE_PATH, timeout=timeout_s)
        except httpx.HTTPError:
            return False
        rtt_ms = max(0, round((self._monotonic() - started) * 1000))
        status = LinkStatus.SLOW if rtt_ms >= self._slow_rtt_ms else LinkStatus.ONLINE
        self._link = LinkState(status, rtt_ms, self._clock(), 0)
        return True

    def call(
        self, route: Route[Any, A], message: Any, *, timeout_s: float | None = None
    ) -> Exchange[A]:
        """Send ``message`` by ``route`` and say what came back (see the module's docstring).

        ``timeout_s`` bounds every phase of this exchange (connect, write, read) instead of the
        client's timeouts: a read the collector waits for gives up sooner than a payment.

        Raises:
            ValueError: a signed route with no signer (the terminal is not enrolled).
        """
        if route.method == "GET":
            params = message if isinstance(message, WireParams) else None
            target, body = route.target(params), b""
        else:
            target, body = route.target(), encode(message)
        if route.signed and self.signer is None:
            raise ValueError(f"{route.name} must be signed and the terminal has no key")
        timeout = httpx.Timeout(timeout_s) if timeout_s is not None else None
        result: Exchange[A] = self._once(route, target, body, timeout)
        if isinstance(result, Refused) and route.signed and self._fixed_signing(result.error):
            result = self._once(route, target, body, timeout)
        return result

    def _fixed_signing(self, error: ErrorBody) -> bool:
        """Fix what a signing refusal says is wrong; whether it is worth sending again."""
        signer = self.signer
        details = error.details or {}
        if signer is None:
            return False
        if error.code == ErrorCode.STALE_TIMESTAMP and isinstance(details.get("server_time"), int):
            signer.learn_server_time(datetime.fromtimestamp(details["server_time"], tz=UTC))
            return True
        if error.code == ErrorCode.REPLAYED_COUNTER and isinstance(details.get("last"), int):
            signer.raise_counter(at_least=int(details["last"]))
            return True
        return False

    def _once(
        self, route: Route[Any, A], target: str, body: bytes, timeout: httpx.Timeout | None
    ) -> Exchange[A]:
        headers: dict[str, str] = {}
        if body:
            headers["Content-Type"] = JSON_CONTENT_TYPE
        if route.signed and self.signer is not None:
            signer = self.signer
            headers.update(
                sign_request(
                    key=signer.key,
                    method=route.method,
                    target=target,
                    body=body,
                    terminal_no=signer.terminal_no,
                    counter=signer.next_counter(),
                    now=signer.server_now(),
                )
            )
        request = self._http.build_request(
            route.method,
            target,
            content=body or None,
            headers=headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        for name in ("accept", "connection"):
            if name in request.headers:
                del request.headers[name]
        request.headers["Accept-Encoding"] = "gzip"
        self.stats.requests += 1
        self.stats.bytes_sent += len(body) + _header_bytes(request.headers) + len(target) + 16
        started = self._monotonic()
        result = self._send(route, request)
        self._note(result, started)
        return result

    def _send(self, route: Route[Any, A], request: httpx.Request) -> Exchange[A]:
        started = self._monotonic()
        try:
            response = self._http.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return NoAnswer(NoAnswerReason.CONNECT_FAILED, type(exc).__name__, delivered=False)
        except httpx.TimeoutException as exc:
            return NoAnswer(NoAnswerReason.TIMEOUT, type(exc).__name__)
        except httpx.TransportError as exc:
            return NoAnswer(NoAnswerReason.CONNECTION_LOST, type(exc).__name__)
        rtt_ms = max(0, round((self._monotonic() - started) * 1000))
        self.stats.bytes_received += len(response.content) + _header_bytes(response.headers) + 16
        status = response.status_code
        if 200 <= status < 300:
            try:
                return Answered(decode(route.answer, response.content), rtt_ms)
            except ProtocolError as exc:
                return NoAnswer(NoAnswerReason.BAD_ANSWER, exc.code)
        try:
            error = decode_error(response.content)
        except ProtocolError:
            return NoAnswer(NoAnswerReason.BAD_ANSWER, f"HTTP {status} without an error body")
        if status >= 500:
            return NoAnswer(NoAnswerReason.SERVER_FAULT, error.code, error=error)
        return Refused(error, status, rtt_ms)

    def _note(self, result: Exchange[Any], started: float) -> None:
        now = self._clock()
        if isinstance(result, NoAnswer) and result.error is None:
            self.stats.no_answer += 1
            self._link = LinkState(
                LinkStatus.OFFLINE, self._link.rtt_ms, now, self._link.failures_in_row + 1
            )
            return
        if isinstance(result, NoAnswer):
            self.stats.no_answer += 1
            rtt_ms = max(0, round((self._monotonic() - started) * 1000))
        elif isinstance(result, Refused):
            self.stats.refused += 1
            rtt_ms = result.rtt_ms
        else:
            self.stats.answered += 1
            rtt_ms = result.rtt_ms
        status = LinkStatus.SLOW if rtt_ms >= self._slow_rtt_ms else LinkStatus.ONLINE
        self._link = LinkState(status, rtt_ms, now, 0)


def server_time_offset(*, server_time: datetime, local_time: datetime, rtt_ms: int) -> timedelta:
    """How far the server's clock is ahead of ours, given an answer that took ``rtt_ms``.

    The server stamped its time about half a round trip before the answer arrived.
    """
    return (server_time + timedelta(milliseconds=rtt_ms // 2)) - local_time
