"""`gridpos fleet`: many headless terminals working a realistic collection day through the link
emulator, and a judgement of every payment against what happened at the counter.

- :func:`run_fleet` with :class:`FleetOptions` runs a day and returns a :class:`FleetReport`
  (:meth:`FleetReport.as_dict` is the JSON the command prints);
- :mod:`.plan` draws each collector's day from the seed; :mod:`.collector` works it on a
  :class:`~gridpos.terminal.Terminal`; :mod:`.crew` runs collectors as threads, or as processes
  that crash for real (:mod:`.faults`, :mod:`.child`);
- :mod:`.services` starts the reference MIS, the server and the link; :mod:`.county` prepares
  the county; :mod:`.chaos` kills the server and drops coverage; :mod:`.delivery` posts to the
  MIS;
- :mod:`.truth` judges the day, from :mod:`.events` and the three ledgers (:mod:`.ledgers`);
  :mod:`.wire` turns the link's records into bytes and round trips per payment.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridpos.sim.fleet.errors import FleetError
    from gridpos.sim.fleet.options import FleetOptions
    from gridpos.sim.fleet.report import FleetReport
    from gridpos.sim.fleet.run import run_fleet

__all__ = ["FleetError", "FleetOptions", "FleetReport", "run_fleet"]

# imported when first asked for, so a terminal process (:mod:`.child`) loads the terminal and
# not the server's side of the fleet
_HOMES = {
    "FleetError": "gridpos.sim.fleet.errors",
    "FleetOptions": "gridpos.sim.fleet.options",
    "FleetReport": "gridpos.sim.fleet.report",
    "run_fleet": "gridpos.sim.fleet.run",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(name)
