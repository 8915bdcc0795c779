"""The link emulator: a TCP proxy on a loopback port that makes the way to the server behave like
GPRS. Runs on an asyncio loop; change its settings from that loop (or through
:class:`~gridpos.sim.link.running.RunningLink` from another thread, or its control endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib

from gridpos.sim.link.connection import LinkConnection
from gridpos.sim.link.cuts import Closing, PartitionMode
from gridpos.sim.link.decisions import Decider
from gridpos.sim.link.delivery import no_delay, reset_transport
from gridpos.sim.link.errors import setting_error
from gridpos.sim.link.profiles import LinkProfile
from gridpos.sim.link.script import EMPTY_SCRIPT, Decision, LinkScript
from gridpos.sim.link.stats import LinkStats, StatsSnapshot

DEFAULT_IDLE_TIMEOUT_S = 120.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_WRITE_TIMEOUT_S = 30.0


def parse_address(text: str, *, field: str) -> tuple[str, int]:
    """``"127.0.0.1:9000"`` → ``("127.0.0.1", 9000)``; port 0 asks for any free port.

    Raises :class:`~gridpos.sim.link.errors.LinkSettingError` ``link_address_invalid``.
    """
    host, _, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if host and port_text.isdigit() and int(port_text) <= 65_535:
        return host, int(port_text)
    raise setting_error(
        "link_address_invalid",
        field,
        f"{field} 地址应为 主机:端口，例如 127.0.0.1:9000",
        f"{field} must be host:port, e.g. 127.0.0.1:9000",
        given=text,
    )


class LinkProxy:
    """Listens, connects each client to the upstream, and shapes, stalls and cuts what flows.

    ``seed`` makes every decision repeatable (see :mod:`.decisions`); ``idle_timeout_s`` closes a
    connection nothing has crossed for that long, black holes included.
    """

    def __init__(
        self,
        *,
        upstream: tuple[str, int],
        profile: LinkProfile,
        seed: int,
        script: LinkScript = EMPTY_SCRIPT,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        write_timeout_s: float = DEFAULT_WRITE_TIMEOUT_S,
    ) -> None:
        self.upstream = upstream
        self._profile = profile
        self._decider = Decider(seed=seed, script=script)
        self.idle_timeout_s = idle_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.write_timeout_s = write_timeout_s
        self._partition: PartitionMode | None = None
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: dict[int, LinkConnection] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._next_connection = 0
        self._next_request = 0
        self.stats = LinkStats(started_at=0.0)

    # -- what connections ask of the link --------------------------------------------------

    @property
    def profile(self) -> LinkProfile:
        return self._profile

    @property
    def seed(self) -> int:
        return self._decider.seed

    @property
    def script(self) -> LinkScript:
        return self._decider.script

    @property
    def partitioned(self) -> PartitionMode | None:
        return self._partition

    def now(self) -> float:
        if self._loop is None:
            raise RuntimeError("the link has not started")
        return self._loop.time()

    def decide(self, *, method: str, target: str) -> tuple[int, Decision]:
        self._next_request += 1
        index = self._next_request
        decision = self._decider.decide(
            index=index, method=method, path=target, profile=self._profile
        )
        return index, decision

    # -- running ---------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the link has not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` and return the address actually bound."""
        self._loop = asyncio.get_running_loop()
        self.stats = LinkStats(started_at=self._loop.time())
        self._server = await asyncio.start_server(self._accept, host, port)
        return self.address

    async def stop(self) -> None:
        """Stop listening and close every connection (FIN both sides)."""
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections.values()):
            connection.close_now(closing=Closing.FIN, reason="stop")
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=5)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            await self._carry(reader, writer)
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._partition is not None:
            self.stats.connections_refused += 1
            reset_transport(writer)
            return
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                upstream = await asyncio.open_connection(*self.upstream)
        except (OSError, TimeoutError):
            self.stats.connections_refused += 1
            reset_transport(writer)
            return
        no_delay(writer)
        no_delay(upstream[1])
        self._next_connection += 1
        connection = LinkConnection(
            link=self,
            connection_id=self._next_connection,
            client=(reader, writer),
            upstream=upstream,
        )
        self.stats.connections_accepted += 1
        self.stats.open_connections[connection.record.id] = connection.record
        self._connections[connection.record.id] = connection
        try:
            await connection.run()
        finally:
            self._connections.pop(connection.record.id, None)

    # -- control ---------------------------------------------------------------------------

    def set_profile(self, profile: LinkProfile) -> None:
        """Use ``profile`` from now on, for open connections too."""
        self._profile = profile

    def set_script(self, script: LinkScript) -> None:
        """Use ``script`` from now on; its ``nth`` counts start from zero."""
        self._decider.set_script(script)

    def set_seed(self, seed: int) -> None:
        """Draw the chances of the requests still to come under ``seed``."""
        script = self._decider.script
        self._decider = Decider(seed=seed, script=script)

    def partition(self, on: bool, *, mode: PartitionMode = PartitionMode.BLACK_HOLE) -> None:
        """Pull the plug (``on``) or put it back.

        While pulled, new connections are refused with a reset and the open ones are black-holed,
        reset or closed as ``mode`` says; putting it back lets new connections through (the
        black-holed ones stay dead until their client gives up or the idle limit closes them).
        """
        if not on:
            self._partition = None
            return
        self._partition = mode
        for connection in list(self._connections.values()):
            connection.partition(mode)

    def reset_stats(self) -> None:
        """Count from zero again; request indexes go on from where they were."""
        self.stats.reset()

    def snapshot(self) -> StatsSnapshot:
        """A copy of the counters now."""
        return self.stats.snapshot(now=self.now())

    def settings(self) -> dict[str, object]:
        """The settings in force, as the control endpoint shows them."""
        return {
            "upstream": f"{self.upstream[0]}:{self.upstream[1]}",
            "profile": self._profile.as_dict(),
            "seed": self.seed,
            "script": self.script.as_dict(),
            "partition": self._partition is not None,
            "partition_mode": None if self._partition is None else self._partition.value,
            "idle_timeout_s": self.idle_timeout_s,
            "next_request": self._next_request + 1,
        }
