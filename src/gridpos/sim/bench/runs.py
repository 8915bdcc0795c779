"""One measured run of the payments benchmark: the county's terminals signed in, driven by the
load process for a warm-up and a window, and what the run cost each process in CPU."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from gridpos.protocol.codec import encode
from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal.routes import SIGN_IN
from gridpos.protocol.terminal.session import SignInRequest
from gridpos.sim.bench.county import COLLECTOR_PASSWORD, BenchCounty, BenchTerminal
from gridpos.sim.bench.driver import DriverResult, TerminalPlan
from gridpos.sim.bench.figures import rounded
from gridpos.sim.bench.server import ServerProcess, process_cpu


@dataclass(slots=True)
class BenchTerminals:
    """The county's terminals, each one's last counter and customers still to pay."""

    county: BenchCounty
    counters: dict[str, int] = field(default_factory=dict)
    next_customer: int = 1

    def plans(self, count: int, per_terminal: int) -> list[TerminalPlan]:
        """The first ``count`` terminals, each with ``per_terminal`` customers never paid yet."""
        plans = []
        for terminal in self.county.terminals[:count]:
            first = self.next_customer
            last = min(first + per_terminal - 1, self.county.customers)
            self.next_customer = last + 1
            plans.append(
                TerminalPlan(
                    terminal_no=terminal.terminal_no,
                    key_hex=terminal.key.hex(),
                    counter=self.counters.get(terminal.terminal_no, 0),
                    first_customer=first,
                    last_customer=last,
                )
            )
        return plans

    def sign_in(self, base_url: str) -> None:
        """Sign every terminal in through the API (签到): the day and batch open."""
        with httpx.Client(base_url=base_url, timeout=30) as http:
            for terminal in self.county.terminals:
                self._sign_in(http, terminal)

    def _sign_in(self, http: httpx.Client, terminal: BenchTerminal) -> None:
        counter = self.counters.get(terminal.terminal_no, 0) + 1
        body = encode(
            SignInRequest(
                agent_account=terminal.agent_account,
                password=COLLECTOR_PASSWORD,
                organisation_code=terminal.organisation_code,
            )
        )
        headers = sign_request(
            key=terminal.key,
            method=SIGN_IN.method,
            target=SIGN_IN.path,
            body=body,
            terminal_no=terminal.terminal_no,
            counter=counter,
            now=datetime.now(UTC),
        )
        answer = http.post(
            SIGN_IN.path,
            content=body,
            headers={**headers, "content-type": "application/json"},
        )
        if answer.status_code != 200:
            raise RuntimeError(f"sign-in of {terminal.terminal_no} refused: {answer.text}")
        self.counters[terminal.terminal_no] = counter


@dataclass(frozen=True, slots=True)
class CpuShare:
    """CPU milliseconds per payment answered, by who spent them (Linux; None elsewhere)."""

    server: float | None
    database: float | None
    driver: float | None


def backend_cpu_by_pid(dsn: str) -> dict[int, float]:
    """CPU seconds so far of each server process of the database serving the bench database
    (those whose CPU cannot be read left out)."""
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        pids = [
            int(row[0])
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    found = {pid: process_cpu(pid) for pid in pids}
    return {pid: cpu for pid, cpu in found.items() if cpu is not None}


def backend_cpu(dsn: str) -> float | None:
    """CPU seconds so far of the database's server processes serving the bench database now."""
    shares = backend_cpu_by_pid(dsn)
    return sum(shares.values()) if shares else None


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two :func:`backend_cpu_by_pid` looks (new processes whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def drive(
    server: ServerProcess,
    terminals: BenchTerminals,
    *,
    count: int,
    per_terminal: int,
    warmup_s: float,
    duration_s: float,
    dsn: str | None = None,
) -> tuple[DriverResult, CpuShare]:
    """Drive ``count`` terminals against ``server`` (in a process of their own) for a warm-up and
    ``duration_s``; what they measured, and the CPU each process spent per payment answered
    (the database's when ``dsn`` is given).

    Raises ``RuntimeError`` when the load process fails.
    """
    plan = {
        "host": "127.0.0.1",
        "port": server.port,
        "warmup_s": warmup_s,
        "duration_s": duration_s,
        "terminals": [asdict(p) for p in terminals.plans(count, per_terminal)],
    }
    server_cpu = server.cpu_seconds()
    database_cpu = backend_cpu(dsn) if dsn else None
    finished = subprocess.run(
        [sys.executable, "-m", "gridpos.sim.bench.driver"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        timeout=warmup_s + duration_s + 120,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the load driver failed: {finished.stderr.strip()[-1000:]}")
    result = DriverResult(**json.loads(finished.stdout))
    terminals.counters.update(result.counters)
    answered = max(result.answered, 1)
    server_after = server.cpu_seconds()
    database_after = backend_cpu(dsn) if dsn else None
    share = CpuShare(
        server=None
        if server_cpu is None or server_after is None
        else (server_after - server_cpu) * 1000 / answered,
        database=None
        if database_cpu is None or database_after is None
        else (database_after - database_cpu) * 1000 / answered,
        driver=result.cpu_s * 1000 / answered,
    )
    return result, share


def run_figures(result: DriverResult, share: CpuShare) -> dict[str, Any]:
    """A run's figures as the JSON shows them."""

    def ms(value: float | None) -> float | None:
        return None if value is None else rounded(value, 3)

    return {
        "terminals": result.terminals,
        "payments_per_s": rounded(result.payments_per_s),
        "p50_ms": rounded(result.p50_ms, 2),
        "p90_ms": rounded(result.p90_ms, 2),
        "p99_ms": rounded(result.p99_ms, 2),
        "max_ms": rounded(result.max_ms, 2),
        "completed": result.completed,
        "refused": result.refused,
        "errors": result.errors,
        "customers_ran_out": result.exhausted,
        "cpu_ms_per_payment": {
            "server": ms(share.server),
            "database": ms(share.database),
            "driver": ms(share.driver),
        },
    }
