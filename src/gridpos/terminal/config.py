"""What a terminal is configured with, and the clock it reads.

The defaults are sized for GPRS: round trips of 0.5–2 s and stalls of tens of seconds. The
server's sign-in parameters (``to_s``) replace the read timeout for the day.

Time is injected (:data:`Clock`, :data:`Monotonic`, :data:`NewUuid`) so tests drive it; the
terminal's own clock is never trusted for business dates: those come from the server, and the
signing timestamp is the terminal clock corrected by the offset the server's answers taught it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from gridpos.domain.penalty import PenaltyRules, default_penalty_rules

Clock = Callable[[], datetime]
"""Now, timezone-aware (the terminal's own clock, possibly wrong)."""
Monotonic = Callable[[], float]
"""Seconds from an arbitrary start that never go back (round-trip times)."""
NewUuid = Callable[[], uuid.UUID]

CHINA_TIME = timezone(timedelta(hours=8), "CST")
"""The county's civil time: a cash date is the date there."""

PROGRAM_VERSION = "0.1.0"


def system_clock() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


def china_date(moment: datetime) -> date:
    """The civil date in China of an aware instant (offline penalties run to this date)."""
    return moment.astimezone(CHINA_TIME).date()


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait: to connect, for each read and write, for a pooled connection."""

    connect_s: float = 20.0
    read_s: float = 35.0
    write_s: float = 20.0
    pool_s: float = 5.0


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """How a terminal behaves; every field has a default fit for a GPRS terminal.

    - ``slow_rtt_ms``: at or above this round trip the link indicator says *slow*;
    - ``disk_reserve_bytes``: free space below this refuses to start a payment;
    - ``resolve_budget``: most requests one pass of the forwarder may send;
    - ``penalty_rules``: the rules offline penalties are computed with (the server recomputes);
    - ``follow_server_timeout``: take the read timeout from the sign-in parameters;
    - ``query_timeout_s``: how long an account query and a heartbeat wait, every phase — the
      collector waits for them, and the downloaded arrears can answer instead; writes (payments,
      reversals, uploads) keep the longer timeouts;
    - ``probe_every_s``, ``probe_attempts``: while the link is known down, the server's health
      check is tried in the background this often, at most this many times in a row, until one
      is answered.
    """

    device_serial: str = "GP-DEVICE-0001"
    version: str = PROGRAM_VERSION
    timeouts: Timeouts = field(default_factory=Timeouts)
    follow_server_timeout: bool = True
    slow_rtt_ms: int = 3000
    disk_reserve_bytes: int = 2 * 1024 * 1024
    resolve_budget: int = 200
    arrears_page_size: int = 100
    max_arrears_pages: int = 5000
    penalty_rules: PenaltyRules = field(default_factory=default_penalty_rules)
    query_timeout_s: float = 5.0
    probe_every_s: float = 3.0
    probe_attempts: int = 24
