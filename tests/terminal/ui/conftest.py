"""Fixtures of the POS screen tests: one real server for the module, a POS program per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gridpos.terminal import Terminal, TerminalConfig, Timeouts
from gridpos.terminal.ui import Language, PosApp, PosOptions, open_terminal

from .county import LiveCounty, serve_county, stop

PosFactory = Callable[..., tuple[PosApp, Terminal]]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCounty]:
    live, process = serve_county(tmp_path_factory.mktemp("county"))
    try:
        yield live
    finally:
        stop(process)
        live.engine.dispose()


@pytest.fixture
def make_pos(tmp_path: Path, county: LiveCounty) -> Iterator[PosFactory]:
    """Builds the POS program on a fresh data directory (short timeouts, quick background)."""
    opened: list[Terminal] = []

    def make(
        *,
        language: Language = Language.ZH,
        server_url: str | None = None,
        printer: str | None = None,
        enrol_code: str | None = None,
        data_dir: Path | None = None,
        **extra: Any,
    ) -> tuple[PosApp, Terminal]:
        options = PosOptions(
            server_url=server_url or county.url,
            data_dir=data_dir or tmp_path / "pos",
            language=language,
            printer=printer or f"file:{tmp_path / 'receipt.bin'}",
            enrol_code=enrol_code,
            forward_every_s=0.3,
            status_every_s=0.1,
            heartbeat_every_s=0.3,
        )
        config = TerminalConfig(
            timeouts=Timeouts(connect_s=2, read_s=3, write_s=2, pool_s=1),
            follow_server_timeout=False,
            disk_reserve_bytes=1024 * 1024,
        )
        terminal = open_terminal(options, config=config, **extra)
        opened.append(terminal)
        return PosApp(terminal, options), terminal

    yield make
    for terminal in opened:
        terminal.close()
