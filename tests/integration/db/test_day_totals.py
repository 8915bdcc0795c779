"""Each terminal's confirmed cash per business date, kept by the database as payments change.

Worked example: payments of 50.00, 20.00 and 30.00 on 2024-05-01 make 100.00 in 3; voiding the
20.00 leaves 80.00 in 2. A total changed behind the payments' back is named by audit verify.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, text, update

from gridpos.adapters.db.invariants import terminal_day_totals
from gridpos.adapters.db.tables import payments
from gridpos.adapters.db.tables import terminal_day_totals as day_totals
from gridpos.domain.ledger import EventKind

from .world import DAY, Scenario, World


def _totals(engine: Engine) -> list[tuple[int, str, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                day_totals.c.terminal_id,
                day_totals.c.business_date,
                day_totals.c.confirmed_cash,
                day_totals.c.confirmed_count,
            )
        )
        return [(r[0], r[1].isoformat(), r[2], r[3]) for r in rows]


def _check(engine: Engine) -> list[tuple[int | None, str, object, object]]:
    with engine.connect() as conn:
        result = terminal_day_totals(conn, 100)
    return [(b.row_id, b.what, b.expected, b.found) for b in result.breaks]


def test_the_day_total_follows_every_payment_and_undo(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    scenario.topup(100_000)
    assert _totals(engine) == []
    scenario.collect(5_000)
    second, _ = scenario.collect(2_000)
    scenario.collect(3_000)
    assert _totals(engine) == [(world.terminal_id, DAY.isoformat(), 10_000, 3)]
    scenario.undo(second, EventKind.VOID, state="voided")
    assert _totals(engine) == [(world.terminal_id, DAY.isoformat(), 8_000, 2)]
    assert _check(engine) == []


def test_a_payment_moved_to_another_day_moves_its_cash(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    scenario.topup(100_000)
    payment_id, _ = scenario.collect(4_000)
    with engine.begin() as conn:
        conn.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(business_date=DAY.replace(day=2))
        )
    assert sorted(_totals(engine)) == [
        (world.terminal_id, "2024-05-01", 0, 0),
        (world.terminal_id, "2024-05-02", 4_000, 1),
    ]
    assert _check(engine) == []


def test_a_total_changed_behind_the_payments_back_is_named(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    scenario.topup(100_000)
    scenario.collect(5_000)
    with engine.begin() as conn:
        conn.execute(text("UPDATE terminal_day_totals SET confirmed_cash = 4000"))
    assert _check(engine) == [
        (
            world.terminal_id,
            "confirmed cash and count on 2024-05-01",
            "5000 fen in 1",
            "4000 fen in 1",
        )
    ]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM terminal_day_totals"))
    assert _check(engine) == [
        (world.terminal_id, "confirmed cash and count on 2024-05-01", "5000 fen in 1", "no row")
    ]
