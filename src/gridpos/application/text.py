"""Text as a receipt or a terminal screen can take it."""

from __future__ import annotations

PLACEHOLDER = "—"


def printable(text: str | None, limit: int) -> str:
    """``text`` stripped and cut to ``limit`` characters; a dash when there is nothing to show."""
    cleaned = (text or "").strip()
    return cleaned[:limit] if cleaned else PLACEHOLDER
