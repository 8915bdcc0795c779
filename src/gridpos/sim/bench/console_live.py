"""The live check: how long a payment takes to show on the monitoring page.

The county's admin opens the monitoring page's event stream (``/console/monitoring/stream``, the
Server-Sent Events the page's htmx listens to) and keeps reading it in a thread. A real terminal
(the headless terminal library, its journal in a temporary directory) is enrolled with a one-time
code, signed in by its agent, and pays a customer of its station through the terminal API; the
check waits until the stream's ``figures`` part shows today's payment count grown by one.

The time is taken from just before the terminal starts the payment (journal write, signed request,
the server's commit, the answer) to the event's arrival: an upper bound of commit → page, since
the commit happens inside it. The lower bound, from the terminal holding the answer, is reported
beside it. Samples start at spread-out offsets of the page's one-second polling.
"""

from __future__ import annotations

import queue
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
from sqlalchemy import select

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import customers, organisations, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.terminals.enrolment import record_enrolment_code
from gridpos.interfaces.console.app import MOUNT_PATH
from gridpos.sim.bench.console_county import MachineClock
from gridpos.sim.bench.console_data import DatasetFacts, Login
from gridpos.sim.bench.console_http import ConsoleUser
from gridpos.terminal import Terminal, TerminalConfig

EVENT_TIMEOUT_S: Final = 10.0
FIRST_EVENT_TIMEOUT_S: Final = 60.0
PREPAID_CASH: Final = 5_000  # what a customer with nothing due pays into their balance
_TODAY_COUNT: Final = re.compile(r'data-figure="today-count">\s*(\d+)\s*<')


class LiveCheckError(RuntimeError):
    """The live check could not be made (the stream or the payment failed)."""


@dataclass(frozen=True, slots=True)
class LiveSample:
    """One payment: seconds from its start and from its answer to the page's event."""

    from_start_s: float
    from_answer_s: float


class _Stream:
    """The monitoring stream, read in a thread: (arrival, today's count) of each ``figures``."""

    def __init__(self, user: ConsoleUser) -> None:
        self.counts: queue.Queue[tuple[float, int]] = queue.Queue()
        self._user = user
        self._thread = threading.Thread(target=self._read, name="monitoring-stream", daemon=True)
        self._closed = threading.Event()
        self.error: BaseException | None = None

    def __enter__(self) -> _Stream:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._closed.set()
        self._user.close()
        self._thread.join(timeout=5)

    def _read(self) -> None:
        name = ""
        data: list[str] = []
        try:
            with self._user.client.stream("GET", f"{MOUNT_PATH}/monitoring/stream") as answer:
                for line in answer.iter_lines():
                    if self._closed.is_set():
                        return
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
                    elif not line:
                        found = _TODAY_COUNT.search("\n".join(data))
                        if name == "figures" and found:
                            self.counts.put((time.perf_counter(), int(found.group(1))))
                        name, data = "", []
        except (httpx.HTTPError, RuntimeError) as exc:
            if not self._closed.is_set():
                self.error = exc

    def wait_for(self, count: int, *, timeout_s: float) -> tuple[float, int]:
        """The arrival of the first ``figures`` showing at least ``count`` payments today.

        Raises :class:`LiveCheckError` when none comes within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived, seen = self.counts.get(timeout=left)
            except queue.Empty:
                break
            if seen >= count:
                return arrived, seen
        raise LiveCheckError(f"the monitoring stream did not show {count} payments: {self.error}")


def _enrolment_code(server_url: str, terminal_no: str) -> str:
    code = f"{uuid.uuid4().int % 10**12:012d}"
    engine = create_engine_for(server_url)
    try:
        with SqlUnitOfWork(engine, write=True) as uow:
            record_enrolment_code(
                uow,
                terminal_no=terminal_no,
                code=code,
                actor="system:bench-console",
                now=MachineClock().now(),
            )
            uow.commit()
    finally:
        engine.dispose()
    return code


def _station_customers(server_url: str, terminal_no: str, count: int) -> list[str]:
    engine = create_engine_for(server_url)
    point = organisations.alias("point")
    try:
        with engine.connect() as conn:
            return [
                str(account)
                for account in conn.execute(
                    select(customers.c.account_no)
                    .join(point, point.c.parent_id == customers.c.station_org_id)
                    .join(terminals, terminals.c.org_id == point.c.id)
                    .where(terminals.c.terminal_no == terminal_no)
                    .order_by(customers.c.account_no.desc())
                    .limit(count)
                ).scalars()
            ]
    finally:
        engine.dispose()


def measure_live(
    base_url: str, server_url: str, facts: DatasetFacts, *, samples: int
) -> list[LiveSample]:
    """Pay ``samples`` times through a real terminal while the admin's monitoring stream is
    read; each payment's time to the page.

    Raises :class:`LiveCheckError` when the stream shows nothing or a payment is not confirmed.
    """
    code = _enrolment_code(server_url, facts.live_terminal_no)
    accounts = _station_customers(server_url, facts.live_terminal_no, samples)
    if len(accounts) < samples:
        raise LiveCheckError("the live terminal's station has too few customers")
    watcher = ConsoleUser(base_url, facts.admin)
    watcher.sign_in()
    results: list[LiveSample] = []
    with (
        tempfile.TemporaryDirectory(prefix="gridpos-bench-live-") as journal_dir,
        Terminal(
            Path(journal_dir),
            base_url,
            config=TerminalConfig(device_serial="BENCH-CONSOLE-LIVE"),
        ) as terminal,
        _Stream(watcher) as stream,
    ):
        terminal.enrol(code)
        _sign_in(terminal, facts.live_login)
        _, count = stream.wait_for(0, timeout_s=FIRST_EVENT_TIMEOUT_S)
        for index, account_no in enumerate(accounts):
            view = terminal.query_account(account_no, mode="online")
            cash = view.total_due if view.total_due > 0 else PREPAID_CASH
            time.sleep(0.5 + (index * 0.37) % 1.0)  # a different point of the poll each time
            started = time.perf_counter()
            outcome = terminal.pay(view, cash, print_receipt=False)
            answered = time.perf_counter()
            if outcome.state.value != "confirmed":
                raise LiveCheckError(f"the live payment was {outcome.state.value}")
            arrived, count = stream.wait_for(count + 1, timeout_s=EVENT_TIMEOUT_S)
            results.append(LiveSample(arrived - started, arrived - answered))
    return results


def _sign_in(terminal: Terminal, login: Login) -> None:
    terminal.sign_in(
        agent_account=login.account,
        password=login.password,
        organisation_code=login.org_code,
        offline_allowance=0,
        download_arrears=False,
    )
