"""The link emulator: an asyncio TCP proxy that makes loopback behave like GPRS.

One-way latency and jitter, a bandwidth cap, stalls, and cuts at chosen points — drop the request;
deliver it and cut before the answer (the server has committed, the terminal hears nothing); cut
mid-answer; black-hole without reset — by probability under a seed, or scripted per request.
``tc netem`` is not available here, so the emulation is our own.

- :class:`LinkProxy` runs on an asyncio loop; :class:`RunningLink` runs one in a thread and
  controls it from ordinary code; ``gridpos link`` runs one as a process with an HTTP control
  endpoint (:mod:`.control`).
- :class:`LinkProfile` and :data:`PROFILES` (``good``, ``gprs``, ``mountain``) say how the link
  behaves; :class:`LinkScript` says what happens to chosen requests.
- :class:`StatsSnapshot` is what it measured: bytes each way per connection and per request, round
  trips, cuts and stalls.
"""

from gridpos.sim.link.control import apply_control, start_control
from gridpos.sim.link.cuts import Closing, CutKind, PartitionMode, StallOn
from gridpos.sim.link.decisions import Decider, chance_decision
from gridpos.sim.link.errors import LinkSettingError
from gridpos.sim.link.profiles import (
    GOOD,
    GPRS,
    MOUNTAIN,
    PROFILES,
    LinkProfile,
    profile_from_data,
    profile_named,
)
from gridpos.sim.link.proxy import LinkProxy, parse_address
from gridpos.sim.link.running import RunningLink
from gridpos.sim.link.script import (
    EMPTY_SCRIPT,
    PASS,
    Decision,
    LinkScript,
    ScriptRule,
    script_from_data,
)
from gridpos.sim.link.stats import ConnectionRecord, ExchangeRecord, StatsSnapshot

__all__ = [
    "EMPTY_SCRIPT",
    "GOOD",
    "GPRS",
    "MOUNTAIN",
    "PASS",
    "PROFILES",
    "Closing",
    "ConnectionRecord",
    "CutKind",
    "Decider",
    "Decision",
    "ExchangeRecord",
    "LinkProfile",
    "LinkProxy",
    "LinkScript",
    "LinkSettingError",
    "PartitionMode",
    "RunningLink",
    "ScriptRule",
    "StallOn",
    "StatsSnapshot",
    "apply_control",
    "chance_decision",
    "parse_address",
    "profile_from_data",
    "profile_named",
    "script_from_data",
    "start_control",
]
