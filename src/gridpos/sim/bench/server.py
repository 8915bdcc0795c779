"""``gridpos serve`` as the benchmark runs it: a process of its own, on a free loopback port.

The server is started exactly as an operator would (``gridpos serve --workers N``), without the
embedded MIS worker (there is no MIS in the benchmark) and with warning-level logs (a JSON line
per request would be written to a pipe nobody reads). The harness waits for ``/healthz`` and
stops it with SIGINT, then SIGKILL if it lingers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 20.0


def process_cpu(pid: int) -> float | None:
    """User plus system CPU seconds of process ``pid`` (Linux ``/proc``), None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields after the command: state is [0], utime [11], stime [12], in clock ticks
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds of ``pid`` and every process below it (Linux), None if unknown."""
    total = process_cpu(pid)
    if total is None:
        return None
    for child in _children(pid):
        total += process_tree_cpu(child) or 0.0
    return total


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return children


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """``gridpos serve`` on ``database_url`` with ``workers`` processes (``with``)."""

    def __init__(self, *, database_url: str, workers: int, data_dir: Path) -> None:
        self.database_url = database_url
        self.workers = workers
        self.data_dir = data_dir
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = data_dir / f"serve-{self.port}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the server and its worker processes (Linux), else None."""
        if self._process is None:
            return None
        return process_tree_cpu(self._process.pid)

    def __enter__(self) -> ServerProcess:
        env = {
            **os.environ,
            "GRIDPOS_DATA_DIR": str(self.data_dir),
            "GRIDPOS_DATABASE_URL": self.database_url,
        }
        command = [
            sys.executable,
            "-m",
            "gridpos",
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-worker",
            "--no-migrate",
            "--log-level",
            "warning",
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own command
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        self._process = None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT_S)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"gridpos serve exited: {self._tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gridpos serve did not become healthy: {self._tail()}")

    def _tail(self) -> str:
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return "(no log)"
