"""What a fleet run is asked to do, checked before anything starts.

Faults left unset follow the profile: one crashing terminal in four (at least one), the server
killed three times and coverage lost twice on ``mountain``; coverage lost once on ``gprs``;
nothing but the crashes on ``good``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridpos.sim.fleet.errors import option_invalid
from gridpos.sim.link import GPRS, LinkProfile
from gridpos.terminal import Timeouts

MAX_TERMINALS = 200
MAX_PAYMENTS = 100_000
MAX_DURATION_S = 7 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class FleetOptions:
    """A fleet run (see :func:`gridpos.sim.fleet.run_fleet`).

    Point it at running services with ``server_url`` (the server, for enrolment), ``mis_url``
    and ``mis_api_key`` (the MIS), ``link_url`` and ``link_control_url`` (a running link
    emulator the terminals go through) and ``database_url`` (the server's database, read for
    the comparison); what is not given is started in ``data_dir``. ``skip_seats`` leaves the
    first collection points (in terminal-number order) to people collecting by hand.
    """

    terminals: int = 4
    skip_seats: int = 0
    profile: LinkProfile = GPRS
    seed: int = 7
    customers_per_terminal: int = 30
    payments_per_terminal: int = 20
    duration_s: float = 900.0
    think_min_s: float = 0.5
    think_max_s: float = 3.0
    terminal_crashes: int | None = None
    server_kills: int | None = None
    partitions: int | None = None
    partition_s: float = 15.0
    fault_gap_s: float = 10.0
    timeouts: Timeouts | None = None
    script: list[dict[str, Any]] = field(default_factory=list)
    county_customers: int = 3_000
    county_months: int = 12
    data_dir: Path | None = None
    database_url: str | None = None
    server_url: str | None = None
    mis_url: str | None = None
    mis_api_key: str | None = None
    link_url: str | None = None
    link_control_url: str | None = None
    allow_partial: bool = True
    sync_timeout_s: float = 300.0
    drain_timeout_s: float = 120.0

    @property
    def own_server(self) -> bool:
        return self.server_url is None

    @property
    def own_mis(self) -> bool:
        return self.mis_url is None

    @property
    def own_link(self) -> bool:
        return self.link_url is None

    @property
    def crashing_terminals(self) -> int:
        if self.terminal_crashes is not None:
            return min(self.terminal_crashes, self.terminals)
        return min(self.terminals, max(1, self.terminals // 4))

    @property
    def kills(self) -> int:
        if not self.own_server:
            return 0
        if self.server_kills is not None:
            return self.server_kills
        return 3 if self.profile.name == "mountain" else 0

    @property
    def coverage_losses(self) -> int:
        if self.partitions is not None:
            return self.partitions
        return {"mountain": 2, "gprs": 1}.get(self.profile.name, 0)

    def check(self) -> FleetOptions:
        """The options, or a refusal naming the first one out of range.

        Raises:
            FleetError: ``fleet_option_invalid``.
        """
        _count("terminals", self.terminals, 1, MAX_TERMINALS)
        _count("skip_seats", self.skip_seats, 0, MAX_TERMINALS)
        _count("customers_per_terminal", self.customers_per_terminal, 1, 10_000)
        _count("payments_per_terminal", self.payments_per_terminal, 0, MAX_PAYMENTS)
        _count("county_customers", self.county_customers, 24, 1_000_000)
        _count("county_months", self.county_months, 1, 60)
        for name in ("terminal_crashes", "server_kills", "partitions"):
            value = getattr(self, name)
            if value is not None:
                _count(name, value, 0, 100)
        _seconds("duration", self.duration_s, 1.0, MAX_DURATION_S)
        _seconds("think_min", self.think_min_s, 0.0, 3600.0)
        _seconds("think_max", self.think_max_s, self.think_min_s, 3600.0)
        _seconds("partition", self.partition_s, 0.1, 3600.0)
        _seconds("fault_gap", self.fault_gap_s, 0.0, 3600.0)
        _seconds("sync_timeout", self.sync_timeout_s, 1.0, 24 * 3600.0)
        _seconds("drain_timeout", self.drain_timeout_s, 1.0, 24 * 3600.0)
        if self.mis_url is not None and not self.mis_api_key:
            raise option_invalid(
                "mis_api_key", "指定营销系统时须给出接口密钥", "is needed with --mis-url"
            )
        if self.link_url is not None and self.server_url is None:
            raise option_invalid(
                "server_url", "指定链路时须给出服务端地址", "is needed with --link-url"
            )
        if self.server_url is not None and self.database_url is None and self.data_dir is None:
            raise option_invalid(
                "database_url",
                "指定服务端时须给出其数据库或数据目录",
                "is needed (or --data-dir) with --server-url",
            )
        return self


def _count(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise option_invalid(
            f"--{name.replace('_', '-')}",
            f"应为 {low} 到 {high} 之间的整数",
            f"must be a whole number from {low} to {high}",
            given=str(value),
        )


def _seconds(name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or not low <= value <= high:
        raise option_invalid(
            f"--{name.replace('_', '-')}",
            f"应为 {low:g} 到 {high:g} 秒",
            f"must be {low:g} to {high:g} seconds",
            given=str(value),
        )
