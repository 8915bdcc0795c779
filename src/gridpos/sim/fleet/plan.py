"""Each terminal's collection day, drawn from the seed before the day starts.

A plan is plain data: who signs in where (and with what offline allowance), which customers come
to the counter in which order and what each wants to pay (the amount due, rounded up to the whole
yuan, a prepayment on top, or part of it where partial payment is allowed), who mistypes a
customer number, which collector cancels (冲正) when the outcome is unknown, who voids (撤销) a
payment with the station head, how long the collector types between customers, whether the
collector miscounts the cash at 扎帐, and where — if anywhere — the terminal crashes.

Same seed, same plans: :func:`plan_day` depends on nothing but its arguments. Plans travel to
terminal processes as JSON (:meth:`TerminalPlan.as_dict`, :func:`plan_from_dict`).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class PayChoice(StrEnum):
    """What a customer at the counter asks to pay."""

    EXACT = "exact"  # what settles everything now
    ROUND_UP = "round_up"  # 取整: the next whole yuan, the 角/分 kept as 调尾
    PREPAY = "prepay"  # the amount due and whole yuan on top (预存)
    PARTIAL = "partial"  # part of it, where the company allows partial payment
    MISTYPED = "mistyped"  # the collector types a number that is no customer's


class CrashPoint(StrEnum):
    """Where a terminal process is killed (SIGKILL) during a payment."""

    BEFORE_JOURNAL = "before_journal"  # the payment row not yet durable: no cash was taken
    BEFORE_SEND = "before_send"  # journalled pending, the request not sent
    AFTER_SEND = "after_send"  # the server answered, the terminal never journalled it
    DURING_PRINT = "during_print"  # confirmed and journalled, the receipt half printed


CRASH_POINTS: tuple[CrashPoint, ...] = (
    CrashPoint.AFTER_SEND,
    CrashPoint.BEFORE_SEND,
    CrashPoint.DURING_PRINT,
    CrashPoint.BEFORE_JOURNAL,
)


@dataclass(frozen=True, slots=True)
class Visit:
    """One customer at the counter."""

    index: int
    account_no: str
    choice: PayChoice
    prepay_fen: int = 0  # whole yuan on top, for PREPAY (and for a customer who owes nothing)
    cancel_if_unknown: bool = False  # the collector hands the cash back when no answer comes
    void_after: bool = False  # the customer changes their mind: 撤销 with the station head
    think_s: float = 0.0  # the collector's typing before the query (not counted as serving)


@dataclass(frozen=True, slots=True)
class Crash:
    """A planned crash: the terminal process dies at ``point`` of visit ``visit``."""

    visit: int
    point: CrashPoint


@dataclass(frozen=True, slots=True)
class Credentials:
    """A sign-in: account, password and organisation code."""

    account: str
    password: str
    organisation_code: str


@dataclass(frozen=True, slots=True)
class TerminalPlan:
    """One terminal's day (see the module's docstring)."""

    index: int
    terminal_no: str
    seed: int
    collector: Credentials
    supervisor: Credentials
    offline_allowance: int
    visits: tuple[Visit, ...]
    crashes: tuple[Crash, ...] = ()
    cash_count_error: int = 0  # fen the collector miscounts by at 扎帐 (a note is written)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def nonce(self, visit: int, attempt: int = 0) -> uuid.UUID:
        """The UUID part of the payment id the terminal makes for ``visit`` (``attempt`` > 0
        after a retry), so the fleet knows every payment id before the terminal does."""
        digest = hashlib.sha256(f"{self.seed}:{self.terminal_no}:{visit}:{attempt}".encode())
        return uuid.UUID(bytes=digest.digest()[:16], version=4)


@dataclass(frozen=True, slots=True)
class DayShape:
    """What every plan of the day shares."""

    payments: int  # customers each terminal serves at most
    think_min_s: float = 0.5
    think_max_s: float = 3.0
    offline_share: float = 0.5  # terminals that take an offline allowance
    offline_allowance: int = 300_000
    cancel_share: float = 0.3  # collectors who cancel when the outcome is unknown
    prepay_share: float = 0.15
    round_up_share: float = 0.3
    partial_share: float = 0.1
    mistype_share: float = 0.04
    void_share: float = 0.03
    miscount_share: float = 0.2


@dataclass(frozen=True, slots=True)
class Seat:
    """Who works one terminal and which customers come to it."""

    terminal_no: str
    collector: Credentials
    supervisor: Credentials
    customers: tuple[str, ...]


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(part) for part in (seed, *parts)))  # noqa: S311 - a simulation


def _mistyped(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(str(rng.randrange(10)) for _ in range(rng.choice((4, 5, 17))))
    return "9" + "".join(str(rng.randrange(10)) for _ in range(9))  # ten digits, no such customer


def _visits(seat: Seat, shape: DayShape, rng: random.Random, *, cancels: bool) -> list[Visit]:
    customers = list(seat.customers)
    rng.shuffle(customers)
    visits: list[Visit] = []
    for index in range(shape.payments):
        account_no = customers[index % len(customers)] if customers else "0000000000"
        draw = rng.random()
        choice = PayChoice.EXACT
        bounds = (
            (shape.mistype_share, PayChoice.MISTYPED),
            (shape.prepay_share, PayChoice.PREPAY),
            (shape.partial_share, PayChoice.PARTIAL),
            (shape.round_up_share, PayChoice.ROUND_UP),
        )
        edge = 0.0
        for share, kind in bounds:
            edge += share
            if draw < edge:
                choice = kind
                break
        if choice is PayChoice.MISTYPED:
            account_no = _mistyped(rng)
        visits.append(
            Visit(
                index=index,
                account_no=account_no,
                choice=choice,
                prepay_fen=100 * rng.choice((10, 20, 50, 100)),
                cancel_if_unknown=cancels,
                void_after=rng.random() < shape.void_share,
                think_s=round(rng.uniform(shape.think_min_s, shape.think_max_s), 3),
            )
        )
    return visits


def plan_day(
    *, seed: int, seats: Sequence[Seat], shape: DayShape, crashing: int
) -> list[TerminalPlan]:
    """Every terminal's plan; ``crashing`` terminals (chosen by the seed) crash once each, at a
    visit in the first two thirds of their day (or the first payment after it that reaches the
    crash point), the crash points taken in turn."""
    chooser = _rng(seed, "crashing")
    order = list(range(len(seats)))
    chooser.shuffle(order)
    crash_at = {terminal: n for n, terminal in enumerate(order[: max(crashing, 0)])}
    plans: list[TerminalPlan] = []
    for index, seat in enumerate(seats):
        rng = _rng(seed, "day", seat.terminal_no)
        offline = rng.random() < shape.offline_share
        cancels = rng.random() < shape.cancel_share
        visits = _visits(seat, shape, rng, cancels=cancels)
        crashes: tuple[Crash, ...] = ()
        if index in crash_at and visits:
            last = max(1, (2 * len(visits)) // 3)
            point = CRASH_POINTS[crash_at[index] % len(CRASH_POINTS)]
            crashes = (Crash(visit=rng.randrange(0, last), point=point),)
            # a crash on the way to the server needs a payment that goes there: this collector
            # takes no offline allowance (an outage makes it wait instead of collecting offline)
            offline = offline and point not in (CrashPoint.BEFORE_SEND, CrashPoint.AFTER_SEND)
        miscount = rng.random() < shape.miscount_share
        plans.append(
            TerminalPlan(
                index=index,
                terminal_no=seat.terminal_no,
                seed=seed,
                collector=seat.collector,
                supervisor=seat.supervisor,
                offline_allowance=shape.offline_allowance if offline else 0,
                visits=tuple(visits),
                crashes=crashes,
                cash_count_error=rng.choice((-100, 100, -50)) if miscount else 0,
            )
        )
    return plans


def plan_from_dict(data: Mapping[str, Any]) -> TerminalPlan:
    """A plan read back from :meth:`TerminalPlan.as_dict` (as JSON carries it)."""
    return TerminalPlan(
        index=int(data["index"]),
        terminal_no=str(data["terminal_no"]),
        seed=int(data["seed"]),
        collector=Credentials(**data["collector"]),
        supervisor=Credentials(**data["supervisor"]),
        offline_allowance=int(data["offline_allowance"]),
        visits=tuple(
            Visit(**{**visit, "choice": PayChoice(visit["choice"])}) for visit in data["visits"]
        ),
        crashes=tuple(
            Crash(visit=int(crash["visit"]), point=CrashPoint(crash["point"]))
            for crash in data["crashes"]
        ),
        cash_count_error=int(data["cash_count_error"]),
    )
