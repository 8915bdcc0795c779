"""Plans of the day: the same seed draws the same day; payment ids are known in advance."""

from __future__ import annotations

from gridpos.protocol.terminal.payments import make_txn_id
from gridpos.sim.fleet.plan import (
    CRASH_POINTS,
    CrashPoint,
    Credentials,
    DayShape,
    PayChoice,
    Seat,
    plan_day,
    plan_from_dict,
)
from gridpos.sim.fleet.truth import nonce_of


def _seats(count: int) -> list[Seat]:
    return [
        Seat(
            terminal_no=f"2801{n:04d}",
            collector=Credentials(f"A{n}", "pw", f"34082801{n:02d}"),
            supervisor=Credentials("zz34082801", "sup", "34082801"),
            customers=tuple(f"01004{n:01d}{c:04d}" for c in range(12)),
        )
        for n in range(1, count + 1)
    ]


def test_the_same_seed_draws_the_same_day_and_another_seed_another() -> None:
    shape = DayShape(payments=40)
    first = plan_day(seed=7, seats=_seats(4), shape=shape, crashing=2)
    again = plan_day(seed=7, seats=_seats(4), shape=shape, crashing=2)
    other = plan_day(seed=8, seats=_seats(4), shape=shape, crashing=2)
    assert first == again
    assert first != other
    assert [len(plan.visits) for plan in first] == [40, 40, 40, 40]
    crashing = [plan for plan in first if plan.crashes]
    assert len(crashing) == 2
    # crash points are taken in turn; each crash falls in the first two thirds of the day
    assert sorted(plan.crashes[0].point for plan in crashing) == sorted(CRASH_POINTS[:2])
    assert all(plan.crashes[0].visit < 26 for plan in crashing)
    # a crash on the way to the server comes with no offline allowance (it must reach it)
    assert all(
        plan.offline_allowance == 0
        for plan in crashing
        if plan.crashes[0].point in (CrashPoint.BEFORE_SEND, CrashPoint.AFTER_SEND)
    )


def test_every_kind_of_customer_comes_and_a_mistyped_number_is_no_customers() -> None:
    plans = plan_day(seed=3, seats=_seats(3), shape=DayShape(payments=200), crashing=0)
    visits = [visit for plan in plans for visit in plan.visits]
    kinds = {visit.choice for visit in visits}
    assert kinds == set(PayChoice)
    customers = {c for seat in _seats(3) for c in seat.customers}
    for visit in visits:
        assert (visit.account_no in customers) == (visit.choice is not PayChoice.MISTYPED)
        assert 0.5 <= visit.think_s <= 3.0


def test_a_plan_survives_json_and_its_payment_ids_are_known_before_the_terminal_makes_them() -> (
    None
):
    plan = plan_day(seed=7, seats=_seats(2), shape=DayShape(payments=5), crashing=1)[0]
    assert plan_from_dict(plan.as_dict()) == plan
    nonce = plan.nonce(3)
    assert nonce == plan.nonce(3)
    assert nonce != plan.nonce(3, attempt=1) != plan.nonce(4)
    txn_id = make_txn_id(terminal_no=plan.terminal_no, serial=17, nonce=nonce)
    assert nonce_of(txn_id) == nonce.hex[:8]
