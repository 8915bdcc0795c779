"""Float top-ups under maker-checker, holds and releases, and the agent's float statement."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text

from gridpos.adapters.db.tables import (
    audit_log,
    float_topups,
    ledger_transactions,
)
from gridpos.application.floats import (
    FloatError,
    approve_topup,
    float_statement,
    place_hold,
    reject_topup,
    release_hold,
    request_topup,
)
from gridpos.domain.ledger import EventKind, LedgerError

from .collecting import collect, undo
from .places import Place, customer_with_bills

DAY1, DAY2, DAY3 = date(2026, 4, 10), date(2026, 4, 11), date(2026, 4, 12)


def test_a_topup_asked_by_a_station_and_approved_by_finance_grows_the_float(
    place: Place,
) -> None:
    asked = request_topup(
        place.engine, agent_id=place.agent, amount=50_000, requested_by=place.head,
        clock=place.clock, note="现金缴存",
    )  # fmt: skip
    assert (asked.state, asked.amount, asked.decided_by) == ("requested", 50_000, None)
    assert place.floats() == (100_000, 0)  # nothing moves on a request

    approved = approve_topup(
        place.engine, topup_id=asked.id, decided_by=place.collector.finance_id,
        business_date=DAY1, clock=place.clock,
    )  # fmt: skip

    assert (approved.state, approved.decided_by) == ("approved", place.collector.finance_id)
    assert approved.ledger_transaction_id is not None
    assert place.floats() == (150_000, 0)
    with place.engine.connect() as connection:
        actions = list(connection.execute(select(audit_log.c.action).order_by(audit_log.c.id)))
    assert [a for (a,) in actions][-2:] == ["float_topup.request", "float_topup.approve"]
    place.audit_clean()


def test_a_topup_approved_by_its_requester_is_refused_by_the_database(place: Place) -> None:
    finance = place.collector.finance_id
    asked = request_topup(
        place.engine, agent_id=place.agent, amount=50_000, requested_by=finance, clock=place.clock
    )
    with pytest.raises(FloatError) as refused:
        approve_topup(
            place.engine, topup_id=asked.id, decided_by=finance, business_date=DAY1,
            clock=place.clock,
        )  # fmt: skip
    assert refused.value.code == "topup_self_approval"
    assert refused.value.field == "decided_by"
    assert refused.value.message_zh == "充值申请须由申请人以外的另一人审批"
    with pytest.raises(FloatError) as also:
        reject_topup(place.engine, topup_id=asked.id, decided_by=finance, clock=place.clock)
    assert also.value.code == "topup_self_approval"
    # nothing changed: still requested, no money, no ledger transaction for it
    with place.engine.connect() as connection:
        state = connection.execute(
            select(float_topups.c.state).where(float_topups.c.id == asked.id)
        ).scalar_one()
        topups = connection.execute(
            select(ledger_transactions.c.id).where(
                ledger_transactions.c.kind == EventKind.FLOAT_TOPUP.value
            )
        ).all()
    assert state == "requested"
    assert len(topups) == 1  # the collection point's opening top-up only
    assert place.floats() == (100_000, 0)

    rejected = reject_topup(
        place.engine, topup_id=asked.id, decided_by=place.collector.finance2_id, clock=place.clock,
        reason="金额有误",
    )  # fmt: skip
    assert rejected.state == "rejected"
    assert place.floats() == (100_000, 0)
    with pytest.raises(FloatError) as again:
        approve_topup(
            place.engine, topup_id=asked.id, decided_by=place.collector.finance2_id,
            business_date=DAY1, clock=place.clock,
        )  # fmt: skip
    assert again.value.code == "topup_already_decided"
    place.audit_clean()


@pytest.mark.parametrize(
    ("who", "amount", "code"),
    [
        ("head", 0, "amount_invalid"),
        ("head", -100, "amount_invalid"),
        ("head", 12.5, "amount_invalid"),
        ("head", 100_000_001, "amount_invalid"),
        ("collector", 100, "operator_not_allowed"),
        ("auditor", 100, "operator_not_allowed"),
        ("other_head", 100, "out_of_scope"),
        ("nobody", 100, "operator_unknown"),
    ],
)
def test_bad_topup_requests_are_named_and_change_nothing(
    place: Place, who: str, amount: Any, code: str
) -> None:
    operator = {
        "head": place.head,
        "collector": place.collector.collector_id,
        "auditor": place.auditor,
        "other_head": place.other_head,
        "nobody": 999_999,
    }[who]
    with pytest.raises(FloatError) as refused:
        request_topup(
            place.engine, agent_id=place.agent, amount=amount, requested_by=operator,
            clock=place.clock,
        )  # fmt: skip
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    with place.engine.connect() as connection:
        assert len(connection.execute(select(float_topups.c.id)).all()) == 1


def test_a_hold_moves_float_aside_and_its_release_gives_it_back(place: Place) -> None:
    hold = place_hold(
        place.engine, agent_id=place.agent, terminal_id=place.collector.terminal_id,
        business_date=DAY1, amount=30_000, operator_id=place.head, clock=place.clock,
    )  # fmt: skip
    assert place.floats() == (70_000, 30_000)
    with pytest.raises(LedgerError) as short:
        place_hold(
            place.engine, agent_id=place.agent, terminal_id=place.collector.terminal_id,
            business_date=DAY1, amount=70_001, operator_id=place.head, clock=place.clock,
        )  # fmt: skip
    assert short.value.code == "float_insufficient"
    assert place.floats() == (70_000, 30_000)

    released = release_hold(
        place.engine, hold_id=hold.id, business_date=DAY1, operator_id=place.head,
        clock=place.clock,
    )  # fmt: skip

    assert (released.state, released.released, released.remaining) == ("closed", 30_000, 0)
    assert place.floats() == (100_000, 0)
    with pytest.raises(FloatError) as closed:
        release_hold(
            place.engine, hold_id=hold.id, business_date=DAY1, operator_id=place.head,
            clock=place.clock,
        )  # fmt: skip
    assert closed.value.code == "hold_closed"
    place.audit_clean()


def test_the_statement_identity_holds_over_any_range(place: Place) -> None:
    customer_with_bills(place.engine)
    c = place.collector
    # day 1: opening top-up 1000.00 (the fixture), two payments 123.45 and 200.00
    first = collect(place.engine, c, account_no="0100100001", cash=12_345, business_date=DAY1)
    collect(place.engine, c, account_no="0100100001", cash=20_000, business_date=DAY1)
    # day 2: the first is cancelled; a hold of 300.00 taken and given back
    place.clock.on_day(DAY2)
    undo(
        place.engine, c, first, kind=EventKind.CANCELLATION, business_date=DAY2,
        at=place.clock.now(), topic="mis.cancel",
    )  # fmt: skip
    hold = place_hold(
        place.engine, agent_id=place.agent, terminal_id=c.terminal_id, business_date=DAY2,
        amount=30_000, operator_id=place.head, clock=place.clock,
    )  # fmt: skip
    release_hold(
        place.engine, hold_id=hold.id, business_date=DAY2, operator_id=place.head,
        clock=place.clock,
    )  # fmt: skip
    # day 3: a top-up of 500.00
    place.clock.on_day(DAY3)
    asked = request_topup(
        place.engine, agent_id=place.agent, amount=50_000, requested_by=place.head,
        clock=place.clock,
    )  # fmt: skip
    approve_topup(
        place.engine, topup_id=asked.id, decided_by=c.finance_id, business_date=DAY3,
        clock=place.clock,
    )  # fmt: skip

    whole = float_statement(place.engine, agent_id=place.agent, date_from=DAY1, date_to=DAY3)
    # 0 + 1500.00 − 323.45 + 123.45 = 1300.00
    assert (whole.opening, whole.topups, whole.collections, whole.undos, whole.closing) == (
        0, 150_000, 32_345, 12_345, 130_000,
    )  # fmt: skip
    assert whole.balanced
    assert [(d.business_date, d.closing) for d in whole.days] == [
        (DAY1, 67_655), (DAY2, 80_000), (DAY3, 130_000),
    ]  # fmt: skip
    assert place.floats() == (130_000, 0)

    middle = float_statement(place.engine, agent_id=place.agent, date_from=DAY2, date_to=DAY2)
    # 676.55 + 123.45 = 800.00: the hold and its release leave the float as it was
    assert (middle.opening, middle.topups, middle.collections, middle.undos) == (
        67_655, 0, 0, 12_345,
    )  # fmt: skip
    assert (middle.closing, middle.other, middle.balanced) == (80_000, 0, True)
    before = float_statement(
        place.engine, agent_id=place.agent, date_from=date(2026, 4, 1), date_to=date(2026, 4, 9)
    )
    assert (before.opening, before.closing, before.days, before.balanced) == (0, 0, (), True)
    place.audit_clean()

    # a kept balance that drifted from the journal shows as an unbalanced statement
    with place.engine.begin() as connection:
        connection.execute(
            text("UPDATE agents SET float_available = float_available + 1 WHERE id = :id"),
            {"id": place.agent},
        )
    drifted = float_statement(place.engine, agent_id=place.agent, date_from=DAY1, date_to=DAY3)
    assert (drifted.expected_closing, drifted.closing, drifted.balanced) == (
        130_000, 130_001, False,
    )  # fmt: skip


def test_a_statement_of_a_backwards_or_overlong_range_is_refused(place: Place) -> None:
    for start, end in ((DAY2, DAY1), (date(2025, 1, 1), date(2026, 1, 2))):
        with pytest.raises(FloatError) as refused:
            float_statement(place.engine, agent_id=place.agent, date_from=start, date_to=end)
        assert refused.value.code == "date_range_invalid"
    with pytest.raises(FloatError) as unknown:
        float_statement(place.engine, agent_id=424242, date_from=DAY1, date_to=DAY1)
    assert unknown.value.code == "agent_unknown"
