"""The fleet's own services, each a child process started through the ``gridpos`` command exactly
as an operator would start it: the reference MIS, the payment server (which the fleet may kill
with SIGKILL and start again on the same database) and the link emulator with its control
endpoint. Every start waits for the service to answer, bounded; every stop is bounded too.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from gridpos.sim.fleet.errors import fleet_error

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.1
SETTLE_S = 1.0
CONTROL_TIMEOUT_S = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the OS's choice)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def gridpos_command(*args: str) -> list[str]:
    """``gridpos …`` run by this interpreter."""
    return [sys.executable, "-m", "gridpos", *args]


@dataclass
class ServiceProcess:
    """One service as a child process; its output goes to ``log_path``.

    ``ready_url`` is asked (GET, any answer below 500) until the service answers; a service
    without one (a worker) is ready when it is still running after :data:`SETTLE_S`.
    """

    name: str
    args: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    ready_url: str | None
    starts: int = 0
    kills: int = 0
    _launched_at: float = field(default=0.0, repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the process and wait until it answers.

        Raises:
            FleetError: ``fleet_service_failed`` — it exited or did not answer in time (the last
                lines of its log in the details).
        """
        self.launch()
        self.wait_ready(timeout_s=timeout_s)

    def launch(self) -> None:
        """Start the process (unless it runs) without waiting for it."""
        if self.alive():
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            list(self.args),
            env=dict(self.env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.starts += 1
        self._launched_at = time.monotonic()

    def wait_ready(self, *, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait until the launched process answers (see :meth:`start`)."""
        process = self._process
        if process is None:
            raise self._failed("was never started")
        deadline = time.monotonic() + timeout_s
        if self.ready_url is None:
            time.sleep(max(0.0, self._launched_at + SETTLE_S - time.monotonic()))
            if process.poll() is not None:
                raise self._failed("exited", code=process.returncode)
            return
        with httpx.Client(timeout=2.0) as http:
            while True:
                if process.poll() is not None:
                    raise self._failed("exited", code=process.returncode)
                try:
                    if http.get(self.ready_url).status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise self._failed("did not answer", timeout_s=timeout_s)
                time.sleep(POLL_S)

    def _failed(self, what: str, **details: Any) -> Exception:
        tail = ""
        if self.log_path.exists():
            tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        return fleet_error(
            "fleet_service_failed",
            self.name,
            f"{self.name} 未能启动（{what}）",
            f"{self.name} {what}",
            log=str(self.log_path),
            tail=tail,
            **details,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing flushed; wait until it is gone (bounded)."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL)
        self.kills += 1
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not stopped in time; close the log."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None


def refmis_service(
    *, data_dir: Path, database_url: str, api_key: str, env: Mapping[str, str]
) -> tuple[ServiceProcess, str]:
    """The reference MIS (not started) and its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    service = ServiceProcess(
        name="refmis",
        args=gridpos_command(
            "refmis", "serve", "--port", str(port), "--database-url", database_url
        ),
        env={**env, "GRIDPOS_REFMIS_API_KEY": api_key},
        log_path=data_dir / "logs" / "refmis.log",
        ready_url=f"{url}/healthz",
    )
    return service, url


def server_service(
    *, data_dir: Path, database_url: str, env: Mapping[str, str]
) -> tuple[ServiceProcess, str]:
    """``gridpos serve`` (not started) on a fixed port, so a restart comes back where the link
    expects it, and its URL. The MIS worker runs apart (:func:`worker_service`), as in
    production: killing the server does not kill the worker in the middle of a delivery."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    service = ServiceProcess(
        name="server",
        args=gridpos_command(
            "serve",
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--no-worker",
            "--log-level",
            "warning",
        ),
        env={**env, "GRIDPOS_DATA_DIR": str(data_dir), "GRIDPOS_DATABASE_URL": database_url},
        log_path=data_dir / "logs" / "server.log",
        ready_url=f"{url}/healthz",
    )
    return service, url


def worker_service(
    *, data_dir: Path, database_url: str, mis_url: str, api_key: str, env: Mapping[str, str]
) -> ServiceProcess:
    """``gridpos worker`` (not started): replica sync and outbox delivery to the MIS."""
    return ServiceProcess(
        name="worker",
        args=gridpos_command(
            "worker",
            "--database-url",
            database_url,
            "--mis-url",
            mis_url,
            "--mis-api-key",
            api_key,
            "--mis-timeout",
            "5",
            "--log-level",
            "warning",
        ),
        env={**env, "GRIDPOS_DATA_DIR": str(data_dir)},
        log_path=data_dir / "logs" / "worker.log",
        ready_url=None,
    )


def link_service(
    *,
    data_dir: Path,
    upstream: str,
    profile: Mapping[str, Any],
    seed: int,
    env: Mapping[str, str],
    idle_timeout_s: float,
) -> tuple[ServiceProcess, str, str]:
    """``gridpos link`` (not started) in front of ``upstream`` (host:port); its URL for the
    terminals and the URL of its control endpoint."""
    port, control = free_port(), free_port()
    control_url = f"http://127.0.0.1:{control}"
    service = ServiceProcess(
        name="link",
        args=gridpos_command(
            "link",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            upstream,
            "--profile",
            json.dumps(dict(profile)),
            "--seed",
            str(seed),
            "--control",
            f"127.0.0.1:{control}",
            "--idle-timeout",
            str(idle_timeout_s),
        ),
        env=dict(env),
        log_path=data_dir / "logs" / "link.log",
        ready_url=f"{control_url}/control",
    )
    return service, f"http://127.0.0.1:{port}", control_url


class LinkControl:
    """The control endpoint of a running link emulator (``/control``, ``/stats``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def change(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` (see :mod:`gridpos.sim.link.control`); the settings now in force.

        Raises:
            FleetError: ``fleet_service_failed`` — the link refused or did not answer.
        """
        try:
            response = httpx.post(
                f"{self.url}/control", json=dict(changes), timeout=CONTROL_TIMEOUT_S
            )
        except httpx.HTTPError as exc:
            raise fleet_error(
                "fleet_service_failed",
                "link",
                "链路模拟器无应答",
                "the link did not answer",
                problem=type(exc).__name__,
            ) from exc
        if response.status_code != 200:
            raise fleet_error(
                "fleet_service_failed",
                "link",
                "链路模拟器拒绝了设置",
                "the link refused the change",
                answer=response.text[:500],
            )
        result: dict[str, Any] = response.json()
        return result

    def stats(self, *, detail: bool = True) -> dict[str, Any]:
        """The link's counters (with every exchange kept when ``detail``).

        Raises:
            FleetError: ``fleet_service_failed`` — the link did not answer.
        """
        query = "" if detail else "?detail=0"
        try:
            response = httpx.get(f"{self.url}/stats{query}", timeout=CONTROL_TIMEOUT_S)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise fleet_error(
                "fleet_service_failed",
                "link",
                "链路模拟器无应答",
                "the link did not answer",
                problem=type(exc).__name__,
            ) from exc
        result: dict[str, Any] = response.json()
        return result


def run_step(
    args: Sequence[str], *, env: Mapping[str, str], timeout_s: float, what: str
) -> subprocess.CompletedProcess[str]:
    """Run one ``gridpos`` step to its end (bounded); its output captured.

    Raises:
        FleetError: ``fleet_setup_failed`` — it did not finish in time.
    """
    try:
        return subprocess.run(  # noqa: S603 - our own command, no shell
            list(args),
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise fleet_error(
            "fleet_setup_failed",
            what,
            f"{what} 超时",
            f"{what} did not finish in {timeout_s:g} s",
        ) from exc
