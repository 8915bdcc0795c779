"""Enrolment, sign-in and sign-out, the heartbeat, a restart mid-day, background forwarding."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorCode, error_body
from gridpos.protocol.terminal.routes import PAY, SIGN_OUT
from gridpos.terminal import NoAnswerError, ServerRefusalError, Terminal, TerminalRefusalError
from gridpos.terminal.journal import EventKind

from .conftest import TerminalFactory
from .fakes import ENROLMENT_CODE, TERMINAL_NO, FakeMonotonic, FakeServer, _RefusedError


def test_enrolment_keeps_the_key_outside_the_journal_rows(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = open_terminal()
    with pytest.raises(TerminalRefusalError) as before:
        terminal.query_account("0012345678")
    assert before.value.code == "not_enrolled"
    identity = terminal.enrol(ENROLMENT_CODE)
    assert identity.terminal_no == TERMINAL_NO
    assert identity.collection_point == "天堂镇代收点"
    (row,) = terminal.journal.rows(kind=EventKind.ENROLLED)
    assert row.body == {"term": TERMINAL_NO, "pt": "天堂镇代收点", "sn": "GP-DEVICE-0001"}
    assert all("key" not in r.body for r in terminal.journal.rows())
    with pytest.raises(TerminalRefusalError) as again:
        terminal.enrol(ENROLMENT_CODE)
    assert again.value.code == "already_enrolled"
    terminal.close()
    assert open_terminal().identity == identity


@pytest.mark.parametrize("code", ["12345", "12345678901a", ""])
def test_a_malformed_enrolment_code_is_refused_at_once(
    open_terminal: TerminalFactory, server: FakeServer, code: str
) -> None:
    with pytest.raises(TerminalRefusalError) as refused:
        open_terminal().enrol(code)
    assert refused.value.code == "enrolment_code_format"
    assert server.log == []


def test_a_wrong_code_is_refused_in_the_servers_words(open_terminal: TerminalFactory) -> None:
    with pytest.raises(ServerRefusalError) as refused:
        open_terminal().enrol("999999999999")
    assert (refused.value.code, refused.value.message_zh) == (
        "enrolment_code_invalid",
        "开通码错误",
    )


def test_sign_in_refusals_come_as_the_server_words_them(open_terminal: TerminalFactory) -> None:
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    with pytest.raises(ServerRefusalError) as refused:
        terminal.sign_in(agent_account="a01", password="nope", organisation_code="340828")
    assert (refused.value.code, refused.value.message_zh) == ("password_wrong", "密码错误")
    assert refused.value.details == {"attempts_left": 4}
    assert terminal.session is None


def test_the_business_day_comes_from_the_server_not_the_clock(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    server.business_date = date(2024, 6, 14)
    server.server_offset = timedelta(days=-1, hours=3)  # the terminal clock is a day ahead
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    session = terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    assert str(session.business_date) == "2024-06-14"
    outcome = terminal.pay(terminal.query_account("0012345679"), 11306)
    assert outcome.confirmed
    record = terminal.journal.txn(outcome.txn_id)
    assert record is not None
    assert str(record.business_date) == "2024-06-14"
    assert record.cash_time == server.now()  # stamped with the server's time


def test_a_restart_mid_day_keeps_the_session_and_the_serial(
    terminal: Terminal, open_terminal: TerminalFactory
) -> None:
    first = terminal.pay(terminal.query_account("0012345678"), 12587)
    terminal.close()
    again = open_terminal()
    assert again.session is not None
    assert again.session.batch_no == 1
    second = again.pay(again.query_account("0012345679"), 11306)
    assert (first.trace_no, second.trace_no) == (1, 2)


def test_sign_out_ends_the_day(terminal: Terminal, server: FakeServer) -> None:
    answer = terminal.sign_out()
    assert answer.float_available == server.float_available
    assert terminal.session is None
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.query_account("0012345678")
    assert refused.value.code == "not_signed_in"
    assert refused.value.message_zh == "终端未签到，请先签到"


def test_sign_out_without_answer_keeps_the_session(terminal: Terminal, server: FakeServer) -> None:
    server.fail(SIGN_OUT, "drop")
    with pytest.raises(NoAnswerError):
        terminal.sign_out()
    assert terminal.session is not None


def test_a_retried_sign_out_after_a_lost_answer_ends_the_session(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(SIGN_OUT, "lose_answer")  # the server signs out; its answer never arrives
    with pytest.raises(NoAnswerError):
        terminal.sign_out()
    assert not server.signed_in
    assert terminal.session is not None
    assert terminal.sign_out() is None  # the retry is answered not_signed_in
    assert server.calls("sign_out") == 2
    assert terminal.session is None
    (row,) = terminal.journal.rows(kind=EventKind.SIGNED_OUT)
    assert row.body == {"lost": True, "pend": 0}
    assert row.batch_no == 1
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.sign_out()
    assert refused.value.code == "not_signed_in"


def test_a_sign_out_whose_answer_was_lost_is_finished_after_a_restart(
    open_terminal: TerminalFactory, terminal: Terminal, server: FakeServer
) -> None:
    view = terminal.query_account("0012345678")
    server.fail(SIGN_OUT, "lose_answer")  # the server signs out; its answer never arrives
    with pytest.raises(NoAnswerError):
        terminal.sign_out()
    (sent,) = terminal.journal.rows(kind=EventKind.SIGN_OUT_SENT)
    assert sent.body == {"pend": 0}
    terminal.close()  # the terminal restarts: only the journal file remembers

    again = open_terminal()
    assert again.sign_out_unfinished
    for attempt in (again.ready_to_collect, lambda: again.pay(view, 12587)):
        with pytest.raises(TerminalRefusalError) as refused:
            attempt()
        assert refused.value.code == "sign_out_unfinished"
    assert server.calls("pay") == 0
    assert again.sign_out() is None  # answered not_signed_in: the earlier one went through
    assert again.session is None
    (row,) = again.journal.rows(kind=EventKind.SIGNED_OUT)
    assert row.body == {"lost": True, "pend": 0}


def test_a_refused_sign_out_takes_the_mark_off(
    terminal: Terminal, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.fail(SIGN_OUT, "drop")
    with pytest.raises(NoAnswerError):
        terminal.sign_out()
    assert terminal.sign_out_unfinished

    def refuse(_message: object, _body: bytes) -> object:
        raise _RefusedError(error_body(ErrorCode.BATCH_MISMATCH))

    monkeypatch.setattr(server, "on_sign_out", refuse)
    with pytest.raises(ServerRefusalError) as refused:
        terminal.sign_out()
    assert refused.value.code == "batch_mismatch"
    assert not terminal.sign_out_unfinished  # the server answered: its day is still open
    terminal.ready_to_collect()


def test_a_first_sign_out_answered_not_signed_in_keeps_the_session(
    terminal: Terminal, server: FakeServer
) -> None:
    server.signed_in = False  # not a retry: nothing says this terminal's sign-out went through
    with pytest.raises(ServerRefusalError) as refused:
        terminal.sign_out()
    assert refused.value.code == "not_signed_in"
    assert terminal.session is not None
    assert list(terminal.journal.rows(kind=EventKind.SIGNED_OUT)) == []


def test_the_heartbeat_tells_the_queue_depth(terminal: Terminal, server: FakeServer) -> None:
    server.fail(PAY, "drop")
    terminal.pay(terminal.query_account("0012345678"), 12587)
    answer = terminal.heartbeat()
    assert answer.signed_in
    assert terminal.waiting_count() == 1


def test_background_forwarding_resolves_what_waits(terminal: Terminal, server: FakeServer) -> None:
    server.fail(PAY, "lose_answer")
    outcome = terminal.pay(terminal.query_account("0012345678"), 12587)
    terminal.start_forwarding(interval_s=0.01)
    deadline = time.monotonic() + 5
    while terminal.waiting_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    terminal.stop_forwarding()
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED


def test_background_forwarding_sends_the_heartbeat_when_due(
    terminal: Terminal, server: FakeServer, monotonic: FakeMonotonic
) -> None:
    terminal.start_forwarding(interval_s=0.01)
    time.sleep(0.05)
    assert server.calls("heartbeat") == 0
    monotonic.value += 301  # the day's heartbeat interval (hb_s 300) has passed
    deadline = time.monotonic() + 5
    while not server.calls("heartbeat") and time.monotonic() < deadline:
        time.sleep(0.01)
    terminal.stop_forwarding()
    assert server.calls("heartbeat") == 1


def test_sign_out_lets_waiting_payments_through_first(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "drop")
    outcome = terminal.pay(terminal.query_account("0012345678"), 12587)
    terminal.sign_out()
    assert outcome.txn_id in server.payments
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
