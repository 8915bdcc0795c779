"""The benchmark's load: signed terminals paying as fast as the server answers.

Run as its own process (``python -m gridpos.sim.bench.driver``, a JSON :class:`DriverPlan` on
stdin, a JSON :class:`DriverResult` on stdout) so that its work never shares an interpreter lock
with the harness. It shares the machine's cores with the server and the database all the same, so
it is kept lean: one asyncio task and one keep-alive connection per terminal, HTTP/1.1 written and
read by hand, the body built as bytes, each request signed just before it is sent (HMAC-SHA256,
:func:`gridpos.protocol.signing.sign_request`). Each terminal pays its own customers, one after
another, each customer once, in full.

Terminals come on line :data:`CONNECT_STAGGER_S` apart, as real ones do: a burst of connections
in the same millisecond would all be accepted by one server process (whichever woke first), a
queue no deployment sees. A request counts when it both started after the warm-up and finished
before the end of the measured window; latency is from the first byte written to the last byte
read.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import orjson

from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal.routes import PAY
from gridpos.sim.bench.county import account_no, principal_of
from gridpos.sim.bench.figures import percentile

_CONNECT_TIMEOUT_S = 10.0
CONNECT_STAGGER_S = 0.02
"""Between one terminal's first connection and the next one's (within the warm-up)."""
_ANSWER_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class TerminalPlan:
    """One terminal: its number and key, its next counter and serial, its customers."""

    terminal_no: str
    key_hex: str
    counter: int  # the last counter used: the next request signs counter + 1
    first_customer: int
    last_customer: int  # inclusive


@dataclass(frozen=True, slots=True)
class DriverPlan:
    """Where the server is, how long to drive it, and with which terminals."""

    host: str
    port: int
    warmup_s: float
    duration_s: float
    terminals: tuple[TerminalPlan, ...]


@dataclass(slots=True)
class DriverResult:
    """What one run measured, and where each terminal stopped."""

    terminals: int
    completed: int = 0
    payments_per_s: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    refused: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    exhausted: bool = False
    answered: int = 0  # every payment answered, warm-up included
    cpu_s: float = 0.0  # the driver's own CPU time, warm-up included
    counters: dict[str, int] = field(default_factory=dict)
    next_customer: dict[str, int] = field(default_factory=dict)


class _Window:
    """The measured window and what finished inside it."""

    def __init__(self, *, warmup_s: float, duration_s: float) -> None:
        now = time.perf_counter()
        self.start = now + warmup_s
        self.end = self.start + duration_s
        self.latencies: list[float] = []
        self.refused: dict[str, int] = {}
        self.errors = 0
        self.exhausted = False
        self.answered = 0

    def record(self, started: float, finished: float, *, code: str | None) -> None:
        self.answered += 1
        if started < self.start or finished > self.end:
            return
        if code is None:
            self.latencies.append(finished - started)
        else:
            self.refused[code] = self.refused.get(code, 0) + 1


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    return status, await reader.readexactly(length)


async def _terminal(
    plan: TerminalPlan, driver: DriverPlan, window: _Window, *, index: int
) -> tuple[int, int]:
    """Pay until the window closes; the last counter used and the next customer."""
    # terminals come on line one after another, not in the same millisecond: a burst of
    # connections would all be accepted by whichever server process woke first
    await asyncio.sleep(index * CONNECT_STAGGER_S)
    key = bytes.fromhex(plan.key_hex)
    counter = plan.counter
    customer = plan.first_customer
    path = PAY.path
    host = f"{driver.host}:{driver.port}".encode()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(driver.host, driver.port), _CONNECT_TIMEOUT_S
    )
    try:
        while time.perf_counter() < window.end:
            if customer > plan.last_customer:
                window.exhausted = True
                break
            counter += 1
            due = principal_of(customer)
            body = orjson.dumps(
                {
                    "txn": f"{plan.terminal_no}-{counter}-{os.urandom(4).hex()}",
                    "trace": counter % 999_999 + 1,
                    "acct": account_no(customer),
                    "cash": due,
                    "due": due,
                    "at": int(time.time()),
                }
            )
            customer += 1
            signed = sign_request(
                key=key,
                method="POST",
                target=path,
                body=body,
                terminal_no=plan.terminal_no,
                counter=counter,
                now=datetime.now(UTC),
            )
            request = b"".join(
                [
                    b"POST ",
                    path.encode(),
                    b" HTTP/1.1\r\nHost: ",
                    host,
                    b"\r\nContent-Type: application/json\r\nContent-Length: ",
                    str(len(body)).encode(),
                    b"\r\n",
                    *(f"{name}: {value}\r\n".encode() for name, value in signed.items()),
                    b"\r\n",
                    body,
                ]
            )
            started = time.perf_counter()
            writer.write(request)
            status, answer = await asyncio.wait_for(_read_answer(reader), _ANSWER_TIMEOUT_S)
            finished = time.perf_counter()
            code = None if status == 200 else str(orjson.loads(answer).get("code", status))
            window.record(started, finished, code=code)
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
        window.errors += 1
    finally:
        writer.close()
    return counter, customer


async def drive(plan: DriverPlan) -> DriverResult:
    """Run every terminal of ``plan`` through the warm-up and the measured window."""
    window = _Window(warmup_s=plan.warmup_s, duration_s=plan.duration_s)
    cpu = time.process_time()
    ends = await asyncio.gather(
        *(_terminal(t, plan, window, index=i) for i, t in enumerate(plan.terminals))
    )
    cpu = time.process_time() - cpu
    latencies = sorted(window.latencies)
    result = DriverResult(
        terminals=len(plan.terminals),
        completed=len(latencies),
        payments_per_s=len(latencies) / plan.duration_s,
        refused=window.refused,
        errors=window.errors,
        exhausted=window.exhausted,
        answered=window.answered,
        cpu_s=cpu,
        counters={t.terminal_no: end[0] for t, end in zip(plan.terminals, ends, strict=True)},
        next_customer={t.terminal_no: end[1] for t, end in zip(plan.terminals, ends, strict=True)},
    )
    if latencies:
        result.p50_ms = percentile(latencies, 50) * 1000
        result.p90_ms = percentile(latencies, 90) * 1000
        result.p99_ms = percentile(latencies, 99) * 1000
        result.max_ms = latencies[-1] * 1000
    return result


def read_plan(raw: str) -> DriverPlan:
    """A :class:`DriverPlan` from its JSON form."""
    data = json.loads(raw)
    return DriverPlan(
        host=data["host"],
        port=int(data["port"]),
        warmup_s=float(data["warmup_s"]),
        duration_s=float(data["duration_s"]),
        terminals=tuple(TerminalPlan(**terminal) for terminal in data["terminals"]),
    )


def main() -> None:
    """Read a plan on stdin, drive, print the result on stdout."""
    plan = read_plan(sys.stdin.read())
    try:
        import uvloop  # noqa: PLC0415 - optional: a leaner event loop when installed

        result = uvloop.run(drive(plan))
    except ImportError:
        result = asyncio.run(drive(plan))
    sys.stdout.write(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
