"""What the collectors tell the fleet as the day goes: the customer's side of every payment.

The fleet's ground truth is not the terminal's journal nor the server's database but what happened
at the counter: which customer handed over how much cash for which payment id (the id is known
before the terminal makes it, see :meth:`~gridpos.sim.fleet.plan.TerminalPlan.nonce`), what the
screen said, whether the collector handed the cash back, which receipts came out of the printer.
Events are plain JSON objects with an ``ev`` kind and the terminal number ``term``; a terminal
process writes them as lines on its standard output, a terminal thread hands them to the sink.

Kinds and their fields:

==================  ================================================================================
``handover``        ``visit``, ``nonce`` (8 hex), ``acct``, ``cash``, ``offline`` — the customer
                    hands the cash over and the collector presses 确认
``outcome``         ``visit``, ``nonce``, ``result`` (see :class:`CounterResult`), ``txn``,
                    ``state``, ``served_s`` (query start to the payment's answer), ``code``
``cancelled``       ``visit``, ``txn``, ``state`` — the collector cancelled while unknown (冲正):
                    the cash went back to the customer
``voided``          ``visit``, ``txn``, ``state``, ``code`` — 撤销 asked with the station head
``printed``         ``txn``, ``offline``, ``reprint`` — a receipt reached the printer
``query``           ``visit``, ``result`` (``online``, ``offline``, ``refused``, ``no_answer``),
                    ``code``, ``query_s``
``visit_done``      ``visit`` — the customer left
``crash``           ``visit``, ``point`` — the process kills itself now (SIGKILL)
``phase``           ``name`` (``started``, ``signed_in``, ``synced``, ``closed``, ``signed_out``,
                    ``day_done``) and what the phase learnt (health, batch close figures…)
``problem``         ``what``, ``code``, ``detail`` — something a collector could not do
==================  ================================================================================
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

Event = dict[str, Any]
Sink = Callable[[Event], None]


class CounterResult(StrEnum):
    """What the screen said after 确认."""

    CONFIRMED = "confirmed"  # a receipt: the company has it
    OFFLINE = "offline"  # a 脱机 receipt: collected without a link
    WAITING = "waiting"  # no answer: the journal keeps it, the forwarder resolves it
    REJECTED = "rejected"  # the server refused: the cash goes back
    REFUSED = "refused"  # the terminal refused before journalling: no cash taken


class MemorySink:
    """Keeps every event in memory, in arrival order; safe to call from many threads."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)


class LineSink:
    """Writes each event as one JSON line and flushes it at once (a terminal process's stdout),
    so an event written before a SIGKILL still reaches the fleet."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


def read_event(line: str) -> Event | None:
    """An event from one line a terminal process wrote, or ``None`` for anything else."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("ev"), str) else None


class ProgressSink(MemorySink):
    """Keeps every event (and appends it to ``path`` as a JSON line, for whoever watches the
    day), and counts the customers served and the terminals done with theirs."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.visits = 0
        self.finished: set[str] = set()
        self._file = path.open("a", encoding="utf-8", buffering=1)
        self._counting = threading.Lock()

    def __call__(self, event: Event) -> None:
        super().__call__(event)
        line = json.dumps(event, ensure_ascii=False) + "\n"
        with self._counting:
            if not self._file.closed:
                self._file.write(line)
            if event.get("ev") == "visit_done":
                self.visits += 1
            elif event.get("ev") == "phase" and event.get("name") in ("visits_done", "day_done"):
                self.finished.add(str(event.get("term")))

    def close(self) -> None:
        with self._counting:
            self._file.close()
