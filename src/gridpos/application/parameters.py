"""Dated collection parameters: partial payment, limits, offline allowance, commission, session.

Read from the ``parameters`` table (the value in force on the business date), every key falling
back to its default below. A value of the wrong type is ignored with a warning in the log rather
than stopping collection. Reads are cached per process for :data:`CACHE_SECONDS`, so a payment does
not pay a database round trip for them; a change takes effect within that time.

| key                                  | type | default    | meaning                     |
| ------------------------------------ | ---- | ---------- | --------------------------- |
| collection.partial_allowed           | bool | false      | a receivable paid in part   |
| collection.round_up_allowed          | bool | true       | 取整 offered                |
| collection.per_payment_limit         | fen  | 5000000    | one payment at most         |
| collection.per_day_limit             | fen  | 50000000   | one terminal's day at most  |
| collection.offline_per_payment_limit | fen  | 200000     | one offline payment at most |
| collection.offline_per_day_limit     | fen  | 2000000    | a terminal's offline day    |
| collection.offline_allowance_max     | fen  | 2000000    | largest hold at sign-in     |
| collection.receipt_copies            | int  | 1          | receipts per payment (1–2)  |
| commission.fixed_fen                 | fen  | 0          | commission per payment      |
| commission.rate_ppm                  | int  | 0          | plus this share of the cash |
| session.max_hours                    | int  | 14         | a sign-in expires after     |
| terminal.hotline                     | text | none       | printed on the receipt      |
| penalty.rule                         | rule | built in   | the penalty rule in force   |

The penalty rule is the one recorded by the console (``gridpos.application.dated_rules``): its
mapping, as ``PenaltyRules.from_config`` reads one entry, without dates — only the rule in force
on the day is read, so it is made valid for any day. Without one, the built-in rules hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from gridpos.adapters.db.parameter_store import parameters_in_force
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.domain.errors import DomainError
from gridpos.domain.penalty import PenaltyRules

CACHE_SECONDS = 30
_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CollectionParameters:
    """The parameters in force on one business date."""

    partial_allowed: bool = False
    round_up_allowed: bool = True
    per_payment_limit: int = 5_000_000
    per_day_limit: int = 50_000_000
    offline_per_payment_limit: int = 200_000
    offline_per_day_limit: int = 2_000_000
    offline_allowance_max: int = 2_000_000
    receipt_copies: int = 1
    commission_fixed_fen: int = 0
    commission_rate_ppm: int = 0
    session_max_hours: int = 14
    hotline: str | None = None
    penalty_rules: PenaltyRules | None = None  # None: the built-in rules


KEYS: Mapping[str, str] = {
    "collection.partial_allowed": "partial_allowed",
    "collection.round_up_allowed": "round_up_allowed",
    "collection.per_payment_limit": "per_payment_limit",
    "collection.per_day_limit": "per_day_limit",
    "collection.offline_per_payment_limit": "offline_per_payment_limit",
    "collection.offline_per_day_limit": "offline_per_day_limit",
    "collection.offline_allowance_max": "offline_allowance_max",
    "collection.receipt_copies": "receipt_copies",
    "commission.fixed_fen": "commission_fixed_fen",
    "commission.rate_ppm": "commission_rate_ppm",
    "session.max_hours": "session_max_hours",
    "terminal.hotline": "hotline",
    "penalty.rule": "penalty_rules",
}
"""Parameter key → field of :class:`CollectionParameters`."""

_DEFAULTS = CollectionParameters()
_BOUNDS: Mapping[str, tuple[int, int]] = {
    "receipt_copies": (1, 2),
    "session_max_hours": (1, 72),
    "commission_rate_ppm": (0, 1_000_000),
}
_MAX_FEN = 999_999_999_999


def parse_parameters(values: Mapping[str, Any]) -> CollectionParameters:
    """The parameters from raw values by key; a missing or ill-typed value takes its default."""
    chosen: dict[str, Any] = {}
    types = {field.name: type(getattr(_DEFAULTS, field.name)) for field in fields(_DEFAULTS)}
    for key, name in KEYS.items():
        if key not in values:
            continue
        value = values[key]
        if name == "penalty_rules":
            rules = _penalty_rules(value)
            if rules is not None:
                chosen[name] = rules
            else:
                _log.warning("parameter_ignored", key=key)
            continue
        if name == "hotline":
            if isinstance(value, str) and 0 < len(value) <= 20:
                chosen[name] = value
            else:
                _log.warning("parameter_ignored", key=key)
            continue
        expected = types[name]
        if expected is bool:
            ok = isinstance(value, bool)
        else:
            low, high = _BOUNDS.get(name, (0, _MAX_FEN))
            ok = type(value) is int and low <= value <= high
        if ok:
            chosen[name] = value
        else:
            _log.warning("parameter_ignored", key=key)
    return CollectionParameters(**chosen)


def _penalty_rules(value: Any) -> PenaltyRules | None:
    """The recorded rule as rules valid on any day (None when it does not validate)."""
    if not isinstance(value, Mapping):
        return None
    try:
        return PenaltyRules.from_config([{**value, "valid_from": "0001-01-01", "valid_to": None}])
    except DomainError:
        return None


class ParameterCache:
    """The parameters by business date, read at most every :data:`CACHE_SECONDS` per process."""

    def __init__(self, *, now: Callable[[], datetime], seconds: int = CACHE_SECONDS) -> None:
        self._now = now
        self._ttl = timedelta(seconds=seconds)
        self._cached: dict[date, tuple[datetime, CollectionParameters]] = {}
        self._lock = threading.Lock()

    def on(self, uow: SqlUnitOfWork, day: date) -> CollectionParameters:
        """The parameters in force on ``day``, read through ``uow`` when not cached."""
        return self.lookup(day, lambda: parameters_in_force(uow.connection, on=day))

    def lookup(self, day: date, read: Callable[[], Mapping[str, Any]]) -> CollectionParameters:
        """The parameters in force on ``day``; ``read`` gives their raw values by key when they
        are not cached (for a caller holding its own connection)."""
        now = self._now()
        with self._lock:
            hit = self._cached.get(day)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        parsed = parse_parameters(read())
        with self._lock:
            if len(self._cached) > 8:
                self._cached.clear()
            self._cached[day] = (now, parsed)
        return parsed

    def forget(self) -> None:
        """Drop every cached value (after a change, in tests)."""
        with self._lock:
            self._cached.clear()
