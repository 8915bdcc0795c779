"""At the counter: what a customer hands over, and what the screen said after 确认."""

from __future__ import annotations

from gridpos.sim.fleet.events import CounterResult
from gridpos.sim.fleet.plan import PayChoice, Visit
from gridpos.terminal import AccountView, PaymentOutcome

MIN_PREPAY_FEN = 1000


def cash_for(view: AccountView, visit: Visit, *, partial_allowed: bool) -> tuple[int, bool]:
    """What the customer hands over for ``visit`` and whether it is a 取整 payment.

    A customer who owes nothing pays ahead; a partial payment (half, in whole yuan) only where
    the company allows it and something worth splitting is owed; otherwise what settles
    everything, rounded up to the whole yuan or with whole yuan on top when the plan says so.
    """
    due = view.total_due
    if due <= 0:
        return max(visit.prepay_fen, MIN_PREPAY_FEN), False
    if visit.choice is PayChoice.ROUND_UP and view.round_up > 0:
        return view.rounded_total, True
    if visit.choice is PayChoice.PREPAY:
        return due + visit.prepay_fen, False
    if visit.choice is PayChoice.PARTIAL and partial_allowed and due >= 200:
        return max(100, due // 2 // 100 * 100), False
    return due, False


def counter_result(outcome: PaymentOutcome) -> CounterResult:
    """What the screen said: a receipt, a 脱机 receipt, no answer yet, or refused."""
    if outcome.offline and outcome.waiting:
        return CounterResult.OFFLINE
    if outcome.confirmed:
        return CounterResult.CONFIRMED
    if outcome.waiting:
        return CounterResult.WAITING
    return CounterResult.REJECTED
