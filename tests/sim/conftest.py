"""Fixtures of the link emulator tests: a keep-alive upstream, and links started around it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gridpos.sim.link import LinkProfile, RunningLink, script_from_data

from .upstream import Upstream

# Small latencies keep the tests fast; timings are asserted against these with tolerances.
ONE_WAY_MS = 40
QUICK = LinkProfile(name="quick", one_way_ms=ONE_WAY_MS)

MakeLink = Callable[..., RunningLink]


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


@pytest.fixture
def make_link(upstream: Upstream) -> Iterator[MakeLink]:
    """Start a link in front of ``upstream``: ``make_link(profile=..., script=[...], seed=...)``."""
    started: list[RunningLink] = []

    def make(
        *,
        profile: LinkProfile = QUICK,
        script: Any = None,
        seed: int = 7,
        **options: Any,
    ) -> RunningLink:
        link = RunningLink(
            upstream=upstream.address,
            profile=profile,
            seed=seed,
            script=script_from_data(script),
            **options,
        )
        started.append(link)
        return link.start()

    yield make
    for link in started:
        link.close()
