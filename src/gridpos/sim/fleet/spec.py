"""How a collector's terminal is set up, and what a terminal process is started with: its plan
and its collector's settings, as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridpos.sim.fleet.plan import TerminalPlan
from gridpos.terminal import TerminalConfig, Timeouts


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    """Where the terminal lives and talks, and until when it works.

    ``timeouts`` of ``None`` follow the server's sign-in parameters; ``resume_from`` is the
    first visit still to do after a restart, ``crashes_done`` how many of the plan's crashes
    already happened.
    """

    server_url: str
    data_dir: Path
    deadline: float
    sync_deadline: float
    timeouts: Timeouts | None = None
    resume_from: int = 0
    crashes_done: int = 0


def terminal_config(timeouts: Timeouts | None, *, device_serial: str) -> TerminalConfig:
    """The terminal's configuration: GPRS defaults, or the fleet's own timeouts."""
    if timeouts is None:
        return TerminalConfig(device_serial=device_serial)
    return TerminalConfig(
        device_serial=device_serial, timeouts=timeouts, follow_server_timeout=False
    )


def spec_of(plan: TerminalPlan, settings: CollectorSettings) -> dict[str, Any]:
    """What a terminal process is started with, as JSON carries it."""
    timeouts = settings.timeouts
    return {
        "plan": plan.as_dict(),
        "settings": {
            "server_url": settings.server_url,
            "data_dir": str(settings.data_dir),
            "deadline": settings.deadline,
            "sync_deadline": settings.sync_deadline,
            "timeouts": None
            if timeouts is None
            else {
                "connect_s": timeouts.connect_s,
                "read_s": timeouts.read_s,
                "write_s": timeouts.write_s,
                "pool_s": timeouts.pool_s,
            },
            "resume_from": settings.resume_from,
            "crashes_done": settings.crashes_done,
        },
    }


def settings_from(data: dict[str, Any]) -> CollectorSettings:
    """The settings read back from :func:`spec_of`'s ``settings``."""
    timeouts = data.get("timeouts")
    return CollectorSettings(
        server_url=str(data["server_url"]),
        data_dir=Path(data["data_dir"]),
        deadline=float(data["deadline"]),
        sync_deadline=float(data["sync_deadline"]),
        timeouts=None if timeouts is None else Timeouts(**timeouts),
        resume_from=int(data["resume_from"]),
        crashes_done=int(data["crashes_done"]),
    )
