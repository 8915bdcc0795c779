"""The reconciliation tests' county: the reference MIS, the payment server behind the link
emulator and the terminal library, on each database (see ``world``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .world import World, world_of


@pytest.fixture
def world(
    tmp_path: Path, database_kind: str, make_database_url: Callable[[str], str]
) -> Iterator[World]:
    with world_of(tmp_path, make_database_url(database_kind)) as county:
        yield county
