"""The embedded default, started by one command: a generated county in the reference MIS, the
server's database, and every part that exists, each as its own process.

Each part runs as a child process through the ``gridpos`` command itself, so the demo starts
exactly what an operator would start by hand, and stopping the demo (Ctrl-C) stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CUSTOMERS = 3_000
FULL_CUSTOMERS = 150_000
DEFAULT_MONTHS = 12


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """What the demo will start, where its files live, and on which ports."""

    data_dir: Path
    customers: int
    months: int
    seed: int
    host: str
    refmis_port: int
    refmis_api_key: str
    regenerate: bool = False

    @property
    def refmis_database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'refmis.sqlite'}"

    @property
    def server_database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'gridpos.sqlite'}"

    @property
    def county_marker(self) -> Path:
        return self.data_dir / f"county-{self.customers}x{self.months}-seed{self.seed}.done"


@dataclass
class _Children:
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], env: dict[str, str]) -> None:
        self.processes.append((name, subprocess.Popen(list(args), env=env)))  # noqa: S603

    def stop_all(self) -> None:
        for _, proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in self.processes:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                proc.kill()

    def first_exited(self) -> tuple[str, int] | None:
        for name, proc in self.processes:
            code = proc.poll()
            if code is not None:
                return name, code
        return None


def _gridpos(*args: str) -> list[str]:
    return [sys.executable, "-m", "gridpos", *args]


def _run_step(title: str, args: Sequence[str], env: dict[str, str]) -> None:
    print(f"» {title}", flush=True)
    completed = subprocess.run(list(args), env=env, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise SystemExit(f"demo: step failed ({title}), exit {completed.returncode}")


def prepare(plan: DemoPlan, env: dict[str, str]) -> None:
    """Create the data directory, the county (once per size and seed) and the server database."""
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    if plan.regenerate or not plan.county_marker.exists():
        for stale in plan.data_dir.glob("refmis.sqlite*"):
            stale.unlink()
        for marker in plan.data_dir.glob("county-*.done"):
            marker.unlink()
        _run_step(
            f"generating the county: {plan.customers} customers, {plan.months} months",
            _gridpos(
                "refmis",
                "generate",
                "--customers",
                str(plan.customers),
                "--months",
                str(plan.months),
                "--seed",
                str(plan.seed),
                "--database-url",
                plan.refmis_database_url,
            ),
            env,
        )
        plan.county_marker.touch()
    _run_step("creating or upgrading the server database", _gridpos("db", "upgrade"), env)


def run(plan: DemoPlan) -> int:
    """Prepare, start every part, print where to find them, and wait until interrupted."""
    env = dict(os.environ)
    env["GRIDPOS_DATA_DIR"] = str(plan.data_dir)
    env["GRIDPOS_DATABASE_URL"] = plan.server_database_url
    env["GRIDPOS_REFMIS_DATABASE_URL"] = plan.refmis_database_url
    env["GRIDPOS_REFMIS_API_KEY"] = plan.refmis_api_key
    prepare(plan, env)
    children = _Children()
    refmis_url = f"http://{plan.host}:{plan.refmis_port}"
    children.start(
        "refmis",
        _gridpos("refmis", "serve", "--host", plan.host, "--port", str(plan.refmis_port)),
        env,
    )
    print(
        "\n".join(
            [
                "",
                "gridpos demo is running (Ctrl-C stops it):",
                f"  reference MIS   {refmis_url}  (OpenAPI: {refmis_url}/docs,"
                f" API key: {plan.refmis_api_key})",
                f"  data directory  {plan.data_dir}",
                "",
            ]
        ),
        flush=True,
    )
    try:
        while True:
            exited = children.first_exited()
            if exited is not None:
                name, code = exited
                print(f"demo: {name} exited with {code}; stopping", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        children.stop_all()
