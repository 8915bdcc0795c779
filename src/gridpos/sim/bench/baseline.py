"""The raw-SQL baseline: one payment's database work, statement by statement, from pgbench.

No application at all: pgbench (C, prepared statements, ``-M prepared``) sends each statement and
waits for its answer — one round trip per statement — at the same concurrency as the terminals,
against the same database, rows and indexes:

1. ``BEGIN``;
2. lock the customer (``SELECT … FOR UPDATE``);
3. debit the agent's float (its CHECK refuses an overdraft);
4. insert the payment;
5. move the receivable's paid principal (the allocation's kept balance);
6. insert the allocation;
7. insert the ledger transaction;
8. insert its two entries;
9. insert the outbox row;
10. insert the audit entry (unsealed, as payments write it);
11. ``COMMIT``.

That is less than a gridpos payment does (no replay guard, no receipt, no reads of the day's
context or of the open receivables), so the ratio against it errs against gridpos. Each client is
one terminal with its own agent, paying random customers of the baseline's own range.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridpos.sim.bench.county import BenchCounty
from gridpos.sim.bench.figures import percentile
from gridpos.sim.bench.runs import backend_cpu_by_pid, cpu_spent

SCRIPT = r"""
\set k :client_id % :tcount
\set tid :tbase + :k
\set aid :abase + :k
\set opid :obase + :k
\set org :pbase + :k
\set cid random(:cmin, :cmax)
\set n random(1, 1000000000000000)
BEGIN;
SELECT id, prepaid, rounding_credit FROM customers WHERE id = :cid FOR UPDATE;
UPDATE agents SET float_available = float_available - 100 WHERE id = :aid
  RETURNING float_available;
INSERT INTO payments (terminal_id, txn_id, request_hash, trace_no, batch_no, agent_id,
    operator_id, customer_id, org_id, business_date, cash_time, recorded_at, cash, penalty_total,
    principal_total, state, offline, verification_code, mis_state)
  VALUES (:tid, 'B-' || CAST(:client_id AS text) || '-' || CAST(:n AS text),
    md5(CAST(:n AS text)), 1, 1, :aid, :opid, :cid, :org, CAST(:bd AS date), now(), now(),
    100, 0, 100, 'confirmed', false, '12345678', 'pending')
  RETURNING id AS pid \gset
UPDATE receivables SET principal_paid = principal_paid + 100, settle_state = 'partial'
  WHERE customer_id = :cid RETURNING id AS rid \gset
INSERT INTO payment_allocations (payment_id, receivable_id, penalty_paid, principal_paid)
  VALUES (:pid, :rid, 0, 100);
INSERT INTO ledger_transactions (kind, business_date, recorded_at, payment_id, agent_id, memo)
  VALUES ('payment', CAST(:bd AS date), now(), :pid, :aid, '') RETURNING id AS lid \gset
INSERT INTO ledger_entries (transaction_id, account_kind, owner_id, amount)
  VALUES (:lid, 'agent_float', :aid, 100), (:lid, 'receivable_principal', :rid, -100);
INSERT INTO outbox (topic, aggregate_id, payload, state, attempts, next_attempt_at, created_at)
  VALUES ('mis.post', 'B-' || CAST(:client_id AS text) || '-' || CAST(:n AS text),
    CAST(:payload AS text), 'pending', 0, now(), now());
INSERT INTO audit_log (occurred_at, actor, action, subject, details)
  VALUES (now(), CAST(:actor AS text), 'payment.collect',
    CAST(:subject AS text) || CAST(:n AS text), CAST(:details AS text));
END;
"""
# what a payment's outbox row and audit entry hold, of the same size as gridpos writes them
PAYLOAD = (
    '{"account_no":"0000000001","amount_fen":100,"business_date":"2024-05-01",'
    '"cash_date":"2024-05-01","channel":"POS","collection_point_id":"990000010000",'
    '"lines":[{"penalty":0,"period":"202405","principal":100,"run_no":1}],'
    '"operator_id":"BA0000","payment_id":"99000000-1-0a1b2c3d","prepaid_added":0,'
    '"prepaid_used":0,"rounding_added":0,"rounding_used":0,"terminal_id":"99000000"}'
)
DETAILS = (
    '{"account_no":"0000000001","business_date":"2024-05-01","cash":100,"commission":0,'
    '"penalty":0,"principal":100,"terminal":"99000000"}'
)
STATEMENTS_PER_PAYMENT = 11
_CPU_LOOK_BEFORE_END_S = 0.4


class BaselineUnavailableError(RuntimeError):
    """pgbench is not installed (Debian: ``postgresql-client``)."""


@dataclass(frozen=True, slots=True)
class BaselineResult:
    """One baseline run: transactions per second and their latency."""

    clients: int
    completed: int
    per_s: float
    p50_ms: float
    p99_ms: float
    failed_clients: int
    database_cpu_ms: float | None = None  # per transaction, from a look just before the end


def run_baseline(
    *,
    dsn: str,
    county: BenchCounty,
    clients: int,
    duration_s: float,
    warmup_s: float,
    workdir: Path,
) -> BaselineResult:
    """Run the baseline with ``clients`` connections for a warm-up, then ``duration_s``.

    Raises :class:`BaselineUnavailableError` without pgbench, ``RuntimeError`` when pgbench
    fails.
    """
    executable = shutil.which("pgbench")
    if executable is None:
        raise BaselineUnavailableError("pgbench is not installed (Debian: postgresql-client)")
    script = workdir / "payment.sql"
    script.write_text(SCRIPT, encoding="utf-8")
    variables = _variables(county)
    if warmup_s > 0:
        warmup = max(1, round(warmup_s))
        _pgbench(executable, dsn, script, variables, clients=clients, seconds=warmup, log=None)
    seconds = max(1, round(duration_s))  # pgbench counts whole seconds
    # the CPU of pgbench's server processes, looked at just before they end with it
    cpu: dict[str, Any] = {"before": backend_cpu_by_pid(dsn)}

    def look() -> None:
        cpu["after"], cpu["at"] = backend_cpu_by_pid(dsn), time.time()

    probe = threading.Timer(max(seconds - _CPU_LOOK_BEFORE_END_S, 0.2), look)
    probe.start()
    with tempfile.TemporaryDirectory(dir=workdir) as logs:
        prefix = Path(logs) / "baseline"
        try:
            failed = _pgbench(
                executable, dsn, script, variables, clients=clients, seconds=seconds, log=prefix
            )
        finally:
            probe.join()
        finished = _finished(Path(logs))
    latencies = sorted(latency for latency, _ in finished)
    if not latencies:
        raise RuntimeError("pgbench completed no transaction")
    by_then = sum(1 for _, at in finished if "at" in cpu and at <= cpu["at"])
    return BaselineResult(
        clients=clients,
        completed=len(latencies),
        per_s=len(latencies) / seconds,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        failed_clients=failed,
        database_cpu_ms=cpu_spent(cpu["before"], cpu["after"]) * 1000 / by_then
        if by_then and "after" in cpu
        else None,
    )


def _variables(county: BenchCounty) -> dict[str, str]:
    terminals = county.terminals
    first = terminals[0]
    for attribute in ("terminal_id", "agent_id", "operator_id", "org_id"):
        ids = [getattr(terminal, attribute) for terminal in terminals]
        if ids != list(range(ids[0], ids[0] + len(ids))):
            raise RuntimeError(f"the bench {attribute}s are not consecutive: {ids[:5]} …")
    return {
        "tcount": str(len(terminals)),
        "tbase": str(first.terminal_id),
        "abase": str(first.agent_id),
        "obase": str(first.operator_id),
        "pbase": str(first.org_id),
        "cmin": str(county.baseline_customers[0]),
        "cmax": str(county.baseline_customers[1]),
        "bd": county.business_date.isoformat(),
        "payload": PAYLOAD,
        "details": DETAILS,
        # pgbench reads ":name" as a variable even inside a literal: these ride as values
        "actor": "operator:BA0000",
        "subject": "payment:B-",
    }


def _pgbench(
    executable: str,
    dsn: str,
    script: Path,
    variables: dict[str, str],
    *,
    clients: int,
    seconds: int,
    log: Path | None,
) -> int:
    """Run pgbench; the number of clients that aborted."""
    params = dict(part.split("=", 1) for part in dsn.split())
    env = {
        **os.environ,
        "PGHOST": params.get("host", "127.0.0.1"),
        "PGPORT": params.get("port", "5432"),
        "PGUSER": params.get("user", "postgres"),
    }
    if "password" in params:
        env["PGPASSWORD"] = params["password"]
    command = [
        executable,
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={clients}",
        f"--jobs={min(clients, 2)}",
        f"--time={seconds}",
        f"--file={script}",
    ]
    command += [f"--define={name}={value}" for name, value in variables.items()]
    if log is not None:
        command += ["--log", f"--log-prefix={log}"]
    command.append(params.get("dbname", "postgres"))
    finished = subprocess.run(  # noqa: S603 - our own arguments
        command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if finished.returncode not in (0, 2):  # 2: some clients aborted, reported below
        raise RuntimeError(f"pgbench failed: {finished.stderr.strip()[-500:]}")
    aborted = 0
    for line in finished.stdout.splitlines():
        if line.startswith("number of failed transactions") or "aborted" in line:
            digits = "".join(ch for ch in line.split(":", 1)[-1].split("(")[0] if ch.isdigit())
            aborted += int(digits or 0)
    return aborted


def _finished(directory: Path) -> list[tuple[float, float]]:
    """(latency, unix time it ended) of each transaction, seconds, from pgbench's logs: ``client
    transaction latency_us script epoch_s epoch_us``."""
    finished: list[tuple[float, float]] = []
    for path in directory.iterdir():
        for line in path.read_text(encoding="ascii").splitlines():
            fields = line.split()
            if len(fields) >= 6 and fields[2].isdigit():
                at = int(fields[4]) + int(fields[5]) / 1_000_000
                finished.append((int(fields[2]) / 1_000_000, at))
    return finished
