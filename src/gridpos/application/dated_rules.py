"""The tariff schedule and the penalty rules in force: the built-in entries (``domain.
rules_anhui``) followed by the dated entries recorded since, as dated parameters.

A recorded entry is one dated parameter: key ``tariff.<category>`` (the entry of one customer
category) or ``penalty.rule``, ``valid_from`` its first day, the value the entry's mapping
without its dates. An entry runs until the next entry of its group begins, so adding one from a
future date closes the one in force at that date — no entry already in force is ever edited.
The merged configuration is validated by ``TariffSchedule.from_config`` /
``PenaltyRules.from_config`` before anything is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import structlog
from sqlalchemy import Connection

from gridpos.adapters.db.parameter_history import DatedValue, ParameterHistory
from gridpos.domain.errors import DomainError
from gridpos.domain.penalty import PenaltyRules
from gridpos.domain.rules_anhui import PENALTY_ENTRIES, TARIFF_ENTRIES
from gridpos.domain.tariff import TariffSchedule

TARIFF_KEY_PREFIX: Final = "tariff."
PENALTY_KEY: Final = "penalty.rule"
_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DatedEntry:
    """One entry of a dated configuration: its mapping (dates as ISO text, ``valid_to`` None
    while open) and whether it was recorded later rather than built in."""

    config: Mapping[str, Any]
    recorded: bool

    @property
    def valid_from(self) -> date:
        return date.fromisoformat(str(self.config["valid_from"]))

    @property
    def valid_to(self) -> date | None:
        raw = self.config.get("valid_to")
        return None if raw is None else date.fromisoformat(str(raw))

    def in_force_on(self, day: date) -> bool:
        until = self.valid_to
        return self.valid_from <= day and (until is None or day < until)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def merge_entries(
    built_in: Sequence[Mapping[str, Any]],
    recorded: Sequence[tuple[date, Mapping[str, Any]]],
    *,
    group_of: Callable[[Mapping[str, Any]], str],
) -> list[DatedEntry]:
    """The entries of each group (built in, then recorded, by first day), each ended no later
    than the next one of its group begins; grouped in first-seen order.

    Raises ``ValueError`` for a built-in entry whose dates are not ISO text or dates.
    """
    groups: dict[str, list[tuple[date, dict[str, Any], bool]]] = {}
    for raw in built_in:
        entry = dict(raw)
        groups.setdefault(group_of(entry), []).append((_day(entry["valid_from"]), entry, False))
    for valid_from, raw in recorded:
        entry = {**raw, "valid_from": valid_from, "valid_to": None}
        groups.setdefault(group_of(entry), []).append((valid_from, entry, True))
    merged: list[DatedEntry] = []
    for spans in groups.values():
        spans.sort(key=lambda span: (span[0], span[2]))
        for index, (start, entry, is_recorded) in enumerate(spans):
            until = entry.get("valid_to")
            end = None if until is None else _day(until)
            if index + 1 < len(spans):
                following = spans[index + 1][0]
                end = following if end is None else min(end, following)
            entry["valid_from"] = start.isoformat()
            entry["valid_to"] = None if end is None else end.isoformat()
            merged.append(DatedEntry(config=entry, recorded=is_recorded))
    return merged


def _recorded(values: Sequence[DatedValue]) -> list[tuple[date, Mapping[str, Any]]]:
    return [(item.valid_from, item.value) for item in values if isinstance(item.value, Mapping)]


def tariff_entries(recorded: Sequence[tuple[date, Mapping[str, Any]]]) -> list[DatedEntry]:
    """The tariff entries: built in, then ``recorded`` (first day, mapping with a category)."""
    return merge_entries(TARIFF_ENTRIES, recorded, group_of=lambda entry: str(entry["category"]))


def penalty_entries(recorded: Sequence[tuple[date, Mapping[str, Any]]]) -> list[DatedEntry]:
    """The penalty rules: built in, then ``recorded``."""
    return merge_entries(PENALTY_ENTRIES, recorded, group_of=lambda _entry: "penalty")


def recorded_tariff_entries(connection: Connection) -> list[tuple[date, Mapping[str, Any]]]:
    """The tariff entries recorded as dated parameters (first day, mapping)."""
    history = ParameterHistory(connection).values(prefixes=(TARIFF_KEY_PREFIX,))
    return _recorded(history)


def recorded_penalty_entries(connection: Connection) -> list[tuple[date, Mapping[str, Any]]]:
    """The penalty rules recorded as dated parameters (first day, mapping)."""
    return _recorded(ParameterHistory(connection).values(keys=(PENALTY_KEY,)))


def tariff_schedule_of(entries: Sequence[DatedEntry]) -> TariffSchedule:
    """The schedule of ``entries``. Raises ``TariffConfigError`` when they do not fit together."""
    return TariffSchedule.from_config([entry.config for entry in entries])


def penalty_rules_of(entries: Sequence[DatedEntry]) -> PenaltyRules:
    """The rules of ``entries``. Raises ``PenaltyConfigError`` when they do not fit together."""
    return PenaltyRules.from_config([entry.config for entry in entries])


def penalty_rules_in_force(connection: Connection) -> PenaltyRules:
    """The penalty rules: built in and recorded. Recorded rules that do not validate (written
    around the console) are left out with a warning in the log, the built-in rules kept."""
    entries = penalty_entries(recorded_penalty_entries(connection))
    try:
        return penalty_rules_of(entries)
    except DomainError as exc:
        _log.warning("penalty_rules_recorded_ignored", code=exc.code, field=exc.field)
        return PenaltyRules.from_config(PENALTY_ENTRIES)
