"""``gridpos bench reconcile`` at toy scale on each database: a county of twenty thousand payments
generated, the bare join and the run timed, the run's differences checked against what was made.

The figures of a toy county prove nothing about speed; what is checked is that the benchmark
runs, prints the keys the issue asks for, joins every row it made, and that the run finds exactly
the differences the generator made on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gridpos.sim.bench.reconcile import run_bench
from gridpos.sim.bench.reconcile_data import BenchCounty

# enough payments that every kind of difference is made a few times (one in about four thousand)
COUNTY = BenchCounty(payments=20_000, days=5, terminals=20, customers=2_000)


@pytest.fixture
def printed(database_kind: str, make_database_url: Callable[[str], str]) -> dict[str, Any]:
    return run_bench(
        database=database_kind, county=COUNTY, database_url=make_database_url(database_kind)
    )


def test_reconcile_bench_finds_what_was_made(printed: dict[str, Any], database_kind: str) -> None:
    for key in ("database", "payments", "seconds", "baseline_seconds", "ratio"):
        assert key in printed, key
    assert printed["database"] == database_kind
    assert printed["payments"] == COUNTY.payments
    assert printed["seconds"] > 0
    assert printed["baseline_seconds"] > 0
    # the ratio of the unrounded times; the printed times are rounded to the millisecond
    assert printed["ratio"] == pytest.approx(
        printed["seconds"] / printed["baseline_seconds"], rel=0.05
    )
    expected = printed["expected_differences"]
    assert all(count > 0 for count in expected.values()), expected
    assert printed["differences"] == expected
    assert printed["differences_as_expected"] is True
    # one joined row per transaction: the payments, and the journal rows and postings made
    # without a payment
    assert printed["joined_rows"] == (
        COUNTY.payments + expected["terminal_only"] + expected["mis_only"]
    )
    assert printed["load_average_1m_at_start"] >= 0
    assert printed["load_average_1m_at_end"] >= 0
