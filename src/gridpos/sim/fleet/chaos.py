"""Faults of the day beyond the link's own cuts and stalls: the server process killed (SIGKILL)
and started again on the same database, and coverage lost for a while (the link partitioned,
black-holing what is in flight and refusing new connections).

The faults are planned from the seed as points in the day's progress (the share of all planned
customers already served), so a fast and a slow day meet them at the same place; a background
thread carries them out as the day reaches each point — but never sooner than ``gap_s`` after
the previous one ended, so that outages do not run into one another when collecting offline
speeds the day up — and records what it did.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from gridpos.domain.errors import DomainError
from gridpos.sim.fleet.services import LinkControl, ServiceProcess

POLL_S = 0.2


class FaultKind(StrEnum):
    SERVER_KILL = "server_kill"
    PARTITION = "partition"


@dataclass(frozen=True, slots=True)
class PlannedFault:
    """A fault at ``progress`` (0–1 of the day's customers), lasting ``seconds``."""

    kind: FaultKind
    progress: float
    seconds: float


@dataclass(frozen=True, slots=True)
class DoneFault:
    """What was done: when (seconds into the day), for how long, and whether it went as meant."""

    kind: FaultKind
    at_s: float
    seconds: float
    ok: bool
    detail: str = ""


def plan_faults(
    *, seed: int, server_kills: int, partitions: int, partition_s: float
) -> list[PlannedFault]:
    """Server kills spread over 10–80 % of the day (down 1–3 s each), partitions over 20–70 %."""
    rng = random.Random(f"{seed}:faults")  # noqa: S311 - a simulation
    planned: list[PlannedFault] = []
    for n in range(max(server_kills, 0)):
        low = 0.1 + 0.7 * n / max(server_kills, 1)
        high = 0.1 + 0.7 * (n + 1) / max(server_kills, 1)
        planned.append(
            PlannedFault(FaultKind.SERVER_KILL, rng.uniform(low, high), rng.uniform(1.0, 3.0))
        )
    for n in range(max(partitions, 0)):
        low = 0.2 + 0.5 * n / max(partitions, 1)
        high = 0.2 + 0.5 * (n + 1) / max(partitions, 1)
        planned.append(PlannedFault(FaultKind.PARTITION, rng.uniform(low, high), partition_s))
    return sorted(planned, key=lambda fault: fault.progress)


@dataclass
class Chaos:
    """Carries out planned faults as ``progress()`` reaches them (see the module's docstring).

    ``server`` is None when the server is not the fleet's own (it is never killed then);
    ``link`` None when the link has no control endpoint (no partitions then).
    """

    planned: list[PlannedFault]
    progress: Callable[[], float]
    server: ServiceProcess | None
    link: LinkControl | None
    gap_s: float = 10.0
    done: list[DoneFault] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="fleet-chaos", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop before the next fault; a fault under way is finished (server up, link back)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            self._thread = None

    def _now(self) -> float:
        return round(time.monotonic() - self._started, 3)

    def _run(self) -> None:
        ready_at = 0.0
        for fault in self.planned:
            while self.progress() < fault.progress or self._now() < ready_at:
                if self._stop.wait(POLL_S):
                    return
            if fault.kind is FaultKind.SERVER_KILL:
                self._kill_server(fault)
            else:
                self._partition(fault)
            ready_at = self._now() + self.gap_s  # the link comes back for a while in between

    def _kill_server(self, fault: PlannedFault) -> None:
        server = self.server
        if server is None:
            return
        at = self._now()
        server.kill()
        time.sleep(fault.seconds)
        try:
            server.start()
        except DomainError as exc:
            self.done.append(DoneFault(fault.kind, at, self._now() - at, False, str(exc)[:300]))
            return
        self.done.append(DoneFault(fault.kind, at, round(self._now() - at, 3), True))

    def _partition(self, fault: PlannedFault) -> None:
        link = self.link
        if link is None:
            return
        at = self._now()
        try:
            link.change({"partition": True, "partition_mode": "black_hole"})
            self._stop.wait(fault.seconds)
        except DomainError as exc:
            self.done.append(DoneFault(fault.kind, at, 0.0, False, str(exc)[:300]))
            return
        finally:
            with contextlib.suppress(DomainError):
                link.change({"partition": False})
        self.done.append(DoneFault(fault.kind, at, round(self._now() - at, 3), True))
