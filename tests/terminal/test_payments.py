"""Online payments: journal first, receipt only when confirmed, unknown outcomes resolved by
status and resend, reversal when the collector cancels, void with a supervisor."""

from __future__ import annotations

import dataclasses

import pytest

from gridpos.domain.errors import DomainError
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode
from gridpos.protocol.errors import CATALOGUE, ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal.payments import PayRequest
from gridpos.protocol.terminal.routes import PAY, PAYMENT_STATUS, REVERSE, VOID
from gridpos.terminal import ServerRefusalError, Terminal, TerminalRefusalError
from gridpos.terminal.client import Refused
from gridpos.terminal.journal import EventKind, ReceiptStatus
from gridpos.terminal.sending import Step

from .fakes import FakePrinter, FakeServer

ZHANG = "0012345678"  # 202404: 6784 + 150 penalty, 202405: 5653 → due 12587
LI = "0012345679"  # 202405: 11306


def _kinds(terminal: Terminal, txn_id: str) -> list[str]:
    return [row.kind.value for row in terminal.journal.rows_of(txn_id)]


def test_a_confirmed_payment_is_journalled_first_and_printed_once(
    terminal: Terminal, server: FakeServer, printer: FakePrinter
) -> None:
    view = terminal.query_account(ZHANG)
    assert (view.total_due, view.round_up, view.offline) == (12587, 13, False)
    outcome = terminal.pay(view, 12587)
    assert outcome.confirmed
    assert outcome.printed
    assert outcome.print_error is None
    assert _kinds(terminal, outcome.txn_id) == ["pay", "answer", "print_started", "printed"]
    assert [(r.cash, r.offline, copies, reprint) for r, copies, reprint in printer.printed] == [
        (12587, False, 1, False)
    ]
    stored = server.payments[outcome.txn_id].answer
    assert stored is not None
    assert outcome.receipt is not None
    assert outcome.receipt.verification_code == stored.verification_code
    assert outcome.trace_no == 1
    assert outcome.txn_id.startswith("34080017-1-")
    assert terminal.session is not None
    assert terminal.session.float_available == 10_000_000 - 12587
    assert terminal.waiting_count() == 0


def test_round_up_keeps_the_jiao_and_fen_as_rounding_credit(terminal: Terminal) -> None:
    view = terminal.query_account(ZHANG)
    assert view.rounded_total == 12600
    outcome = terminal.pay(view, 12600, round_up=True)
    assert outcome.answer is not None
    assert (outcome.answer.rounding_credit_after, outcome.answer.prepaid_after) == (13, 0)
    row = terminal.journal.rows_of(outcome.txn_id)[0]
    assert '"round":13' in row.body["wire"]
    assert '"due":12587' in row.body["wire"]


def test_cash_beyond_the_amount_due_is_prepaid(terminal: Terminal) -> None:
    view = terminal.query_account(ZHANG)
    outcome = terminal.pay(view, 20000)
    assert outcome.answer is not None
    assert outcome.answer.prepaid_after == 20000 - 12587


@pytest.mark.parametrize(
    ("cash", "round_up", "code"),
    [
        (12000, False, "amount_below_due"),
        (12590, True, "round_up_invalid"),
        (0, False, "amount_invalid"),
        (600_000, False, "over_payment_limit"),
    ],
)
def test_the_terminal_refuses_before_journalling_or_sending(
    terminal: Terminal, server: FakeServer, cash: int, round_up: bool, code: str
) -> None:
    view = terminal.query_account(ZHANG)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(view, cash, round_up=round_up)
    assert refused.value.code == code
    if code in {known.value for known in ErrorCode}:
        assert refused.value.message_zh == CATALOGUE[ErrorCode(code)].message_zh
    assert server.calls("pay") == 0
    assert list(terminal.journal.rows(kind=EventKind.PAY)) == []


@pytest.mark.parametrize("number", ["12ab5678", "12345", "12345678901234567", ""])
def test_a_malformed_customer_number_is_refused_at_once(
    terminal: Terminal, server: FakeServer, number: str
) -> None:
    calls = len(server.log)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.query_account(number)
    assert refused.value.code == "account_no_invalid"
    assert refused.value.message_zh == "户号应为6至16位数字，请核对后重新输入"
    assert len(server.log) == calls


def test_the_daily_limit_counts_todays_payments(terminal: Terminal, server: FakeServer) -> None:
    server.per_day_limit = 20000
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    terminal.pay(terminal.query_account(LI), 11306)
    view = terminal.query_account(ZHANG)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(view, 12587)
    assert refused.value.code == "over_daily_limit"
    assert refused.value.message_zh == "超过本机当日收费限额"


def test_a_refusal_rejects_the_payment_in_the_servers_words(
    terminal: Terminal, server: FakeServer, printer: FakePrinter
) -> None:
    view = terminal.query_account(ZHANG)
    server.customers[ZHANG].lines[0].penalty = 200  # the bill changed after the query
    outcome = terminal.pay(view, 12587)
    assert outcome.state is PaymentState.REJECTED
    assert outcome.error is not None
    assert outcome.error.code == "amount_due_changed"
    assert outcome.error.message_zh == "应缴金额已变化，请重新查询"
    assert outcome.receipt is None
    assert printer.printed == []
    assert _kinds(terminal, outcome.txn_id) == ["pay", "answer"]


def test_a_lost_answer_leaves_it_unknown_then_status_confirms_it(
    terminal: Terminal, server: FakeServer, printer: FakePrinter
) -> None:
    server.fail(PAY, "lose_answer")
    view = terminal.query_account(ZHANG)
    outcome = terminal.pay(view, 12587)
    assert outcome.state is PaymentState.UNKNOWN
    assert outcome.waiting
    assert outcome.receipt is None
    assert printer.printed == []
    assert terminal.waiting_count() == 1

    report = terminal.resolve_pending()
    assert report.resolved == (outcome.txn_id,)
    assert report.complete
    assert server.calls("pay") == 1
    assert server.calls("payment_status") == 1
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
    waiting = terminal.receipts_waiting()
    assert [o.txn_id for o in waiting] == [outcome.txn_id]
    terminal.print_waiting()
    assert [(r.txn_id, reprint) for r, _c, reprint in printer.printed] == [(outcome.txn_id, False)]
    assert terminal.receipts_waiting() == []
    assert server.one_cash_payment_each() == {ZHANG: 12587}


def test_a_request_that_never_left_stays_pending_and_is_resent(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "drop")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    assert outcome.state is PaymentState.PENDING
    report = terminal.resolve_pending()
    assert report.complete
    assert server.calls("payment_status") == 1
    assert server.calls("pay") == 2
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
    assert server.one_cash_payment_each() == {ZHANG: 12587}


def test_a_cut_mid_answer_is_resolved_without_a_second_payment(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "cut")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    assert outcome.state is PaymentState.UNKNOWN
    server.fail(PAYMENT_STATUS, "lose_answer")
    first = terminal.resolve_pending()
    assert first.stopped_by is Step.NO_ANSWER
    assert first.remaining == 1
    second = terminal.resolve_pending()
    assert second.complete
    assert len(server.payments) == 1


def test_waiting_payments_are_resolved_oldest_first(terminal: Terminal, server: FakeServer) -> None:
    server.fail(PAY, "lose_answer", times=2)
    first = terminal.pay(terminal.query_account(ZHANG), 12587)
    second = terminal.pay(terminal.query_account(LI), 11306)
    assert [o.txn_id for o in terminal.waiting_payments()] == [first.txn_id, second.txn_id]
    server.log.clear()
    terminal.resolve_pending()
    assert server.log == [
        ("payment_status", f"/t/v1/pay/{first.txn_id}"),
        ("payment_status", f"/t/v1/pay/{second.txn_id}"),
    ]
    assert terminal.waiting_count() == 0


def test_the_order_holds_when_the_link_fails_part_way(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "drop", times=2)
    first = terminal.pay(terminal.query_account(ZHANG), 12587)
    second = terminal.pay(terminal.query_account(LI), 11306)
    server.fail(PAY, "drop")  # the first resend fails: the second is not tried
    report = terminal.resolve_pending()
    assert report.stopped_by is Step.NO_ANSWER
    assert report.remaining == 2
    assert second.txn_id not in server.payments
    assert terminal.resolve_pending().complete
    assert set(server.payments) == {first.txn_id, second.txn_id}


def test_a_session_refusal_keeps_it_waiting_instead_of_rejecting(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "drop")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    server.signed_in = False  # e.g. the server restarted the day
    report = terminal.resolve_pending()
    assert report.stopped_by is Step.BLOCKED
    assert report.error is not None
    assert report.error.code == "not_signed_in"
    assert terminal.payment(outcome.txn_id).state is PaymentState.PENDING
    server.signed_in = True
    assert terminal.resolve_pending().complete
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED


def test_cancelling_an_unknown_payment_the_server_has_reverses_it(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "lose_answer")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    cancelled = terminal.cancel_unknown(outcome.txn_id)
    assert cancelled.state is PaymentState.REVERSED
    assert server.payments[outcome.txn_id].state is WirePaymentState.REVERSED
    assert server.float_available == 10_000_000
    assert _kinds(terminal, outcome.txn_id) == ["pay", "no_answer", "reversal", "reversal_answer"]
    assert terminal.waiting_count() == 0


def test_a_reversal_before_its_original_leaves_a_tombstone(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "drop")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    cancelled = terminal.cancel_unknown(outcome.txn_id)
    assert cancelled.state is PaymentState.REVERSED
    assert outcome.txn_id in server.tombstones
    assert outcome.txn_id not in server.payments
    reversal = terminal.journal.rows_of(outcome.txn_id)[-1]
    assert reversal.body["answer"]["tomb"] is True
    # the original arriving late (a delayed packet) is refused by the server
    request_row = terminal.journal.rows_of(outcome.txn_id)[0]
    late = terminal.client.call(PAY, decode(PayRequest, request_row.body["wire"].encode()))
    assert isinstance(late, Refused)
    assert late.error.code == "payment_already_reversed"
    assert server.one_cash_payment_each() == {}


def test_a_reversal_without_answer_is_sent_again_by_the_forwarder(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "lose_answer")
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(REVERSE, "lose_answer")
    cancelled = terminal.cancel_unknown(outcome.txn_id)
    assert cancelled.state is PaymentState.UNKNOWN
    assert terminal.waiting_count() == 1
    assert terminal.resolve_pending().complete
    assert terminal.payment(outcome.txn_id).state is PaymentState.REVERSED
    assert server.calls("reverse") == 2
    assert server.payments[outcome.txn_id].state is WirePaymentState.REVERSED


def test_only_unknown_payments_can_be_cancelled(terminal: Terminal) -> None:
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.cancel_unknown(outcome.txn_id)
    assert refused.value.code == "payment_state_conflict"
    assert "成功" in refused.value.message_zh
    with pytest.raises(TerminalRefusalError) as missing:
        terminal.cancel_unknown("34080017-99-00000000")
    assert missing.value.code == "payment_not_found"


def test_a_void_needs_the_supervisor_and_puts_the_float_back(
    terminal: Terminal, server: FakeServer
) -> None:
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    with pytest.raises(ServerRefusalError) as refused:
        terminal.void(outcome.txn_id, supervisor="sup1", supervisor_password="wrong")
    assert refused.value.code == "supervisor_credential_wrong"
    assert refused.value.message_zh == "主管账号或密码错误"
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
    voided = terminal.void(outcome.txn_id, supervisor="sup1", supervisor_password="1234")
    assert voided.state is PaymentState.VOIDED
    assert server.float_available == 10_000_000
    assert terminal.session is not None
    assert terminal.session.float_available == 10_000_000
    void_rows = [r for r in terminal.journal.rows_of(outcome.txn_id) if r.kind is EventKind.VOID]
    assert all("1234" not in str(row.body) and "wrong" not in str(row.body) for row in void_rows)


def test_a_void_without_answer_is_settled_by_the_status(
    terminal: Terminal, server: FakeServer
) -> None:
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(VOID, "lose_answer")
    pending = terminal.void(outcome.txn_id, supervisor="sup1", supervisor_password="1234")
    assert pending.state is PaymentState.CONFIRMED
    assert terminal.waiting_count() == 1
    assert terminal.resolve_pending().complete
    assert terminal.payment(outcome.txn_id).state is PaymentState.VOIDED


def test_a_void_that_never_arrived_did_not_happen(terminal: Terminal, server: FakeServer) -> None:
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(VOID, "drop")
    terminal.void(outcome.txn_id, supervisor="sup1", supervisor_password="1234")
    assert terminal.resolve_pending().complete
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
    kinds = _kinds(terminal, outcome.txn_id)
    assert kinds[-3:] == ["void", "void_no_answer", "void_refused"]


def test_a_failing_printer_leaves_the_payment_standing(
    terminal: Terminal, printer: FakePrinter
) -> None:
    printer.fail_with = DomainError(
        code="printer_out_of_paper", message_zh="打印机缺纸", message_en="out of paper"
    )
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    assert outcome.confirmed
    assert not outcome.printed
    assert outcome.print_error is not None
    assert outcome.print_error.code == "printer_out_of_paper"
    record = terminal.journal.txn(outcome.txn_id)
    assert record is not None
    assert record.receipt is ReceiptStatus.FAILED
    assert [o.txn_id for o in terminal.receipts_waiting()] == [outcome.txn_id]
    printer.fail_with = None
    reprinted = terminal.reprint(outcome.txn_id)
    assert reprinted.printed
    assert not reprinted.from_server
    assert printer.printed[-1][2] is True  # marked 重打
    assert terminal.receipts_waiting() == []


def test_reprint_of_the_latest_and_by_trace(terminal: Terminal, printer: FakePrinter) -> None:
    first = terminal.pay(terminal.query_account(ZHANG), 12587)
    second = terminal.pay(terminal.query_account(LI), 11306)
    assert terminal.reprint().receipt.txn_id == second.txn_id
    assert terminal.reprint(trace_no=first.trace_no).receipt.txn_id == first.txn_id
    assert [reprint for _r, _c, reprint in printer.printed] == [False, False, True, True]


def test_reprint_asks_the_server_for_a_receipt_the_journal_lacks(
    terminal: Terminal, server: FakeServer, printer: FakePrinter
) -> None:
    outcome = terminal.pay(terminal.query_account(ZHANG), 12587)
    # a receipt of this terminal the journal does not have (the journal was replaced)
    stored = server.payments[outcome.txn_id]
    assert stored.answer is not None
    other = dataclasses.replace(
        stored,
        txn_id="34080017-77-abcdef01",
        answer=stored.answer.model_copy(update={"txn_id": "34080017-77-abcdef01", "trace_no": 77}),
    )
    server.payments[other.txn_id] = other
    reprinted = terminal.reprint(trace_no=77)
    assert reprinted.from_server
    assert reprinted.printed
    assert (reprinted.receipt.trace_no, printer.printed[-1][2]) == (77, True)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.reprint(trace_no=78)
    assert refused.value.code == "receipt_not_available"
