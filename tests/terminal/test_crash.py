"""A crash at every step of a payment, simulated by stopping between steps and opening the
journal again: each resumes from what the journal holds, and the server gets each payment once.

(The same with a real process killed by SIGKILL is in ``test_crash_process.py``.)
"""

from __future__ import annotations

import pytest

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode
from gridpos.protocol.terminal.payments import PayRequest, ReverseRequest
from gridpos.protocol.terminal.routes import PAY, REVERSE
from gridpos.terminal import Terminal
from gridpos.terminal.journal import ReceiptStatus
from gridpos.terminal.payments import check_payment, send_payment, start_payment
from gridpos.terminal.undo import request_reversal

from .conftest import TerminalFactory
from .fakes import ENROLMENT_CODE, FakePrinter, FakeServer

ZHANG = "0012345678"


class PowerLoss(BaseException):
    """Not an error the library handles: the process stops here."""


def _signed_in(open_terminal: TerminalFactory) -> Terminal:
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    return terminal


def _journalled(terminal: Terminal) -> str:
    context = terminal._context
    view = terminal.query_account(ZHANG)
    round_part = check_payment(context, view, cash=12587, round_up=False)
    return start_payment(context, view, cash=12587, round_part=round_part).txn_id


def _restart(terminal: Terminal, open_terminal: TerminalFactory) -> Terminal:
    terminal.close()
    again = open_terminal()
    assert again.journal_health.intact
    assert again.session is not None  # the day carries on
    return again


def test_crash_after_journalling_before_sending(
    open_terminal: TerminalFactory, server: FakeServer, printer: FakePrinter
) -> None:
    terminal = _signed_in(open_terminal)
    txn_id = _journalled(terminal)
    terminal = _restart(terminal, open_terminal)
    assert terminal.payment(txn_id).state is PaymentState.PENDING
    assert terminal.resolve_pending().complete
    assert server.calls("pay") == 1
    terminal.print_waiting()
    assert [(r.txn_id, reprint) for r, _c, reprint in printer.printed] == [(txn_id, False)]
    assert server.one_cash_payment_each() == {ZHANG: 12587}


def test_crash_after_sending_before_the_answer_is_journalled(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _signed_in(open_terminal)
    txn_id = _journalled(terminal)
    row = terminal.journal.rows_of(txn_id)[0]
    terminal.client.call(PAY, decode(PayRequest, row.body["wire"].encode()))  # answer unheard
    terminal = _restart(terminal, open_terminal)
    assert terminal.payment(txn_id).state is PaymentState.PENDING
    assert terminal.resolve_pending().complete
    assert (server.calls("pay"), server.calls("payment_status")) == (1, 1)
    assert terminal.payment(txn_id).state is PaymentState.CONFIRMED
    assert server.one_cash_payment_each() == {ZHANG: 12587}


def test_crash_after_the_answer_before_printing(
    open_terminal: TerminalFactory, server: FakeServer, printer: FakePrinter
) -> None:
    terminal = _signed_in(open_terminal)
    txn_id = _journalled(terminal)
    record = terminal.journal.txn(txn_id)
    assert record is not None
    send_payment(terminal._context, record, first=True)
    terminal = _restart(terminal, open_terminal)
    assert terminal.waiting_count() == 0
    assert [o.txn_id for o in terminal.receipts_waiting()] == [txn_id]
    terminal.print_waiting()
    assert [(r.txn_id, reprint) for r, _c, reprint in printer.printed] == [(txn_id, False)]
    assert server.calls("pay") == 1


def test_crash_while_printing_offers_a_marked_reprint(
    open_terminal: TerminalFactory, server: FakeServer, printer: FakePrinter
) -> None:
    terminal = _signed_in(open_terminal)
    printer.fail_with = PowerLoss()
    view = terminal.query_account(ZHANG)
    with pytest.raises(PowerLoss):
        terminal.pay(view, 12587)
    printer.fail_with = None
    terminal = _restart(terminal, open_terminal)
    (waiting,) = terminal.receipts_waiting()
    record = terminal.journal.txn(waiting.txn_id)
    assert record is not None
    assert record.receipt is ReceiptStatus.STARTED
    assert record.state is PaymentState.CONFIRMED
    terminal.print_waiting()
    assert [(r.txn_id, reprint) for r, _c, reprint in printer.printed] == [(waiting.txn_id, True)]
    assert server.calls("pay") == 1


def test_crash_after_printing_leaves_nothing_to_do(
    open_terminal: TerminalFactory, server: FakeServer, printer: FakePrinter
) -> None:
    terminal = _signed_in(open_terminal)
    terminal.pay(terminal.query_account(ZHANG), 12587)
    terminal = _restart(terminal, open_terminal)
    assert terminal.waiting_count() == 0
    assert terminal.receipts_waiting() == []
    assert terminal.resolve_pending().resolved == ()
    assert len(printer.printed) == 1


def test_crash_after_journalling_a_reversal_before_sending_it(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _signed_in(open_terminal)
    server.fail(PAY, "lose_answer")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    record = terminal.journal.txn(outcome.txn_id)
    assert record is not None
    request_reversal(terminal._context, record)
    terminal = _restart(terminal, open_terminal)
    assert terminal.waiting_count() == 1
    assert terminal.resolve_pending().complete
    assert terminal.payment(outcome.txn_id).state is PaymentState.REVERSED
    assert server.one_cash_payment_each() == {}


def test_crash_after_sending_a_reversal_before_its_answer(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _signed_in(open_terminal)
    server.fail(PAY, "drop")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    record = terminal.journal.txn(outcome.txn_id)
    assert record is not None
    record = request_reversal(terminal._context, record)
    row = terminal.journal.row(record.reversal_seq)  # type: ignore[arg-type]
    assert row is not None
    terminal.client.call(REVERSE, decode(ReverseRequest, row.body["wire"].encode()))
    terminal = _restart(terminal, open_terminal)
    assert terminal.resolve_pending().complete
    assert terminal.payment(outcome.txn_id).state is PaymentState.REVERSED
    assert outcome.txn_id not in server.payments
    assert outcome.txn_id in server.tombstones
