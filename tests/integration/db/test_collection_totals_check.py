"""audit verify's ``collection_day_totals`` check: the kept per-day collection totals equal the
payments' own sums, and a total changed or removed behind the payments' back is named.

Worked example (customer owes March 80.00): 50.00 paid with a 1.00 penalty (49.00 principal),
then 20.00 (20.00 principal) voided: the confirmed group is 1 payment for 5000 fen (penalty 100,
principal 4900), the voided group 1 for 2000 fen (penalty 0, principal 2000).
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from gridpos.adapters.db.collection_invariants import collection_day_totals
from gridpos.domain.ledger import EventKind

from .world import DAY, Scenario, World

_Found = tuple[int | None, str, object, object]


def _check(engine: Engine) -> list[_Found]:
    with engine.connect() as conn:
        result = collection_day_totals(conn, 100)
    assert not result.truncated
    return [(b.row_id, b.what, b.expected, b.found) for b in result.breaks]


def _paid_and_voided(world: World, scenario: Scenario) -> None:
    scenario.topup(100_000)
    scenario.collect(5_000, penalties={world.march_id: 100})
    second, _ = scenario.collect(2_000)
    scenario.undo(second, EventKind.VOID, state="voided")


def test_the_kept_totals_of_payments_and_undos_pass(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    _paid_and_voided(world, scenario)
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT state, payments, cash, penalty, principal FROM collection_day_totals")
        ).all()
    assert sorted(tuple(row) for row in kept) == [
        ("confirmed", 1, 5_000, 100, 4_900),
        ("voided", 1, 2_000, 0, 2_000),
    ]
    assert _check(engine) == []


def test_a_total_changed_or_removed_behind_the_payments_back_is_named(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    _paid_and_voided(world, scenario)
    with engine.begin() as conn:
        conn.execute(text("UPDATE collection_day_totals SET cash = 4000 WHERE state = 'confirmed'"))
        conn.execute(text("DELETE FROM collection_day_totals WHERE state = 'voided'"))
    place = f"at point {world.point_id}, agent {world.agent_id}"
    assert _check(engine) == [
        (
            world.terminal_id,
            f"confirmed payments on {DAY} {place}",
            "1 for 5000 fen (penalty 100, principal 4900)",
            "1 for 4000 fen (penalty 100, principal 4900)",
        ),
        (
            world.terminal_id,
            f"voided payments on {DAY} {place}",
            "1 for 2000 fen (penalty 0, principal 2000)",
            "no row",
        ),
    ]


def test_a_row_for_payments_that_do_not_exist_is_named(
    engine: Engine, world: World, scenario: Scenario
) -> None:
    _paid_and_voided(world, scenario)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO collection_day_totals (business_date, org_id, agent_id, terminal_id,"
                " state, payments, cash, penalty, principal)"
                " VALUES (:day, :org, :agent, :terminal, 'reversed', 1, 300, 0, 300)"
            ),
            {
                "day": DAY,
                "org": world.point_id,
                "agent": world.agent_id,
                "terminal": world.terminal_id,
            },
        )
    assert _check(engine) == [
        (
            world.terminal_id,
            f"reversed payments on {DAY} at point {world.point_id}, agent {world.agent_id}",
            "0 for 0 fen (penalty 0, principal 0)",
            "1 for 300 fen (penalty 0, principal 300)",
        )
    ]
