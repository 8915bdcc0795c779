"""The link emulator in its own thread and event loop, controlled from ordinary Python code.

    with RunningLink(upstream=("127.0.0.1", 8000), profile=profile_named("gprs"), seed=7) as link:
        host, port = link.address
        link.set_script(script_from_data([{"request": 3, "cut": "cut_before_answer"}]))
        link.partition(True)
        link.stats().requests

Every call waits for the link's loop to carry it out (bounded by ``CALL_TIMEOUT_S``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import TypeVar

from gridpos.sim.link.control import apply_control, start_control
from gridpos.sim.link.cuts import PartitionMode
from gridpos.sim.link.profiles import LinkProfile, profile_named
from gridpos.sim.link.proxy import DEFAULT_IDLE_TIMEOUT_S, LinkProxy
from gridpos.sim.link.script import EMPTY_SCRIPT, LinkScript
from gridpos.sim.link.stats import StatsSnapshot

CALL_TIMEOUT_S = 10.0
_T = TypeVar("_T")


class RunningLink:
    """A :class:`~gridpos.sim.link.proxy.LinkProxy` serving from a background thread."""

    def __init__(
        self,
        *,
        upstream: tuple[str, int],
        profile: LinkProfile,
        seed: int,
        script: LinkScript = EMPTY_SCRIPT,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        control: tuple[str, int] | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    ) -> None:
        self.proxy = LinkProxy(
            upstream=upstream,
            profile=profile,
            seed=seed,
            script=script,
            idle_timeout_s=idle_timeout_s,
        )
        self._listen = listen
        self._control_at = control
        self._control: asyncio.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="gridpos-link", daemon=True)
        self._ready: Future[None] = Future()
        self._stopped: asyncio.Event | None = None
        self.address: tuple[str, int] = ("", 0)
        self.control_address: tuple[str, int] | None = None

    def start(self) -> RunningLink:
        """Start the thread and wait until the link listens. Raises what starting raised."""
        self._thread.start()
        self._ready.result(timeout=CALL_TIMEOUT_S)
        return self

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        try:
            host, port = self._listen
            self.address = await self.proxy.start(host=host, port=port)
            if self._control_at is not None:
                self._control = await start_control(
                    self.proxy, host=self._control_at[0], port=self._control_at[1]
                )
                bound = self._control.sockets[0].getsockname()
                self.control_address = (str(bound[0]), int(bound[1]))
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        await self._stopped.wait()
        if self._control is not None:
            self._control.close()
        await self.proxy.stop()

    def _call(self, action: Callable[[], _T]) -> _T:
        async def run() -> _T:
            return action()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=CALL_TIMEOUT_S)

    def set_profile(self, profile: LinkProfile | str) -> None:
        chosen = profile_named(profile) if isinstance(profile, str) else profile
        self._call(lambda: self.proxy.set_profile(chosen))

    def set_script(self, script: LinkScript) -> None:
        self._call(lambda: self.proxy.set_script(script))

    def set_seed(self, seed: int) -> None:
        self._call(lambda: self.proxy.set_seed(seed))

    def partition(self, on: bool, *, mode: PartitionMode = PartitionMode.BLACK_HOLE) -> None:
        self._call(lambda: self.proxy.partition(on, mode=mode))

    def reset_stats(self) -> None:
        self._call(self.proxy.reset_stats)

    def stats(self) -> StatsSnapshot:
        return self._call(self.proxy.snapshot)

    def settings(self) -> dict[str, object]:
        return self._call(self.proxy.settings)

    def control(self, changes: object) -> dict[str, object]:
        """Apply a mapping of changes as ``POST /control`` would; raises what it raises."""
        return self._call(lambda: apply_control(self.proxy, changes))

    def close(self) -> None:
        """Stop the link (closing every connection) and join its thread."""
        if not self._thread.is_alive():
            if self._thread.ident is None and not self._loop.is_closed():
                self._loop.close()
            return
        stopped = self._stopped
        if stopped is not None:
            self._loop.call_soon_threadsafe(stopped.set)
        self._thread.join(timeout=CALL_TIMEOUT_S)

    def __enter__(self) -> RunningLink:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
