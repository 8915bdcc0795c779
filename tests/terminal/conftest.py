"""Fixtures of the terminal library's unit tests: a fake server, a clock, a terminal on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gridpos.terminal import Terminal, TerminalConfig, Timeouts

from .fakes import (
    ENROLMENT_CODE,
    FakeClock,
    FakeMonotonic,
    FakePrinter,
    FakeServer,
    uuid_source,
)

SERVER_URL = "http://pos.test"
TerminalFactory = Callable[..., Terminal]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def server(clock: FakeClock, monotonic: FakeMonotonic) -> FakeServer:
    return FakeServer(clock=clock, monotonic=monotonic)


@pytest.fixture
def printer() -> FakePrinter:
    return FakePrinter()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "terminal"


@pytest.fixture
def open_terminal(
    data_dir: Path,
    server: FakeServer,
    clock: FakeClock,
    monotonic: FakeMonotonic,
    printer: FakePrinter,
) -> Iterator[TerminalFactory]:
    """Opens a terminal on ``data_dir`` (again, as after a restart) talking to the fake server."""
    opened: list[Terminal] = []
    uuids = uuid_source()

    def make(**overrides: object) -> Terminal:
        options: dict[str, object] = {
            "config": TerminalConfig(timeouts=Timeouts(1, 1, 1, 1), disk_reserve_bytes=0),
            "printer": printer,
            "clock": clock,
            "new_uuid": lambda: next(uuids),
            "monotonic": monotonic,
            "transport": server,
        }
        options.update(overrides)
        terminal = Terminal(data_dir, SERVER_URL, **options)  # type: ignore[arg-type]
        opened.append(terminal)
        return terminal

    yield make
    for terminal in opened:
        terminal.close()


@pytest.fixture
def terminal(open_terminal: TerminalFactory) -> Terminal:
    """An enrolled terminal, signed in for the fake server's business day, no allowance."""
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    return terminal
