"""Wires settings, the database engine, the MIS client and the clock together for the programs."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from argon2 import PasswordHasher
from sqlalchemy import Engine
from starlette.applications import Starlette

from gridpos.adapters.db.engine import create_engine_for
from gridpos.application.account_refresh import DEFAULT_TIMEOUT_S as REFRESH_TIMEOUT_S
from gridpos.application.account_refresh import MisAccountRefresher
from gridpos.application.console import ConsoleServices
from gridpos.application.context import Services
from gridpos.application.parameters import ParameterCache
from gridpos.application.ports import AccountRefresher, Clock, ReplicaOnly
from gridpos.application.terminals.directory import TerminalDirectory
from gridpos.domain.penalty import default_penalty_rules
from gridpos.interfaces.console import ConsoleConfig, console_routes
from gridpos.interfaces.http.app import create_app
from gridpos.interfaces.http.logs import configure_logging
from gridpos.interfaces.workers import mis_client_from, start_embedded_worker
from gridpos.settings import Settings

__all__ = [
    "COUNTY_TIME",
    "Settings",
    "SystemClock",
    "app_from_env",
    "build_services",
    "start_background_worker",
]

COUNTY_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")
"""The county's time: the business date is its calendar date (China keeps no summer time)."""
CONSOLE_MIS_TIMEOUT_S = 5.0
"""How long a console page waits for the MIS (its daily posting report) before saying so."""


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def build_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    refresher: AccountRefresher | None = None,
    passwords: PasswordHasher | None = None,
) -> Services:
    """The use cases' collaborators for ``settings`` (each may be given instead)."""
    clock = clock or SystemClock()
    engine = engine or create_engine_for(settings.database_url)
    return Services(
        engine=engine,
        clock=clock,
        county_tz=COUNTY_TIME,
        refresher=refresher or _refresher(settings, engine=engine, clock=clock),
        penalty_rules=default_penalty_rules(),
        parameters=ParameterCache(now=clock.now),
        passwords=passwords or PasswordHasher(),
        directory=TerminalDirectory(),
    )


def app_from_env() -> Starlette:
    """The server's ASGI app from the environment (what each ``gridpos serve`` worker runs)."""
    configure_logging(os.environ.get("GRIDPOS_LOG_LEVEL", "info"))
    settings = Settings.from_env()
    services = build_services(settings)
    console = ConsoleServices(
        engine=services.engine,
        clock=services.clock,
        passwords=services.passwords,
        mis=mis_client_from(settings, timeout_s=CONSOLE_MIS_TIMEOUT_S),
    )
    return create_app(services, extra_routes=console_routes(console, ConsoleConfig.from_env()))


def _refresher(settings: Settings, *, engine: Engine, clock: Clock) -> AccountRefresher:
    """An account query refreshed from the MIS when one is configured, else the replica alone."""
    client = mis_client_from(settings, timeout_s=REFRESH_TIMEOUT_S)
    if client is None:
        return ReplicaOnly()
    return MisAccountRefresher(engine=engine, client=client, clock=clock)


def start_background_worker(settings: Settings) -> Callable[[], None] | None:
    """Start the MIS worker (outbox delivery, replica sync) inside ``gridpos serve`` for the
    embedded default; return how to stop it, or None when no MIS is configured.
    """
    if not settings.mis_url:
        return None
    return start_embedded_worker(settings)
