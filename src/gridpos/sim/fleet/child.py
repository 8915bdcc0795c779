"""A fleet terminal as its own process, so that a crash can be a real SIGKILL.

    python -m gridpos.sim.fleet.child SPEC.json

``SPEC.json`` holds the plan and the collector's settings
(:func:`gridpos.sim.fleet.spec.spec_of`). Events go to standard output as JSON lines, flushed one by
one; anything else the process says goes to standard error. The fleet restarts the process on
the same data directory after a crash, from the visit after the one it died in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gridpos.sim.fleet.collector import Collector
from gridpos.sim.fleet.events import LineSink
from gridpos.sim.fleet.faults import kill_this_process
from gridpos.sim.fleet.plan import plan_from_dict
from gridpos.sim.fleet.spec import settings_from


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gridpos.sim.fleet.child SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    collector = Collector(
        plan_from_dict(spec["plan"]),
        settings_from(spec["settings"]),
        sink=LineSink(),
        kill=kill_this_process,
    )
    collector.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
