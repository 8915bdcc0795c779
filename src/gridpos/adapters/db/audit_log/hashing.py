"""The hash of an audit entry: canonical JSON of the entry, chained to the hash before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, non-ASCII kept, dates in ISO form.

    Raises ``TypeError`` for floats (money is int fen; pass anything else as text) and for
    values JSON cannot hold.
    """
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def utc_iso(moment: datetime) -> str:
    """``moment`` in UTC as ``2024-05-01T08:30:00.000000Z``. Raises ``ValueError`` if naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    prev_hash: str,
    entry_id: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
) -> str:
    """The hash of one entry at chain position ``entry_id``, chained to ``prev_hash`` (hex)."""
    body = canonical_json(
        {
            "id": entry_id,
            "occurred_at": utc_iso(occurred_at),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def parse_details(raw: str) -> dict[str, Any] | None:
    """The details as stored, or None when they are not a JSON object."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats have no place in the audit log; money is int fen")
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"{type(value).__name__} cannot go into the audit log as JSON")
