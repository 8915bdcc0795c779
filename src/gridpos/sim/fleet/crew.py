"""Running the collectors: most as threads of the fleet, the ones planned to crash as processes of
their own (killed by SIGKILL at the planned point and started again on the same data directory),
and enrolling every terminal first, directly at the server, as an installer would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO

from gridpos.sim.fleet.collector import Collector
from gridpos.sim.fleet.events import Sink, read_event
from gridpos.sim.fleet.plan import TerminalPlan
from gridpos.sim.fleet.spec import CollectorSettings, spec_of, terminal_config
from gridpos.terminal import NoAnswerError, Terminal, Timeouts

MAX_RESTARTS = 6
ENROL_ATTEMPTS = 5


def terminal_dir(data_dir: Path, terminal_no: str) -> Path:
    return data_dir / "terminals" / terminal_no


def enrol_terminals(
    codes: Mapping[str, str], *, data_dir: Path, server_url: str, timeouts: Timeouts | None
) -> list[str]:
    """Enrol each terminal with its code (``codes``: terminal number → code) straight at the
    server; the terminals enrolled. A terminal whose journal is enrolled already is skipped.

    Raises:
        TerminalError: a refusal or no answer after :data:`ENROL_ATTEMPTS` tries.
    """
    enrolled: list[str] = []
    for terminal_no, code in codes.items():
        config = terminal_config(timeouts, device_serial=f"FLEET-{terminal_no}")
        with Terminal(terminal_dir(data_dir, terminal_no), server_url, config=config) as terminal:
            if terminal.identity is not None:
                continue
            for attempt in range(ENROL_ATTEMPTS):
                try:
                    terminal.enrol(code)
                    break
                except NoAnswerError:
                    if attempt == ENROL_ATTEMPTS - 1:
                        raise
                    time.sleep(1.0)
            enrolled.append(terminal_no)
    return enrolled


def needs_enrolment(data_dir: Path, terminal_no: str) -> bool:
    """Whether the terminal's journal holds no identity yet (opening creates the journal)."""
    with Terminal(terminal_dir(data_dir, terminal_no), "http://127.0.0.1:9") as terminal:
        return terminal.identity is None


class ThreadCollector:
    """A collector in a thread of this process; its events go straight to the sink."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.terminal_no = collector.plan.terminal_no
        self.restarts = 0
        self._thread = threading.Thread(
            target=self._run, name=f"collector-{collector.plan.terminal_no}", daemon=True
        )

    def _run(self) -> None:
        try:
            self.collector.run()
        except Exception as exc:
            self.collector.problem("collector_failed", exc)
            self.collector.emit("phase", name="day_done", failed=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout=max(timeout, 0.0))
        return not self._thread.is_alive()

    def kill(self) -> None:
        """A thread cannot be killed: it ends at its own deadlines."""


class ChildCollector:
    """A collector as its own process, restarted after each crash (at most
    :data:`MAX_RESTARTS` times) from the visit after the one it died in."""

    def __init__(
        self, plan: TerminalPlan, *, settings: CollectorSettings, sink: Sink, log_path: Path
    ) -> None:
        self.plan = plan
        self.terminal_no = plan.terminal_no
        self.settings = settings
        self._sink = sink
        self._log_path = log_path
        self.restarts = 0
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._supervise, name=f"child-{self.plan.terminal_no}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _spawn(self, settings: CollectorSettings, log: IO[str]) -> subprocess.Popen[str]:
        spec_path = settings.data_dir / "fleet-spec.json"
        spec_path.parent.mkdir(parents=True, exist_ok=True)
        spec_path.write_text(json.dumps(spec_of(self.plan, settings)), encoding="utf-8")
        return subprocess.Popen(  # noqa: S603 - our own module, no shell
            [sys.executable, "-m", "gridpos.sim.fleet.child", str(spec_path)],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )

    def _supervise(self) -> None:
        settings = self.settings
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("a", encoding="utf-8") as log:
            for _ in range(MAX_RESTARTS + 1):
                with self._lock:
                    if self._stopping:
                        return
                    process = self._process = self._spawn(settings, log)
                last_visit, crashed_at, day_done = self._follow(process)
                code = process.wait()
                if day_done or self._stopping or time.time() >= settings.sync_deadline:
                    return
                self._sink(
                    {
                        "ev": "restart",
                        "term": self.plan.terminal_no,
                        "t": round(time.time(), 3),
                        "exit": code,
                        "crashed_at": crashed_at,
                    }
                )
                self.restarts += 1
                after = crashed_at if crashed_at is not None else -1
                resume = max(settings.resume_from, last_visit + 1, after + 1)
                crashes = settings.crashes_done + (1 if crashed_at is not None else 0)
                settings = replace(settings, resume_from=resume, crashes_done=crashes)

    def _follow(self, process: subprocess.Popen[str]) -> tuple[int, int | None, bool]:
        last_visit, crashed_at, day_done = -1, None, False
        assert process.stdout is not None  # noqa: S101 - opened with a pipe
        for line in process.stdout:
            event = read_event(line)
            if event is None:
                continue
            self._sink(event)
            kind = event["ev"]
            if kind == "visit_done":
                last_visit = max(last_visit, int(event["visit"]))
            elif kind == "crash":
                crashed_at = int(event["visit"])
            elif kind == "phase" and event.get("name") == "day_done":
                day_done = True
        return last_visit, crashed_at, day_done

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout=max(timeout, 0.0))
        return not self._thread.is_alive()

    def kill(self) -> None:
        """Stop restarting and kill the process now."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        self._thread.join(timeout=10)
