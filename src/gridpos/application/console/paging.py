"""One page of a list, and how it was asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """``items`` of page ``page`` (from 1) of ``total`` matches, ``per_page`` a page."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1, so an empty list still has its page)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """The position (from 1) of the first item on this page, 0 when there is none."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0


def offset_of(page: int, per_page: int) -> int:
    """Where page ``page`` (from 1; anything below counts as 1) starts."""
    return (max(page, 1) - 1) * per_page
