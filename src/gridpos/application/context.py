"""What every use case of the terminal API is given: the database, the clock and the rules.

Built once per process by :mod:`gridpos.bootstrap` (or by a test) and shared by every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from argon2 import PasswordHasher
from sqlalchemy import Engine

from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.parameters import ParameterCache
from gridpos.application.ports import AccountRefresher, Clock
from gridpos.application.terminals.directory import TerminalDirectory
from gridpos.domain.penalty import PenaltyRules
from gridpos.protocol.signing import DEFAULT_ALLOWED_SKEW_S


@dataclass(frozen=True, slots=True)
class Services:
    """The shared collaborators of the use cases."""

    engine: Engine
    clock: Clock
    county_tz: tzinfo
    refresher: AccountRefresher
    penalty_rules: PenaltyRules
    parameters: ParameterCache
    passwords: PasswordHasher
    directory: TerminalDirectory
    allowed_skew_s: int = DEFAULT_ALLOWED_SKEW_S

    def writing(self) -> SqlUnitOfWork:
        """A unit of work that will write."""
        return SqlUnitOfWork(self.engine, write=True)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work that only reads."""
        return SqlUnitOfWork(self.engine, write=False)

    def today(self, now: datetime) -> date:
        """The calendar date in the county at ``now``: the business date a sign-in opens."""
        return now.astimezone(self.county_tz).date()
