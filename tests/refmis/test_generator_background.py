"""Generating a county in a process of its own: the same rows as in the caller's process, a
failure of the child reported, a load abandoned half way leaving no child behind."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import date

import pytest

from gridpos.domain.penalty import default_penalty_rules
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.generator import CountyChunk, CountyRows, CountySpec
from gridpos.refmis.generator.background import BackgroundRows, GenerationFailedError, can_fork

SCHEDULE = default_tariff_schedule()
RULES = default_penalty_rules()
SPEC = CountySpec(customers=400, months=13, seed=11, last_period="202610", as_of=date(2026, 11, 27))

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)


def _everything(chunks: Iterator[CountyChunk]) -> list[CountyChunk]:
    return list(chunks)


@needs_fork
def test_a_child_generates_exactly_the_rows_of_the_caller() -> None:
    here = CountyRows(SPEC, schedule=SCHEDULE, rules=RULES)
    expected = _everything(here.chunks())
    there = BackgroundRows(SPEC, schedule=SCHEDULE, rules=RULES, in_child=True)

    produced = _everything(there.chunks())

    assert produced == expected
    assert there.summary == here.summary
    assert there.summary.customers == SPEC.customers
    assert there.last_change_seq == here.last_change_seq
    assert not multiprocessing.active_children()


def test_in_the_callers_process_the_rows_are_the_same() -> None:
    expected = _everything(CountyRows(SPEC, schedule=SCHEDULE, rules=RULES).chunks())
    local = BackgroundRows(SPEC, schedule=SCHEDULE, rules=RULES, in_child=False)

    assert _everything(local.chunks()) == expected
    assert local.summary.receivables == sum(len(chunk.receivables) for chunk in expected)


def test_the_summary_is_not_offered_before_the_rows_are_all_generated() -> None:
    rows = BackgroundRows(SPEC, schedule=SCHEDULE, rules=RULES, in_child=True)
    with pytest.raises(RuntimeError, match="not all been generated"):
        _ = rows.summary


@needs_fork
def test_a_failing_child_is_reported_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: CountyRows) -> Iterator[CountyChunk]:
        raise ValueError("a bill the tariff disagrees with")
        yield CountyChunk()  # pragma: no cover - makes this a generator

    monkeypatch.setattr(CountyRows, "chunks", broken)  # the forked child inherits it
    rows = BackgroundRows(SPEC, schedule=SCHEDULE, rules=RULES, in_child=True)

    with pytest.raises(GenerationFailedError, match="a bill the tariff disagrees with"):
        _everything(rows.chunks())
    assert not multiprocessing.active_children()


@needs_fork
def test_a_load_abandoned_half_way_leaves_no_child() -> None:
    rows = BackgroundRows(SPEC, schedule=SCHEDULE, rules=RULES, in_child=True)
    chunks = rows.chunks()

    first = next(chunks)
    chunks.close()  # the loader stopped (its database failed, say)

    assert first.customers
    assert not multiprocessing.active_children()


def test_forking_is_chosen_only_with_one_thread() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert not can_fork()
        assert not BackgroundRows(SPEC, schedule=SCHEDULE, rules=RULES).in_child
    finally:
        release.set()
        other.join()
