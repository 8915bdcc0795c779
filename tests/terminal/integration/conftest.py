"""One served county per module: ``gridpos serve`` in its own process behind the link emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .world import ServedCounty, serve_county


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCounty]:
    yield from serve_county(tmp_path_factory.mktemp("county"))


@pytest.fixture(autouse=True)
def healed_link(county: ServedCounty) -> Iterator[None]:
    county.script()
    county.link.partition(False)
    yield
    county.script()
    county.link.partition(False)
