"""Small helpers for the benchmark's figures."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile of ``ordered`` (sorted ascending), by nearest rank.

    Raises ``ValueError`` for an empty sequence or a percentage outside 0–100.
    """
    if not ordered:
        raise ValueError("no values")
    if not 0 <= pct <= 100:
        raise ValueError("a percentage is between 0 and 100")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def rounded(value: float, places: int = 1) -> float:
    """``value`` rounded for the JSON (figures, not money)."""
    return round(value, places)
