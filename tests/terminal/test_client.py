"""The signed client: every request signed with a counter that only goes up, signing refusals
fixed by themselves, and every way an exchange can fail classified."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.accounts import AccountAnswer, AccountQuery
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.routes import ACCOUNT, ENROL
from gridpos.terminal import LinkStatus, NoAnswerError, ServerRefusalError, Terminal
from gridpos.terminal.client import (
    Answered,
    NoAnswer,
    NoAnswerReason,
    Refused,
    TerminalClient,
)
from gridpos.terminal.config import Timeouts

from .conftest import TerminalFactory
from .fakes import ENROLMENT_CODE, FakeClock, FakeMonotonic, FakeServer


def _query(terminal: Terminal) -> object:
    return terminal.client.call(ACCOUNT, AccountQuery(account_no="0012345678"))


def test_every_request_is_signed_with_a_counter_persisted_across_restarts(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    terminal.query_account("0012345678")
    assert server.last_counter == 2  # sign-in, query (enrolment is unsigned)
    terminal.close()

    again = open_terminal()
    again.query_account("0012345679")
    assert server.last_counter == 3
    assert again.journal.counter("request") == 3


def test_a_stale_timestamp_teaches_the_server_clock_and_is_sent_once_more(
    terminal: Terminal, server: FakeServer
) -> None:
    server.server_offset = timedelta(hours=2)  # the terminal's clock is two hours slow
    calls = len(server.log)
    result = _query(terminal)
    assert isinstance(result, Answered)
    assert len(server.log) == calls + 2
    offset = terminal._context.server_clock.offset
    assert timedelta(hours=2) - timedelta(seconds=1) <= offset <= timedelta(hours=2)
    assert isinstance(_query(terminal), Answered)
    assert len(server.log) == calls + 3  # learnt: no second refusal


def test_a_replayed_counter_jumps_past_the_server_and_is_sent_once_more(
    terminal: Terminal, server: FakeServer
) -> None:
    server.last_counter = 5000  # a terminal restored from an old backup
    result = _query(terminal)
    assert isinstance(result, Answered)
    assert server.last_counter == 5001
    assert terminal.journal.counter("request") == 5001


def test_a_refusal_is_the_servers_body_as_sent(terminal: Terminal) -> None:
    result = terminal.client.call(ACCOUNT, AccountQuery(account_no="0099999999"))
    assert isinstance(result, Refused)
    assert result.http_status == 404
    assert result.error.code == ErrorCode.ACCOUNT_UNKNOWN
    with pytest.raises(ServerRefusalError) as refused:
        terminal.query_account("0099999999")
    assert refused.value.code == "account_unknown"
    assert refused.value.message_zh == "户号不存在"


@pytest.mark.parametrize(
    ("fault", "reason", "delivered"),
    [
        ("drop", NoAnswerReason.CONNECT_FAILED, False),
        ("lose_answer", NoAnswerReason.TIMEOUT, True),
        ("cut", NoAnswerReason.CONNECTION_LOST, True),
        ("server_error", NoAnswerReason.SERVER_FAULT, True),
    ],
)
def test_every_failure_is_classified(
    terminal: Terminal, server: FakeServer, fault: str, reason: NoAnswerReason, delivered: bool
) -> None:
    server.fail(ACCOUNT, fault)
    result = _query(terminal)
    assert isinstance(result, NoAnswer)
    assert (result.reason, result.delivered) == (reason, delivered)
    if fault == "server_error":
        assert result.error is not None
        assert result.error.code == "internal_error"
        assert terminal.link_state().status is LinkStatus.ONLINE  # the server is there
    else:
        assert terminal.link_state().status is LinkStatus.OFFLINE


class _ProxyPage(httpx.BaseTransport):
    """Something else answers: a captive portal's HTML page."""

    def __init__(self, status: int) -> None:
        self.status = status

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.status, content=b"<html>login</html>")


@pytest.mark.parametrize("status", [200, 403])
def test_an_answer_that_is_not_ours_is_no_answer(
    clock: FakeClock, monotonic: FakeMonotonic, status: int
) -> None:
    client = TerminalClient(
        "http://pos.test",
        timeouts=Timeouts(1, 1, 1, 1),
        clock=clock,
        monotonic=monotonic,
        transport=_ProxyPage(status),
    )
    request = EnrolRequest(code=ENROLMENT_CODE, device_serial="SN1", version="1")
    result = client.call(ENROL, request)
    assert isinstance(result, NoAnswer)
    assert result.reason is NoAnswerReason.BAD_ANSWER
    client.close()


def test_signed_routes_need_a_key(clock: FakeClock) -> None:
    client = TerminalClient("http://pos.test", timeouts=Timeouts(), clock=clock)
    with pytest.raises(ValueError, match="must be signed"):
        client.call(ACCOUNT, AccountQuery(account_no="0012345678"))
    client.close()


def test_the_link_indicator_follows_round_trips(
    terminal: Terminal, server: FakeServer, monotonic: FakeMonotonic
) -> None:
    _query(terminal)
    state = terminal.link_state()
    assert (state.status, state.rtt_ms, state.failures_in_row) == (LinkStatus.ONLINE, 0, 0)
    server.slow_ms = 4000
    server.fail(ACCOUNT, "slow")
    _query(terminal)
    assert (terminal.link_state().status, terminal.link_state().rtt_ms) == (LinkStatus.SLOW, 4000)
    server.fail(ACCOUNT, "drop", times=2)
    _query(terminal)
    _query(terminal)
    state = terminal.link_state()
    assert (state.status, state.failures_in_row, state.rtt_ms) == (LinkStatus.OFFLINE, 2, 4000)


def test_a_read_without_answer_raises_no_answer(terminal: Terminal, server: FakeServer) -> None:
    server.fail(ACCOUNT, "lose_answer")
    with pytest.raises(NoAnswerError) as failed:
        terminal.query_account("0012345678", mode="online")
    assert failed.value.code == "no_answer"
    assert failed.value.details == {"reason": "timeout"}


def test_small_headers(terminal: Terminal) -> None:
    sent: list[httpx.Request] = []

    class Spy(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(
                404, content=b'{"code":"route_unknown","message_zh":"x","message_en":"x"}'
            )

    terminal.client._http._transport = Spy()
    terminal.client.call(ACCOUNT, AccountQuery(account_no="0012345678"))
    names = {name.lower() for name in sent[0].headers}
    assert names == {
        "host",
        "user-agent",
        "accept-encoding",
        "x-gp-t",
        "x-gp-ts",
        "x-gp-n",
        "x-gp-s",
    }
    assert sent[0].headers["user-agent"] == "gp"


def test_the_answer_decodes_into_the_routes_message(terminal: Terminal) -> None:
    result = _query(terminal)
    assert isinstance(result, Answered)
    assert isinstance(result.answer, AccountAnswer)
    assert result.answer.total_due == 6784 + 150 + 5653
