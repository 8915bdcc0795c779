"""A terminal process killed with SIGKILL at each step of a payment (a power cut), then started
again on the same journal: the forwarder resumes from what the journal holds, and afterwards the
journal and the server agree, each payment exactly once, receipts printed only for confirmed or
offline payments — marked 重打 where one may already be on paper."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gridpos.domain.payment_state import PaymentState

from ..fakes import FakePrinter
from .world import ServedCounty, enrolled_terminal, terminal_journal

DRIVER = Path(__file__).with_name("drive_terminal.py")
CASH = 1000

# step → (state after restart and resolve, receipts printed after restart with their 重打 mark)
EXPECTED: dict[str, tuple[PaymentState, list[bool]]] = {
    "journalled": (PaymentState.CONFIRMED, [False]),
    "sent": (PaymentState.CONFIRMED, [False]),
    "answered": (PaymentState.CONFIRMED, [False]),
    "printing": (PaymentState.CONFIRMED, [True]),
    "printed": (PaymentState.CONFIRMED, [True]),
    "reversal_journalled": (PaymentState.REVERSED, []),
    "reversal_sent": (PaymentState.REVERSED, []),
    "offline_journalled": (PaymentState.CONFIRMED, [False]),
    "offline_printing": (PaymentState.CONFIRMED, [True]),
}


def _kill_at(step: str, data_dir: Path, url: str) -> None:
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), str(data_dir), url, step],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        line = b""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith(b"AT ") or not line:
                break
        assert line.strip() == f"AT {step}".encode(), (
            line + (process.stderr.read() if process.stderr else b"")
        ).decode(errors="replace")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("step", list(EXPECTED))
def test_power_cut_at_each_step(county: ServedCounty, tmp_path: Path, step: str) -> None:
    offline = step.startswith("offline")
    terminal = enrolled_terminal(county, tmp_path, allowance=5000 if offline else 0)
    number = terminal.identity.terminal_no  # type: ignore[union-attr]
    terminal.close()
    if offline:
        county.link.partition(True)
    _kill_at(step, tmp_path, county.link_url)
    county.link.partition(False)

    printer = FakePrinter()
    restarted = county.open_terminal(tmp_path)
    restarted.printer = printer
    assert restarted.journal_health.intact
    if step == "printed":  # the receipt was printed before the cut: nothing waits
        assert restarted.receipts_waiting() == []
        restarted.reprint()
    assert restarted.resolve_pending().complete
    if step != "printed":
        restarted.print_waiting()
    (txn_id,) = terminal_journal(restarted)
    state, marks = EXPECTED[step]
    assert restarted.payment(txn_id).state is state
    assert [reprint for _receipt, _copies, reprint in printer.printed] == marks
    assert all(receipt.txn_id == txn_id for receipt, _c, _r in printer.printed)
    assert county.server_payments(number) == terminal_journal(restarted) or (
        state is PaymentState.REVERSED and county.payment_rows(txn_id) == 0
    )
    assert county.payment_rows(txn_id) <= 1
    assert county.audit_problems() == []
    restarted.close()
