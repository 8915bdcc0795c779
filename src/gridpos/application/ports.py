"""What the use cases need from outside, named as protocols: the clock and the MIS refresh.

The programs wire real implementations in :mod:`gridpos.bootstrap`; tests pass their own.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Clock(Protocol):
    """The current instant, timezone-aware (UTC). Use cases never read the system clock."""

    def now(self) -> datetime: ...


class RefreshOutcome(StrEnum):
    """What became of an attempt to refresh one account from the MIS."""

    REFRESHED = "refreshed"  # the replica now holds what the MIS says
    UNAVAILABLE = "unavailable"  # the MIS did not answer in time: the replica as last synced
    NOT_CONFIGURED = "not_configured"  # no MIS to ask: the replica is all there is


class AccountRefresher(Protocol):
    """Refresh one account (customer and open receivables) in the replica from the MIS.

    Called before an account query, outside any unit of work; must return within a short
    timeout (a couple of seconds) and never raise for an unreachable or failing MIS — it answers
    :attr:`RefreshOutcome.UNAVAILABLE` and the query falls back to the replica.
    """

    def refresh(self, account_no: str) -> RefreshOutcome: ...


class ReplicaOnly:
    """The refresher when no MIS client is wired: the replica kept by the sync worker is used."""

    def refresh(self, account_no: str) -> RefreshOutcome:
        return RefreshOutcome.NOT_CONFIGURED
