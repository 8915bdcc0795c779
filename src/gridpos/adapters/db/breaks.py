"""What a check over the database reports: each break by name, row, expected and found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = int | str | None


@dataclass(frozen=True, slots=True)
class Break:
    """One broken invariant: which check, which row, what was expected and what was found."""

    check: str
    table: str
    row_id: int | None
    what: str
    expected: Value
    found: Value

    def describe(self) -> str:
        """One line naming the break, e.g. ``kept_balance: agents 7 float_available: …``."""
        row = f" {self.row_id}" if self.row_id is not None else ""
        return (
            f"{self.check}: {self.table}{row} {self.what}: "
            f"expected {self.expected}, found {self.found}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "table": self.table,
            "row_id": self.row_id,
            "what": self.what,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: its breaks, at most ``limit`` of them (``truncated`` if more)."""

    name: str
    description: str
    breaks: tuple[Break, ...] = field(default=())
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.breaks

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "ok": self.ok,
            "breaks": len(self.breaks),
            "truncated": self.truncated,
        }
