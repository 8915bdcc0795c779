"""Reading the dated parameters: each key's value in force on a day (latest ``valid_from``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select

from gridpos.adapters.db.tables import parameters


def parameters_in_force(connection: Connection, *, on: date) -> dict[str, Any]:
    """Every key's value (parsed JSON) in force on ``on``; a value that is not JSON is left out."""
    rows = connection.execute(
        select(parameters.c.key, parameters.c.value)
        .where(parameters.c.valid_from <= on)
        .order_by(parameters.c.key, parameters.c.valid_from)
    )
    values: dict[str, Any] = {}
    for row in rows:
        try:
            values[row.key] = json.loads(row.value)
        except ValueError:
            values.pop(row.key, None)
    return values


def set_parameter(connection: Connection, *, key: str, valid_from: date, value: Any) -> None:
    """Record ``value`` (plain JSON) for ``key`` from ``valid_from`` on.

    Raises ``sqlalchemy.exc.IntegrityError`` when the key already has a value from that date.
    """
    connection.execute(
        insert(parameters).values(key=key, valid_from=valid_from, value=json.dumps(value))
    )
