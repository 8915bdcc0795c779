"""The outbox's topics, the retry policy and what a delivery round reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

TOPIC_POST: Final[str] = "mis.post"
TOPIC_REVERSE: Final[str] = "mis.reverse"
TOPIC_CANCEL: Final[str] = "mis.cancel"
TOPICS: Final = (TOPIC_POST, TOPIC_REVERSE, TOPIC_CANCEL)
# refusals that an older, still undelivered row of the same customer can cause
ORDER_SENSITIVE: Final = frozenset(
    {
        "allocation_order",
        "prepaid_insufficient",
        "rounding_credit_insufficient",
        "receivable_overpaid",
        "receivable_settled",
        "prepaid_already_used",
    }
)
CALLS_PER_ROW: Final = 3  # at most: ask, post or undo, and a spare
# a lease covers one row's calls and this margin; it is renewed while the batch goes on
LEASE_MARGIN: Final = timedelta(seconds=15)

Jitter = Callable[[], float]
"""Returns a number in [0, 1): how far into its backoff window a retry lands."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``base × 2^(attempt−1)`` capped at ``cap``, the second half of the
    window jittered; dead after ``max_attempts`` attempts."""

    max_attempts: int = 30
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("a retry policy needs max_attempts ≥ 1 and 0 < base ≤ cap")

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the ``attempts``-th failed attempt; ``jitter`` in [0, 1)."""
        window: timedelta = min(self.cap, self.base * (2 ** min(max(attempts - 1, 0), 30)))
        spread: float = min(max(jitter, 0.0), 1.0)
        return window / 2 + (window / 2) * spread


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did, row by row counted."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # undos waiting for their post
    released: int = 0  # not tried (the MIS out of reach, or asked to stop), no attempt counted
    lost: int = 0  # rows whose lease ran out before their outcome was written
    errors: tuple[tuple[int, str], ...] = field(default=())  # (outbox id, code) of failures
    mis_unavailable: bool = False  # the batch stopped because the MIS was out of reach
