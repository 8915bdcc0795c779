"""The end of a collector's day: every waiting payment resolved (bounded by the sync deadline),
the waiting receipts printed, the statistics read, the batch closed (扎帐) with the cash counted
— miscounted now and then, with a note — and the collector signed out."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gridpos.domain.errors import DomainError
from gridpos.terminal import Terminal
from gridpos.terminal.batch import expected_cash

if TYPE_CHECKING:
    from gridpos.sim.fleet.collector import Collector

PAUSE_S = 1.0
PASS_BUDGET = 20
MISCOUNT_NOTE = "点钞差错，已登记"


def end_of_day(collector: Collector, terminal: Terminal) -> None:
    """Sync, print, count, close and sign out (see the module's docstring)."""
    until = collector.settings.sync_deadline
    while terminal.waiting_count() and time.time() < until:
        try:
            report = terminal.resolve_pending(budget=PASS_BUDGET)
        except DomainError as exc:
            collector.problem("resolve_pending", exc)
            report = None
        if report is not None and report.complete:
            break
        time.sleep(PAUSE_S)
    collector.print_waiting(terminal)
    collector.emit("phase", name="synced", waiting=terminal.waiting_count())
    session = terminal.session
    if session is None:
        return
    try:
        terminal.statistics()
    except DomainError as exc:
        collector.problem("statistics", exc)
    if not session.batch_closed:
        records = terminal.journal.txns_of_batch(
            business_date=session.business_date, batch_no=session.batch_no
        )
        expected = expected_cash(records)
        miscount = collector.plan.cash_count_error
        error = miscount if expected + miscount >= 0 else 0
        note = MISCOUNT_NOTE if error else None
        closed = collector.retry(
            "close_batch", lambda: terminal.close_batch(expected + error, note), until=until
        )
        if closed is not None:
            collector.emit(
                "phase",
                name="closed",
                balanced=closed.balanced,
                closed=closed.closed,
                differences=None if closed.differences is None else len(closed.differences),
                expected_cash=closed.expected_cash,
                cash_counted=closed.cash_counted,
                unresolved=closed.unresolved,
            )
    if collector.retry("sign_out", terminal.sign_out, until=until) is not None:
        collector.emit("phase", name="signed_out")
    collector.emit("phase", name="day_done", waiting=terminal.waiting_count())
