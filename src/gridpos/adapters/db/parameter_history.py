"""The dated parameters with their whole history: every value of some keys, each from its date,
and recording a value from a date on (replacing one recorded for that same key and date).

The ``parameters`` table holds a few rows per key (one per change), so reading all of a group's
rows is cheap; the primary key ``(key, valid_from)`` serves every query here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, or_, select

from gridpos.adapters.db.parameter_store import set_parameter
from gridpos.adapters.db.tables import parameters


@dataclass(frozen=True, slots=True)
class DatedValue:
    """One recorded value of ``key`` from ``valid_from`` on (``value`` None when not JSON)."""

    key: str
    valid_from: date
    value: Any


class ParameterHistory:
    """Every recorded value of the dated parameters, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def values(self, *, keys: Sequence[str] = (), prefixes: Sequence[str] = ()) -> list[DatedValue]:
        """Every value of the ``keys`` and of the keys starting with one of ``prefixes``, by key
        and date."""
        matches: list[ColumnElement[bool]] = [parameters.c.key.in_(list(keys))] if keys else []
        matches += [parameters.c.key.startswith(prefix, autoescape=True) for prefix in prefixes]
        if not matches:
            return []
        rows = self._connection.execute(
            select(parameters.c.key, parameters.c.valid_from, parameters.c.value)
            .where(or_(*matches))
            .order_by(parameters.c.key, parameters.c.valid_from)
        )
        return [DatedValue(row.key, row.valid_from, _parsed(row.value)) for row in rows]

    def record(self, *, key: str, valid_from: date, value: Any) -> bool:
        """Record ``value`` (plain JSON) for ``key`` from ``valid_from`` on; whether it replaced a
        value recorded for that same date."""
        replaced = self._connection.execute(
            delete(parameters).where(parameters.c.key == key, parameters.c.valid_from == valid_from)
        ).rowcount
        set_parameter(self._connection, key=key, valid_from=valid_from, value=value)
        return bool(replaced)


def _parsed(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
