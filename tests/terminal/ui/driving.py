"""Driving the POS screen with Textual's Pilot: keys, waiting for the terminal, reading it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Digits, Input, OptionList

from gridpos.terminal.ui import PosApp
from gridpos.terminal.ui.widgets import Plain

SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots" / "terminal"
SETTLE_S = 20.0
_KEY_NAMES = {".": "full_stop", "-": "minus", " ": "space", ",": "comma"}


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no call to the terminal is running and the screen has drawn its results."""
    app = pilot.app
    assert isinstance(app, PosApp)
    deadline = time.monotonic() + SETTLE_S
    while True:
        await pilot.pause()
        running = [worker for worker in app.workers if worker.is_running]
        if not running and not app.calls_running:
            await pilot.pause()
            return
        assert time.monotonic() < deadline, f"still running: {running}"
        await asyncio.sleep(0.05)


async def until(pilot: Pilot[None], check: Callable[[], bool], *, seconds: float) -> None:
    """Let the program run until ``check()`` holds (the forwarder, the heartbeat…)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the screen never got there"
        await asyncio.sleep(0.1)
        await pilot.pause()


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` key by key, as on the terminal's keypad."""
    await pilot.press(*[_KEY_NAMES.get(char, char) for char in text])


async def enter(pilot: Pilot[None], text: str = "") -> None:
    """Type ``text`` then Enter, and wait for whatever it started."""
    if text:
        await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


def screen_text(app: PosApp) -> str:
    """Everything the screen on top shows as text: labels, big digits, inputs, lists."""
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Plain):
            parts.append(widget.text)
        elif isinstance(widget, Digits | Input):
            parts.append(widget.value)
        elif isinstance(widget, OptionList):
            parts.extend(str(option.prompt) for option in widget.options)
    return "\n".join(parts)


def status_text(app: PosApp, part: str) -> str:
    """One part of the status bar: ``link``, ``waiting``, ``operator``, ``float``…"""
    return app.screen.query_one(f"#st-{part}", Plain).text


def screenshot(app: PosApp, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return Path(app.save_screenshot(filename=f"{name}.svg", path=str(SCREENSHOTS)))


def run_scenario(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a Pilot scenario on a fresh event loop in its own thread.

    Another test of the same session (the browser tests' Playwright) may keep an event loop
    running in the main thread, where ``asyncio.run`` refuses to start a second one.
    """
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # handed to the test's thread below
            failure.append(exc)

    thread = threading.Thread(target=target, name="pilot-scenario")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
