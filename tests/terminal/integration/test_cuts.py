"""Every cut point of the link × every write operation, against the real server process.

Each test cuts one request of one operation at one point — the request dropped, the answer cut
off after the server committed, the answer cut mid-way, or the connection turned into a black
hole — then heals the link and lets the forwarder resolve. Afterwards the terminal's journal and
the server's payments agree payment by payment, each cash payment is there exactly once, and the
server's audit finds every ledger and float invariant intact.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gridpos.domain.payment_state import PaymentState
from gridpos.terminal import Terminal

from .world import (
    ARREARS_ACCOUNT,
    PREPAY_ACCOUNT,
    ServedCounty,
    enrolled_terminal,
    terminal_journal,
)

CUTS = ["drop_request", "cut_before_answer", "cut_mid_answer", "black_hole"]
SERVER_HAS_IT = {"cut_before_answer", "cut_mid_answer"}  # a black hole swallows the request


def _agrees(county: ServedCounty, terminal: Terminal) -> None:
    assert terminal.identity is not None
    assert terminal.waiting_count() == 0
    assert county.server_payments(terminal.identity.terminal_no) == terminal_journal(terminal)
    for txn_id in terminal_journal(terminal):
        assert county.payment_rows(txn_id) == 1
    assert county.audit_problems() == []


def _heal_and_resolve(county: ServedCounty, terminal: Terminal) -> None:
    county.script()
    for _attempt in range(3):  # a black-holed keep-alive connection costs one timeout
        if terminal.resolve_pending().complete:
            return
    raise AssertionError(f"still waiting: {terminal.waiting_payments()}")


@pytest.mark.parametrize("cut", CUTS)
def test_pay(county: ServedCounty, tmp_path: Path, cut: str) -> None:
    terminal = enrolled_terminal(county, tmp_path)
    view = terminal.query_account(PREPAY_ACCOUNT)
    county.script({"method": "POST", "path": "^/t/v1/pay$", "nth": 1, "cut": cut})
    outcome = terminal.pay(view, 1000)
    assert outcome.state is PaymentState.UNKNOWN
    assert outcome.receipt is None
    server_rows = county.payment_rows(outcome.txn_id)
    assert server_rows == (1 if cut in SERVER_HAS_IT else 0)
    _heal_and_resolve(county, terminal)
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
    assert [o.txn_id for o in terminal.receipts_waiting()] == [outcome.txn_id]
    # the float the screen shows is the server's after the payment, though its answer was lost
    assert terminal.session is not None
    shown = terminal.session.float_available
    assert shown == terminal.statistics().float_available
    _agrees(county, terminal)
    terminal.close()


@pytest.mark.parametrize("cut", CUTS)
def test_reversal(county: ServedCounty, tmp_path: Path, cut: str) -> None:
    terminal = enrolled_terminal(county, tmp_path)
    view = terminal.query_account(PREPAY_ACCOUNT)
    county.script({"method": "POST", "path": "^/t/v1/pay$", "nth": 1, "cut": "cut_before_answer"})
    outcome = terminal.pay(view, 1000)
    county.script({"method": "POST", "path": "^/t/v1/reverse$", "nth": 1, "cut": cut})
    cancelled = terminal.cancel_unknown(outcome.txn_id)
    assert cancelled.state is PaymentState.UNKNOWN
    assert terminal.waiting_count() == 1
    _heal_and_resolve(county, terminal)
    assert terminal.payment(outcome.txn_id).state is PaymentState.REVERSED
    assert county.server_payments(terminal.identity.terminal_no)[outcome.txn_id][0] == "reversed"  # type: ignore[union-attr]
    _agrees(county, terminal)
    terminal.close()


@pytest.mark.parametrize("cut", CUTS)
def test_reversal_before_its_original(county: ServedCounty, tmp_path: Path, cut: str) -> None:
    terminal = enrolled_terminal(county, tmp_path)
    view = terminal.query_account(PREPAY_ACCOUNT)
    county.script({"method": "POST", "path": "^/t/v1/pay$", "nth": 1, "cut": "drop_request"})
    outcome = terminal.pay(view, 1000)
    county.script({"method": "POST", "path": "^/t/v1/reverse$", "nth": 1, "cut": cut})
    terminal.cancel_unknown(outcome.txn_id)
    _heal_and_resolve(county, terminal)
    assert terminal.payment(outcome.txn_id).state is PaymentState.REVERSED
    assert county.payment_rows(outcome.txn_id) == 0  # a tombstone, never a payment
    assert terminal.waiting_count() == 0
    assert county.audit_problems() == []
    terminal.close()


@pytest.mark.parametrize("cut", CUTS)
def test_batch_upload(county: ServedCounty, tmp_path: Path, cut: str) -> None:
    terminal = enrolled_terminal(county, tmp_path)
    terminal.pay(terminal.query_account(PREPAY_ACCOUNT), 1000)
    county.script({"method": "POST", "path": "^/t/v1/pay$", "nth": 1, "cut": "cut_before_answer"})
    unknown = terminal.pay(terminal.query_account(PREPAY_ACCOUNT), 1500)
    county.script({"method": "POST", "path": "^/t/v1/batch/upload$", "nth": 1, "cut": cut})
    closed = terminal.close_batch(2500, resolve_first=False)
    assert closed.balanced is False
    assert closed.closed
    # when the answer naming the differences was lost, the resent last part is answered with them
    assert closed.differences is not None
    assert [(d.kind, d.txn_id) for d in closed.differences] == [("state_differs", unknown.txn_id)]
    _heal_and_resolve(county, terminal)
    _agrees(county, terminal)
    terminal.close()


@pytest.mark.parametrize("cut", CUTS)
def test_offline_upload(county: ServedCounty, tmp_path: Path, cut: str) -> None:
    terminal = enrolled_terminal(county, tmp_path, allowance=20_000)
    county.link.partition(True)
    view = terminal.query_account(ARREARS_ACCOUNT)
    assert view.offline
    first = terminal.pay(terminal.query_account(PREPAY_ACCOUNT), 1200)
    second = terminal.pay(terminal.query_account(PREPAY_ACCOUNT), 800)
    assert (first.offline, second.offline) == (True, True)
    county.link.partition(False)
    county.script({"method": "POST", "path": "^/t/v1/offline$", "nth": 1, "cut": cut})
    assert not terminal.resolve_pending().complete
    _heal_and_resolve(county, terminal)
    journal = terminal_journal(terminal)
    assert journal == {
        first.txn_id: ("confirmed", 1200, True),
        second.txn_id: ("confirmed", 800, True),
    }
    _agrees(county, terminal)
    terminal.close()


def test_gridpos_audit_verify_is_clean_after_every_cut(county: ServedCounty) -> None:
    """The command itself, over the county every test above has cut and healed (run last)."""
    result = subprocess.run(
        [sys.executable, "-m", "gridpos", "audit", "verify", "--database-url", county.url],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
