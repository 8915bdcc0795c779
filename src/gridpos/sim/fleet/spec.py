"""What a terminal process is started with: its plan and its collector's settings, as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridpos.sim.fleet.collector import CollectorSettings
from gridpos.sim.fleet.plan import TerminalPlan
from gridpos.terminal import Timeouts


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
