"""Wire figures from the link's records, and what a customer hands over: worked examples."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.sim.fleet.counter import cash_for
from gridpos.sim.fleet.plan import PayChoice, Visit
from gridpos.sim.fleet.wire import wire_figures
from gridpos.terminal import AccountView


def _exchange(index: int, connection: int, on: int, method: str, target: str, **more: Any) -> Any:
    record = {
        "index": index,
        "connection": connection,
        "on_connection": on,
        "method": method,
        "target": target,
        "request_bytes": 0,
        "answer_bytes": 0,
        "answered": True,
        "started_s": 0.0,
        "answered_s": None,
    }
    record.update(more)
    return record


STATS = {
    "handshakes": 3,
    "bytes_up": 1560,
    "bytes_down": 1700,
    "round_trips": 7,
    "requests": 5,
    "cuts": {"cut_before_answer": 1},
    "stalls": 0,
    "exchanges": [
        _exchange(1, 1, 1, "GET", "/t/v1/acct/0100400009", request_bytes=200, answer_bytes=450),
        # warm: 800 bytes at 4000 B/s take 0.2 s of the 1.2 s; the rest is one 1.0 s round trip
        _exchange(
            2, 1, 2, "POST", "/t/v1/pay",
            request_bytes=350, answer_bytes=450, started_s=1.3, answered_s=2.5,
        ),
        # cold: the connection's first request, so its handshake counts too
        _exchange(
            3, 2, 1, "POST", "/t/v1/pay",
            request_bytes=400, answer_bytes=500, started_s=5.0, answered_s=7.3,
        ),
        _exchange(4, 2, 2, "GET", "/t/v1/pay/28010001-3-abcd1234", answer_bytes=300),
        # cut before the answer: its handshake was spent, the answer never came
        _exchange(5, 3, 1, "POST", "/t/v1/pay", request_bytes=400, answered=False),
    ],
}  # fmt: skip


def test_bytes_and_round_trips_per_payment_from_the_links_records() -> None:
    figures = wire_figures(STATS, online_payments=3, one_way_s=0.5, bytes_per_s=4000.0)
    assert figures.pay_exchanges == 2
    assert figures.bytes_per_payment == 850.0  # (800 + 900) / 2
    assert (figures.pay_request_bytes, figures.pay_answer_bytes) == (375.0, 475.0)
    assert figures.pay_bytes_max == 900
    # pay, pay, status answered (3) + the handshakes of connections 2 and 3 (2), for 3 payments
    assert figures.payment_round_trips == 5
    assert figures.round_trips_per_payment == pytest.approx(1.667)
    assert figures.warm_payments == 1
    assert figures.warm_pay_p50_s == 1.2
    assert figures.round_trips_per_warm_payment == 1.0
    assert (figures.bytes_total, figures.round_trips_total, figures.requests_total) == (
        3260,
        7,
        5,
    )


def test_a_link_too_fast_to_count_round_trips_on_gives_none() -> None:
    figures = wire_figures(STATS, online_payments=0, one_way_s=0.001, bytes_per_s=None)
    assert figures.round_trips_per_warm_payment is None
    assert figures.round_trips_per_payment is None  # no payment to divide by


def _view(total_due: int, round_up: int) -> AccountView:
    return AccountView(
        account_no="0100400009",
        name="储大山",
        address="天堂镇",
        category=CustomerCategory.RESIDENTIAL,
        business_date=date(2026, 11, 27),
        lines=(),
        prepaid=0,
        rounding_credit=0,
        total_due=total_due,
        round_up=round_up,
        offline=False,
        as_of=date(2026, 11, 27),
    )


@pytest.mark.parametrize(
    ("choice", "due", "round_up", "partial", "expected"),
    [
        (PayChoice.EXACT, 12345, 55, True, (12345, False)),
        (PayChoice.ROUND_UP, 12345, 55, True, (12400, True)),
        (PayChoice.ROUND_UP, 12300, 0, True, (12300, False)),  # already whole yuan
        (PayChoice.PREPAY, 12345, 55, True, (17345, False)),  # 50 yuan on top
        (PayChoice.PARTIAL, 12345, 55, True, (6100, False)),  # half, in whole yuan
        (PayChoice.PARTIAL, 12345, 55, False, (12345, False)),  # not allowed: all of it
        (PayChoice.EXACT, 0, 0, True, (5000, False)),  # owes nothing: pays ahead
    ],
)
def test_what_a_customer_hands_over(
    choice: PayChoice, due: int, round_up: int, partial: bool, expected: tuple[int, bool]
) -> None:
    visit = Visit(index=0, account_no="0100400009", choice=choice, prepay_fen=5000)
    assert cash_for(_view(due, round_up), visit, partial_allowed=partial) == expected
