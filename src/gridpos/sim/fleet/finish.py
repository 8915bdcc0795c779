"""The end of the fleet's day: what any terminal still has waiting is resolved by the fleet,
``gridpos audit verify`` runs over the server's database, and each agent's float is checked
against the payments its terminals made.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine

from gridpos.domain.errors import DomainError
from gridpos.domain.payment_state import PaymentState
from gridpos.sim.fleet.county import County
from gridpos.sim.fleet.ledgers import read_floats
from gridpos.sim.fleet.report import AuditResult, FloatCheck
from gridpos.sim.fleet.services import gridpos_command, run_step
from gridpos.sim.fleet.spec import terminal_config
from gridpos.sim.fleet.truth import ServerPayment
from gridpos.terminal import Terminal, Timeouts

AUDIT_TIMEOUT_S = 600.0
PAUSE_S = 1.0


def final_sync(
    dirs: Mapping[str, Path], *, server_url: str, timeouts: Timeouts | None, seconds: float
) -> int:
    """Resolve and print what waits on every terminal, within ``seconds`` in all; how many
    journal payments still wait afterwards."""
    until = time.monotonic() + seconds
    left = 0
    for terminal_no, data_dir in dirs.items():
        config = terminal_config(timeouts, device_serial=f"FLEET-{terminal_no}")
        with Terminal(data_dir, server_url, config=config) as terminal:
            while terminal.waiting_count() and time.monotonic() < until:
                with contextlib.suppress(DomainError):
                    if terminal.resolve_pending().complete:
                        break
                time.sleep(PAUSE_S)
            with contextlib.suppress(DomainError):
                terminal.print_waiting()
            left += terminal.waiting_count()
    return left


def audit(database_url: str, *, env: Mapping[str, str]) -> AuditResult:
    """``gridpos audit verify --json`` as a process, read back."""
    done = run_step(
        gridpos_command("audit", "verify", "--json", "--database-url", database_url),
        env=env,
        timeout_s=AUDIT_TIMEOUT_S,
        what="audit verify",
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return AuditResult(ok=False, error=(done.stderr or done.stdout)[-500:])
    failed = tuple(
        str(check.get("name")) for check in report.get("checks", []) if not check.get("ok")
    )
    return AuditResult(ok=bool(report.get("ok")) and done.returncode == 0, failed=failed)


def check_floats(
    engine: Engine, county: County, server: Sequence[ServerPayment], terminal_nos: Sequence[str]
) -> FloatCheck:
    """Each agent of these terminals: float (available + held) now equals its float before the
    day less the cash of its confirmed payments (undone payments gave theirs back)."""
    now = read_floats(engine)
    agents = sorted({county.agent_of[number] for number in terminal_nos})
    taken: dict[str, int] = dict.fromkeys(agents, 0)
    for payment in server:
        if payment.state is PaymentState.CONFIRMED and payment.agent_code in taken:
            taken[payment.agent_code] += payment.cash
    mismatches = []
    for agent in agents:
        before = sum(county.floats.get(agent, (0, 0)))
        after = sum(now.get(agent, (0, 0)))
        if after != before - taken[agent]:
            mismatches.append(f"{agent}: {before} - {taken[agent]} != {after}")
    return FloatCheck(agents=len(agents), mismatches=tuple(mismatches))
