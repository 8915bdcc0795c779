"""Commission settings (dated parameters, set by an admin) and the monthly settlement summary."""

from __future__ import annotations

from datetime import date

import pytest

from gridpos.application.commission import (
    AgentCommission,
    CommissionError,
    CommissionSettings,
    commission_settings,
    monthly_summary,
    set_commission,
)
from gridpos.domain.ledger import EventKind

from .collecting import collect, undo
from .places import Place, customer_with_bills

APRIL_1, APRIL_10, APRIL_20, MAY_2 = (
    date(2026, 4, 1),
    date(2026, 4, 10),
    date(2026, 4, 20),
    date(2026, 5, 2),
)


def test_settings_are_dated_and_set_by_an_admin_only(place: Place) -> None:
    set_commission(
        place.engine, fixed_fen=5, rate_ppm=1_500, valid_from=APRIL_1, operator_id=place.admin,
        clock=place.clock,
    )  # fmt: skip
    set_commission(
        place.engine, fixed_fen=0, rate_ppm=2_000, valid_from=MAY_2, operator_id=place.admin,
        clock=place.clock,
    )  # fmt: skip

    assert commission_settings(place.engine, on=date(2026, 3, 31)) == CommissionSettings(0, 0)
    april = commission_settings(place.engine, on=APRIL_10)
    assert april == CommissionSettings(fixed_fen=5, rate_ppm=1_500)
    # 123.45 yuan at 1.5‰ plus 0.05 yuan: 5 + 18.5175 → 5 + 19 = 24 fen
    assert april.on_payment(12_345) == 24
    assert commission_settings(place.engine, on=MAY_2).on_payment(12_345) == 25  # 24.69 → 25

    # the same date again replaces the setting
    set_commission(
        place.engine, fixed_fen=10, rate_ppm=0, valid_from=APRIL_1, operator_id=place.admin,
        clock=place.clock,
    )  # fmt: skip
    assert commission_settings(place.engine, on=APRIL_10) == CommissionSettings(10, 0)
    place.audit_clean()


@pytest.mark.parametrize(
    "case",
    [
        (-1, 0, "admin", "commission_invalid", "fixed_fen"),
        (10_001, 0, "admin", "commission_invalid", "fixed_fen"),
        (0, 100_001, "admin", "commission_invalid", "rate_ppm"),
        (0, 1.5, "admin", "commission_invalid", "rate_ppm"),
        (5, 0, "finance", "operator_not_allowed", "operator_id"),
        (5, 0, "nobody", "operator_unknown", "operator_id"),
    ],
)
def test_bad_settings_are_refused_by_name(
    place: Place, case: tuple[int, int, str, str, str]
) -> None:
    fixed, rate, who, code, field = case
    operator = {"admin": place.admin, "finance": place.collector.finance_id, "nobody": 99_999}[who]
    with pytest.raises(CommissionError) as refused:
        set_commission(
            place.engine, fixed_fen=fixed, rate_ppm=rate, valid_from=APRIL_1,
            operator_id=operator, clock=place.clock,
        )  # fmt: skip
    assert (refused.value.code, refused.value.field) == (code, field)
    assert commission_settings(place.engine, on=APRIL_10) == CommissionSettings(0, 0)


def test_the_monthly_summary_counts_what_was_earned_and_not_undone(place: Place) -> None:
    customer_with_bills(place.engine, due_date=date(2026, 5, 25))
    c = place.collector
    settings = CommissionSettings(fixed_fen=5, rate_ppm=1_500)
    account = "0100100001"
    kept = collect(
        place.engine, c, account_no=account, cash=12_345, business_date=APRIL_10,
        commission=settings.on_payment(12_345),
    )  # fmt: skip
    cancelled = collect(
        place.engine, c, account_no=account, cash=10_000, business_date=APRIL_10,
        commission=settings.on_payment(10_000),
    )  # fmt: skip
    place.clock.on_day(APRIL_20)
    undo(
        place.engine, c, cancelled, kind=EventKind.CANCELLATION, business_date=APRIL_20,
        at=place.clock.now(), topic="mis.cancel",
    )  # fmt: skip
    collect(
        place.engine, c, account_no=account, cash=5_000, business_date=MAY_2,
        commission=settings.on_payment(5_000),
    )  # fmt: skip
    assert kept

    april = monthly_summary(place.engine, period="202604")
    may = monthly_summary(place.engine, period="202605")

    # April: 123.45 yuan earned 24 fen; the 100.00 (20 fen) was cancelled within the month
    assert april == [AgentCommission(c.agent_id, f"A{34082801}1", "王", 1, 12_345, 24)]
    # May: 50.00 yuan at 1.5‰ = 7.5 → 8, plus 5 = 13 fen
    assert [(row.payments, row.cash, row.commission) for row in may] == [(1, 5_000, 13)]
    assert monthly_summary(place.engine, period="202604", org_id=place.other_station_id) == []
    assert len(monthly_summary(place.engine, period="202604", org_id=place.station_id)) == 1
    with pytest.raises(CommissionError) as bad:
        monthly_summary(place.engine, period="2026-4")
    assert bad.value.code == "period_invalid"
    place.audit_clean()
