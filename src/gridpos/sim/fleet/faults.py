"""The parts a fleet terminal is built with that can crash it on purpose: the payment-id source,
the HTTP transport and the printer — each asks the :class:`CrashSwitch` whether this is the
planned moment, and the switch kills the process (SIGKILL, nothing flushed, nothing closed).

The payment-id source also hands the terminal the UUID the fleet chose for the payment, so the
fleet knows the payment's id before the terminal journals it.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from gridpos.protocol.terminal.routes import PAY
from gridpos.sim.fleet.events import Sink
from gridpos.sim.fleet.plan import CrashPoint
from gridpos.terminal.receipt import Paper, Receipt, ReceiptFormat, layout_receipt, receipt_preview


def kill_this_process() -> None:
    """SIGKILL this process: the terminal loses everything it has not made durable."""
    os.kill(os.getpid(), signal.SIGKILL)


class CrashSwitch:
    """Armed with a crash point for one payment; the part at that point fires it.

    ``kill`` is what firing does (:func:`kill_this_process` in a terminal process); without one
    the switch never fires (terminals run in threads do not crash).
    """

    def __init__(self, *, sink: Sink, terminal_no: str, kill: Callable[[], None] | None) -> None:
        self._sink = sink
        self._terminal_no = terminal_no
        self._kill = kill
        self._armed: CrashPoint | None = None
        self._visit = -1

    def arm(self, point: CrashPoint, *, visit: int) -> None:
        self._armed = point
        self._visit = visit

    def disarm(self) -> None:
        self._armed = None

    def fire_at(self, point: CrashPoint) -> None:
        """Die now if armed for ``point`` (the event is written first, and flushed)."""
        if self._armed is not point or self._kill is None:
            return
        self._sink(
            {"ev": "crash", "term": self._terminal_no, "visit": self._visit, "point": point.value}
        )
        self._kill()


class NonceSource:
    """The terminal's UUID source: the fleet's chosen UUID for the next payment, else a fresh
    one; the armed ``before_journal`` crash fires here, inside the journal's transaction."""

    def __init__(self, switch: CrashSwitch) -> None:
        self._switch = switch
        self._next: uuid.UUID | None = None

    def prepare(self, nonce: uuid.UUID) -> None:
        self._next = nonce

    def __call__(self) -> uuid.UUID:
        self._switch.fire_at(CrashPoint.BEFORE_JOURNAL)
        chosen, self._next = self._next, None
        return chosen if chosen is not None else uuid.uuid4()


class CrashingTransport(httpx.BaseTransport):
    """The ordinary HTTP transport, with the ``before_send`` and ``after_send`` crash points on
    the pay request."""

    def __init__(self, switch: CrashSwitch, inner: httpx.BaseTransport | None = None) -> None:
        self._switch = switch
        self._inner = inner or httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_pay = request.method == PAY.method and request.url.path == PAY.target()
        if is_pay:
            self._switch.fire_at(CrashPoint.BEFORE_SEND)
        response = self._inner.handle_request(request)
        if is_pay:
            response.read()  # the whole answer has arrived: the server has committed
            self._switch.fire_at(CrashPoint.AFTER_SEND)
        return response

    def close(self) -> None:
        self._inner.close()


@dataclass
class FleetPrinter:
    """Appends each receipt's text preview to a file and tells the fleet; the ``during_print``
    crash fires after half the receipt is on paper."""

    path: Path
    sink: Sink
    terminal_no: str
    switch: CrashSwitch

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        layout = layout_receipt(
            receipt, ReceiptFormat(paper=Paper.MM58, copies=copies, reprint=reprint)
        )
        text = receipt_preview(layout)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(text[: len(text) // 2])
            out.flush()
            self.switch.fire_at(CrashPoint.DURING_PRINT)
            out.write(text[len(text) // 2 :] + "\n")
        self.sink(
            {
                "ev": "printed",
                "term": self.terminal_no,
                "t": round(time.time(), 3),
                "txn": receipt.txn_id,
                "offline": receipt.offline,
                "reprint": reprint,
            }
        )
