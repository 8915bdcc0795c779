"""The embedded default, started by one command: a generated county in the reference MIS, the
server's database, and every part that exists, each as its own process.

Each part runs as a child process through the ``gridpos`` command itself, so the demo starts
exactly what an operator would start by hand, and stopping the demo (Ctrl-C) stops them all:
the reference MIS; the organisation imported from it and the demo's people and places set up
(``gridpos org import-mis``, ``gridpos org demo-setup``); the server with its MIS worker; a link
emulator on the GPRS profile in front of it; and a small fleet of terminals collecting slowly
through the link in the background (``gridpos fleet``), so the console's monitoring moves. The
first collection points are left to people: their agents' sign-ins are printed with every other
role's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

DEFAULT_CUSTOMERS = 3_000
FULL_CUSTOMERS = 150_000
DEFAULT_MONTHS = 12
FLEET_TERMINALS = 4
PEOPLES_SEATS = 8  # collection points the fleet leaves to people signing in by hand
READY_TIMEOUT_S = 60.0


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
    server_port: int = 8600
    link_port: int = 8610
    link_control_port: int = 8611
    fleet_terminals: int = FLEET_TERMINALS

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
    optional: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    logs: list[IO[bytes]] = field(default_factory=list)

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        *,
        log: Path | None = None,
        optional: bool = False,
    ) -> None:
        """Start a part; its output goes to ``log`` when given. An ``optional`` part that exits
        is reported, and the demo goes on without it."""
        out: IO[bytes] | None = None
        if log is not None:
            out = log.open("ab")
            self.logs.append(out)
        process = subprocess.Popen(  # noqa: S603
            list(args), env=env, stdout=out, stderr=subprocess.STDOUT if out else None
        )
        self.processes.append((name, process))
        if optional:
            self.optional.add(name)

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
            if code is None or name in self.gone:
                continue
            if name in self.optional:
                self.gone.add(name)
                print(f"demo: {name} exited with {code}; the rest goes on", file=sys.stderr)
                continue
            return name, code
        return None

    def close_logs(self) -> None:
        for out in self.logs:
            out.close()


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


def _capture_step(title: str, args: Sequence[str], env: dict[str, str]) -> str:
    print(f"» {title}", flush=True)
    completed = subprocess.run(  # noqa: S603
        list(args), env=env, check=False, capture_output=True, text=True
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"demo: step failed ({title}), exit {completed.returncode}")
    return completed.stdout


def _wait_ready(name: str, url: str, children: _Children) -> None:
    """Wait until ``url`` answers (bounded); stop the demo if a part exited meanwhile."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=2.0) as http:
        while True:
            exited = children.first_exited()
            if exited is not None:
                raise SystemExit(f"demo: {exited[0]} exited with {exited[1]} while starting")
            try:
                if http.get(url).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: {name} did not answer at {url}")
            time.sleep(0.2)


def _sign_in_lines(sign_ins: list[dict[str, Any]]) -> list[str]:
    """One or more sign-ins of every role: the county's operators, a station head, and the
    agents of the collection points left to people."""
    shown: list[dict[str, Any]] = []
    for role, count in (
        ("admin", 1),
        ("finance", 2),
        ("auditor", 1),
        ("station_head", 1),
        ("station_staff", 1),
        ("agent", 3),
    ):
        shown.extend([s for s in sign_ins if s.get("role") == role][:count])
    lines = [
        f"  {'role':<13} {'organisation':<12} {'account':<12} {'password':<11} {'terminal':<9}"
        " where"
    ]
    for s in shown:
        lines.append(
            f"  {s['role']:<13} {s['org_code']:<12} {s['account']:<12} {s['password']:<11}"
            f" {s.get('terminal_no') or '-':<9} {s['org_name']}"
        )
    return lines


def _fleet_args(plan: DemoPlan, *, server_url: str, refmis_url: str) -> list[str]:
    host = plan.host
    return _gridpos(
        "fleet",
        "--server-url", server_url,
        "--link-url", f"http://{host}:{plan.link_port}",
        "--link-control", f"http://{host}:{plan.link_control_port}",
        "--mis-url", refmis_url,
        "--mis-api-key", plan.refmis_api_key,
        "--database-url", plan.server_database_url,
        "--data-dir", str(plan.data_dir / "fleet"),
        "--terminals", str(plan.fleet_terminals),
        "--skip-seats", str(PEOPLES_SEATS),
        "--profile", "gprs",
        "--seed", str(plan.seed),
        "--payments-per-terminal", "100000",
        "--duration", "604800",
        "--think-min", "20",
        "--think-max", "60",
        "--partitions", "0",
        "--terminal-crashes", "0",
        "--json",
    )  # fmt: skip


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(plan: DemoPlan) -> int:
    """Prepare, start every part, print where to find them, and wait until interrupted."""
    refmis_url = f"http://{plan.host}:{plan.refmis_port}"
    server_url = f"http://{plan.host}:{plan.server_port}"
    control_url = f"http://{plan.host}:{plan.link_control_port}"
    env = dict(os.environ)
    env["GRIDPOS_DATA_DIR"] = str(plan.data_dir)
    env["GRIDPOS_DATABASE_URL"] = plan.server_database_url
    env["GRIDPOS_REFMIS_DATABASE_URL"] = plan.refmis_database_url
    env["GRIDPOS_REFMIS_API_KEY"] = plan.refmis_api_key
    env["GRIDPOS_MIS_URL"] = refmis_url
    env["GRIDPOS_MIS_API_KEY"] = plan.refmis_api_key
    prepare(plan, env)
    children = _Children()
    signal.signal(signal.SIGTERM, _interrupt)  # stopped like Ctrl-C: every part with it
    try:
        children.start(
            "refmis",
            _gridpos("refmis", "serve", "--host", plan.host, "--port", str(plan.refmis_port)),
            env,
            log=plan.data_dir / "refmis.log",
        )
        _wait_ready("the reference MIS", f"{refmis_url}/healthz", children)
        _run_step("importing the organisation from the MIS", _gridpos("org", "import-mis"), env)
        sign_ins = json.loads(
            _capture_step(
                "setting up the demo's collection points, agents, terminals and operators",
                _gridpos("org", "demo-setup", "--json"),
                env,
            )
        )
        children.start(
            "server",
            _gridpos("serve", "--host", plan.host, "--port", str(plan.server_port)),
            env,
            log=plan.data_dir / "server.log",
        )
        _wait_ready("the server", f"{server_url}/healthz", children)
        children.start(
            "link",
            _gridpos(
                "link",
                "--listen",
                f"{plan.host}:{plan.link_port}",
                "--upstream",
                f"{plan.host}:{plan.server_port}",
                "--profile",
                "gprs",
                "--seed",
                str(plan.seed),
                "--control",
                f"{plan.host}:{plan.link_control_port}",
            ),
            env,
            log=plan.data_dir / "link.log",
        )
        _wait_ready("the link emulator", f"{control_url}/control", children)
        if plan.fleet_terminals:
            children.start(
                "fleet",
                _fleet_args(plan, server_url=server_url, refmis_url=refmis_url),
                env,
                log=plan.data_dir / "fleet.log",
                optional=True,
            )
        print(
            "\n".join(
                [
                    "",
                    "gridpos demo is running (Ctrl-C stops it):",
                    f"  console         {server_url}/console",
                    f"  terminal API    {server_url}  (through GPRS: http://{plan.host}:"
                    f"{plan.link_port}, link control {control_url}/control)",
                    f"  reference MIS   {refmis_url}  (OpenAPI: {refmis_url}/docs,"
                    f" API key: {plan.refmis_api_key})",
                    f"  fleet           {plan.fleet_terminals} terminals collecting through"
                    f" the link (log: {plan.data_dir / 'fleet.log'})",
                    f"  data directory  {plan.data_dir}  (logs: refmis.log, server.log with the"
                    " MIS worker, link.log, fleet.log)",
                    "",
                    "Sign in (every account: gridpos org demo-setup):",
                    *_sign_in_lines(sign_ins),
                    "",
                    "A terminal of your own, through the GPRS link:",
                    f"  gridpos terminals enrol-code <terminal> --database-url"
                    f" {plan.server_database_url}",
                    f"  gridpos terminal --server http://{plan.host}:{plan.link_port}"
                    " --data-dir <dir> --enrol <code>",
                    "",
                ]
            ),
            flush=True,
        )
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
        children.close_logs()
