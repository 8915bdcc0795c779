"""Arrival times of one direction: worked examples of latency, bandwidth, stalls and jitter."""

from __future__ import annotations

import random

import pytest

from gridpos.sim.link.shaping import DirectionPacer, Shape

GPRS_ONE_WAY = Shape(one_way_s=0.5, bytes_per_s=4_000.0)  # 32 kbit/s


def _pacer(seed: int = 1) -> DirectionPacer:
    return DirectionPacer(jitter=random.Random(seed))


def test_without_a_cap_a_chunk_arrives_one_way_later_and_never_overtakes() -> None:
    pacer = _pacer()
    shape = Shape(one_way_s=0.5)
    assert pacer.schedule(now=10.0, sizes=[100], shape=shape) == [10.5]
    assert pacer.schedule(now=10.1, sizes=[100], shape=shape) == [pytest.approx(10.6)]
    # the latency drops to 0.1 s: the next chunk still cannot arrive before the one sent earlier
    assert pacer.schedule(now=10.2, sizes=[10], shape=Shape(one_way_s=0.1)) == [pytest.approx(10.6)]


def test_a_capped_line_sends_1000_bytes_in_quarter_of_a_second_at_32_kbits() -> None:
    pacer = _pacer()
    sizes = pacer.slices(1000, GPRS_ONE_WAY)
    assert sizes == [80] * 12 + [40]  # 20 ms of line time per slice at 4000 bytes/s
    arrivals = pacer.schedule(now=0.0, sizes=sizes, shape=GPRS_ONE_WAY)
    assert arrivals[0] == pytest.approx(0.02 + 0.5)
    assert arrivals[-1] == pytest.approx(0.25 + 0.5)
    # a second chunk handed over at 0.1 s waits for the line (free at 0.25 s): 400 bytes = 0.1 s
    later = pacer.schedule(now=0.1, sizes=pacer.slices(400, GPRS_ONE_WAY), shape=GPRS_ONE_WAY)
    assert later[-1] == pytest.approx(0.35 + 0.5)


def test_a_hold_delays_what_is_sent_during_it() -> None:
    pacer = _pacer()
    shape = Shape(one_way_s=0.5)
    pacer.hold(until=2.0)
    assert pacer.schedule(now=1.0, sizes=[10], shape=shape) == [2.5]
    assert pacer.schedule(now=3.0, sizes=[10], shape=shape) == [3.5]


def test_jitter_stays_in_its_band_keeps_order_and_repeats_under_a_seed() -> None:
    shape = Shape(one_way_s=0.5, jitter_s=0.1)
    runs = []
    for _ in range(2):
        pacer = _pacer(seed=42)
        runs.append([pacer.schedule(now=t * 1.0, sizes=[10], shape=shape)[0] for t in range(50)])
    assert runs[0] == runs[1]
    delays = [arrival - t for t, arrival in enumerate(runs[0])]
    assert all(0.4 <= d <= 0.6 for d in delays)
    assert max(delays) - min(delays) > 0.1  # it really varies
    assert runs[0] == sorted(runs[0])
    other = _pacer(seed=43)
    assert [other.schedule(now=t * 1.0, sizes=[10], shape=shape)[0] for t in range(50)] != runs[0]


def test_jitter_larger_than_the_latency_never_delivers_before_sending() -> None:
    pacer = _pacer(seed=3)
    shape = Shape(one_way_s=0.01, jitter_s=0.05)
    for t in range(100):
        assert pacer.schedule(now=float(t), sizes=[1], shape=shape)[0] >= t


def test_empty_and_uncapped_chunks_are_one_slice() -> None:
    pacer = _pacer()
    assert pacer.slices(0, GPRS_ONE_WAY) == [0]
    assert pacer.slices(70_000, Shape(one_way_s=0.0)) == [70_000]
    assert pacer.slices(40_000, Shape(one_way_s=0.0, bytes_per_s=10_000_000.0)) == [16384] * 2 + [
        7232
    ]
