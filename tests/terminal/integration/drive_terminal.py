"""A terminal process for the crash tests: does one payment step by step and, at the step named
on the command line, says so on stdout and waits to be killed (SIGKILL, as a power cut).

    python drive_terminal.py DATA_DIR SERVER_URL STEP

Steps: journalled, sent, answered, printing, printed, reversal_journalled, reversal_sent,
offline_journalled, offline_printing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gridpos.protocol.codec import decode
from gridpos.protocol.terminal.payments import PayRequest, ReverseRequest
from gridpos.protocol.terminal.routes import PAY, REVERSE
from gridpos.terminal import Terminal, TerminalConfig, Timeouts
from gridpos.terminal.offline import collect_offline
from gridpos.terminal.payments import check_payment, send_payment, start_payment
from gridpos.terminal.receipt import Receipt
from gridpos.terminal.undo import request_reversal

ACCOUNT = "0100000003"
CASH = 1000
PARK_S = 120.0


def park(step: str) -> None:
    """Say where we are and wait for the kill (bounded: a test that forgets us ends anyway)."""
    print(f"AT {step}", flush=True)
    time.sleep(PARK_S)
    sys.exit(3)


class ParkingPrinter:
    def __init__(self, step: str | None) -> None:
        self.step = step

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        if self.step is not None:
            park(self.step)


def main(data_dir: str, server_url: str, step: str) -> None:
    printing = step if step in ("printing", "offline_printing") else None
    terminal = Terminal(
        Path(data_dir),
        server_url,
        config=TerminalConfig(
            timeouts=Timeouts(2.0, 2.0, 2.0, 2.0), follow_server_timeout=False, disk_reserve_bytes=0
        ),
        printer=ParkingPrinter(printing),
    )
    context = terminal._context
    if step.startswith("offline"):
        view = terminal.query_account(ACCOUNT, mode="offline")
        if step == "offline_journalled":
            collect_offline(context, view, cash=CASH, round_up=False)
            park(step)
        terminal.pay(view, CASH)
        park("unreachable")
    view = terminal.query_account(ACCOUNT)
    if step in ("printing", "printed"):
        terminal.pay(view, CASH)
        park(step)
    round_part = check_payment(context, view, cash=CASH, round_up=False)
    record = start_payment(context, view, cash=CASH, round_part=round_part)
    if step == "journalled":
        park(step)
    if step == "sent":
        row = terminal.journal.rows_of(record.txn_id)[0]
        terminal.client.call(PAY, decode(PayRequest, row.body["wire"].encode()))
        park(step)
    if step == "answered":
        send_payment(context, record, first=True)
        park(step)
    record = request_reversal(context, record)
    if step == "reversal_journalled":
        park(step)
    if step == "reversal_sent":
        row = terminal.journal.row(record.reversal_seq or 0)
        assert row is not None
        terminal.client.call(REVERSE, decode(ReverseRequest, row.body["wire"].encode()))
        park(step)
    raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
