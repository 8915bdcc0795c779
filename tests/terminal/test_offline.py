"""Offline collection: the downloaded arrears, penalties to the cash date, limits, receipts
marked 脱机 with a code the server can check, upload oldest first when the link returns."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.signing import receipt_code_matches
from gridpos.protocol.terminal.accounts import ArrearsAnswer, ArrearsQuery
from gridpos.protocol.terminal.routes import ACCOUNT, ARREARS, OFFLINE_UPLOAD, PAY
from gridpos.terminal import (
    NoAnswerError,
    Terminal,
    TerminalConfig,
    TerminalRefusalError,
    Timeouts,
)
from gridpos.terminal.journal import EventKind

from .conftest import TerminalFactory
from .fakes import ENROLMENT_CODE, KEY, FakeClock, FakePrinter, FakeServer

ZHANG = "0012345678"  # residential; 202404 6784 due 2024-05-20, 202405 5653 due 2024-06-20
LI = "0012345679"  # residential; 202405 11306 due 2024-06-20
WANG = "0012345680"  # non-residential; 202403 23280 due 2024-04-20


def _offline_terminal(open_terminal: TerminalFactory, allowance: int = 100_000) -> Terminal:
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    session = terminal.sign_in(
        agent_account="a01",
        password="secret",
        organisation_code="340828",
        offline_allowance=allowance,
    )
    assert session.offline_allowance == allowance
    return terminal


def test_sign_in_with_an_allowance_downloads_the_area(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _offline_terminal(open_terminal)
    assert server.calls("arrears") == 1
    (row,) = terminal.journal.rows(kind=EventKind.ARREARS_DOWNLOADED)
    assert row.body == {
        "area": "tiantang",
        "accounts": 3,
        "dropped": 0,
        "as_of": "2024-06-15",
        "pages": 1,
        "tries": 1,
    }


def test_the_download_goes_page_by_page(open_terminal: TerminalFactory, server: FakeServer) -> None:
    terminal = open_terminal(
        config=TerminalConfig(
            timeouts=Timeouts(1, 1, 1, 1), disk_reserve_bytes=0, arrears_page_size=2
        )
    )
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(
        agent_account="a01", password="secret", organisation_code="340828", offline_allowance=1
    )
    assert server.calls("arrears") == 2
    del server.customers[LI]  # paid off at the service hall
    assert terminal.download_arrears() == 2
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.query_account(LI, mode="offline")
    assert refused.value.code == "account_unknown"


def _paged_terminal(open_terminal: TerminalFactory) -> Terminal:
    terminal = open_terminal(
        config=TerminalConfig(
            timeouts=Timeouts(1, 1, 1, 1), disk_reserve_bytes=0, arrears_page_size=1
        )
    )
    if terminal.identity is None:
        terminal.enrol(ENROLMENT_CODE)
        terminal.sign_in(
            agent_account="a01",
            password="secret",
            organisation_code="340828",
            offline_allowance=1,
            download_arrears=False,
        )
    return terminal


def _pages_asked(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    asked: list[str | None] = []
    answer = server.on_arrears

    def on_arrears(message: ArrearsQuery, body: bytes) -> ArrearsAnswer:
        asked.append(message.after)
        return answer(message, body)

    monkeypatch.setattr(server, "on_arrears", on_arrears)
    return asked


def test_a_cut_download_resumes_after_a_restart_from_the_page_it_reached(
    open_terminal: TerminalFactory, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _pages_asked(server, monkeypatch)
    terminal = _paged_terminal(open_terminal)
    server.fail(ARREARS, "none")
    server.fail(ARREARS, "lose_answer")  # the second page's answer never arrives
    with pytest.raises(NoAnswerError):
        terminal.download_arrears()
    assert asked == [None, ZHANG]
    assert terminal.query_account(ZHANG, mode="offline").offline  # the first page is kept
    terminal.close()

    again = _paged_terminal(open_terminal)  # restarted: the journal file knows where it was
    assert again.download_arrears() == 3
    assert asked == [None, ZHANG, ZHANG, LI]  # resumed after the page stored, not from page 1
    (row,) = again.journal.rows(kind=EventKind.ARREARS_DOWNLOADED)
    assert row.body == {
        "area": "tiantang",
        "accounts": 3,
        "dropped": 0,
        "as_of": "2024-06-15",
        "pages": 3,
        "tries": 2,
    }
    assert again.download_arrears() == 3  # a complete download is not resumed: it starts afresh
    assert asked[4:] == [None, ZHANG, LI]


def test_a_download_whose_business_day_changes_part_way_starts_again(
    open_terminal: TerminalFactory, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _pages_asked(server, monkeypatch)
    terminal = _paged_terminal(open_terminal)
    server.fail(ARREARS, "none")
    server.fail(ARREARS, "lose_answer")
    with pytest.raises(NoAnswerError):
        terminal.download_arrears()
    server.business_date += timedelta(days=1)  # the server moved on to the next business day
    assert terminal.download_arrears() == 3
    # page 2 came priced on the new day: the copy is made again from page 1, all on that day
    assert asked == [None, ZHANG, ZHANG, None, ZHANG, LI]
    dates = {
        row[0]
        for row in terminal.journal.connection.execute(
            "SELECT DISTINCT business_date FROM offline_accounts"
        )
    }
    assert dates == {"2024-06-16"}
    (row,) = terminal.journal.rows(kind=EventKind.ARREARS_DOWNLOADED)
    assert (row.body["as_of"], row.body["pages"]) == ("2024-06-16", 3)


def test_penalties_are_recomputed_to_the_cash_date(
    open_terminal: TerminalFactory, clock: FakeClock
) -> None:
    terminal = _offline_terminal(open_terminal)
    view = terminal.query_account(ZHANG, mode="offline")
    assert view.offline
    assert str(view.as_of) == "2024-06-15"
    # 6784 fen, 26 days late at 1‰ a day: 176.384 → 176 fen; the May bill is not due yet
    assert [(line.period, line.penalty) for line in view.lines] == [("202404", 176), ("202405", 0)]
    assert (view.total_due, view.round_up) == (6784 + 176 + 5653, 87)
    # non-residential, 56 days of the current year at 2‰: 23280 × 0.112 = 2607.36 → 2607
    assert terminal.query_account(WANG, mode="offline").total_due == 23280 + 2607
    clock.advance(days=1)
    assert terminal.query_account(ZHANG, mode="offline").lines[0].penalty == 183  # 27 days


def test_an_offline_payment_prints_a_marked_receipt_with_a_checkable_code(
    open_terminal: TerminalFactory, server: FakeServer, printer: FakePrinter
) -> None:
    terminal = _offline_terminal(open_terminal)
    view = terminal.query_account(ZHANG, mode="offline")
    outcome = terminal.pay(view, 12613)
    assert outcome.offline
    assert outcome.state is PaymentState.PENDING
    assert outcome.printed
    receipt = outcome.receipt
    assert receipt is not None
    assert receipt.offline
    assert [(m.period, m.kwh, m.principal, m.penalty) for m in receipt.months] == [
        ("202404", 120, 6784, 176),
        ("202405", 100, 5653, 0),
    ]
    assert receipt_code_matches(
        key=KEY,
        txn_id=outcome.txn_id,
        account_no=ZHANG,
        cash=12613,
        code=receipt.verification_code,
    )
    assert printer.printed[0][0].offline
    assert server.calls("pay") == 0
    assert outcome.txn_id not in server.payments
    # the local copy was paid down in the same transaction
    assert terminal.query_account(ZHANG, mode="offline").total_due == 0
    assert terminal.waiting_count() == 1


def test_round_up_and_prepay_offline(open_terminal: TerminalFactory) -> None:
    terminal = _offline_terminal(open_terminal)
    view = terminal.query_account(ZHANG, mode="offline")
    outcome = terminal.pay(view, 12700, round_up=True)
    assert outcome.receipt is not None
    assert (outcome.receipt.rounding_credit_after, outcome.receipt.prepaid_after) == (87, 0)
    again = terminal.query_account(LI, mode="offline")
    prepaid = terminal.pay(again, 20000)
    assert prepaid.receipt is not None
    assert prepaid.receipt.prepaid_after == 20000 - 11306


def test_offline_limits_per_payment_per_day_and_allowance(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _offline_terminal(open_terminal)
    li = terminal.query_account(LI, mode="offline")
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(li, 50_001)
    assert (refused.value.code, refused.value.message_zh) == (
        "over_payment_limit",
        "超过脱机单笔收费限额",
    )
    terminal.pay(li, 50_000)
    terminal.pay(terminal.query_account(WANG, mode="offline"), 50_000)
    assert terminal.offline_limits().most == 0
    with pytest.raises(TerminalRefusalError) as over_day:
        terminal.pay(terminal.query_account(ZHANG, mode="offline"), 12613)
    assert over_day.value.code == "over_daily_limit"
    assert len(list(terminal.journal.rows(kind=EventKind.OFFLINE_PAY))) == 2


def test_the_allowance_bounds_what_is_collected_offline(open_terminal: TerminalFactory) -> None:
    terminal = _offline_terminal(open_terminal, allowance=60_000)
    terminal.pay(terminal.query_account(LI, mode="offline"), 50_000)
    limits = terminal.offline_limits()
    assert (limits.per_payment, limits.day_left, limits.allowance_left) == (50_000, 50_000, 10_000)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(terminal.query_account(WANG, mode="offline"), 25_887)
    assert refused.value.code == "offline_allowance_exceeded"
    assert refused.value.message_zh == "超过脱机收费额度"


def test_no_allowance_no_offline_collection(terminal: Terminal) -> None:
    terminal.download_arrears()
    view = terminal.query_account(LI, mode="offline")
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(view, 11306)
    assert refused.value.code == "offline_not_allowed"


def test_partial_payment_offline_follows_the_rule(open_terminal: TerminalFactory) -> None:
    terminal = _offline_terminal(open_terminal)
    view = terminal.query_account(ZHANG, mode="offline")
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(view, 10000)
    assert refused.value.code == "amount_below_due"


def test_upload_oldest_first_when_the_link_returns(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _offline_terminal(open_terminal)
    first = terminal.pay(terminal.query_account(ZHANG, mode="offline"), 12613)
    second = terminal.pay(terminal.query_account(LI, mode="offline"), 11306)
    held_before = server.float_held
    report = terminal.resolve_pending()
    assert report.complete
    assert set(report.resolved) == {first.txn_id, second.txn_id}
    assert server.calls("offline_upload") == 1
    uploaded = [server.payments[txn] for txn in (first.txn_id, second.txn_id)]
    assert [p.request.offline_seq for p in uploaded] == [1, 2]  # type: ignore[attr-defined]
    assert all(p.offline for p in uploaded)
    assert server.float_held == held_before - 12613 - 11306
    assert terminal.session is not None
    assert terminal.session.float_held == server.float_held
    assert terminal.payment(first.txn_id).state is PaymentState.CONFIRMED
    assert terminal.payment(first.txn_id).receipt is not None  # still the 脱机 receipt


def test_an_upload_without_answer_is_sent_again_and_counted_once(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _offline_terminal(open_terminal)
    outcome = terminal.pay(terminal.query_account(ZHANG, mode="offline"), 12613)
    server.fail(OFFLINE_UPLOAD, "lose_answer")
    first = terminal.resolve_pending()
    assert first.remaining == 1
    assert terminal.payment(outcome.txn_id).state is PaymentState.UNKNOWN
    held = server.float_held
    assert terminal.resolve_pending().complete
    assert server.float_held == held  # the second upload did not count it again
    assert terminal.payment(outcome.txn_id).state is PaymentState.CONFIRMED
    assert server.calls("offline_upload") == 2


def test_with_no_link_the_query_falls_back_to_the_download(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _offline_terminal(open_terminal)
    server.fail(ACCOUNT, "drop")
    view = terminal.query_account(ZHANG)
    assert view.offline
    assert view.total_due == 12613


def test_with_the_link_known_down_the_query_answers_offline_without_asking(
    open_terminal: TerminalFactory, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _offline_terminal(open_terminal)
    timeouts: list[object] = []
    handle = server.handle_request

    def spy(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/t/"):
            timeouts.append(request.extensions.get("timeout"))
        return handle(request)

    monkeypatch.setattr(server, "handle_request", spy)
    server.fail_probe("drop", times=100)  # the coverage stays lost
    server.fail(ACCOUNT, "lose_answer")
    assert terminal.query_account(ZHANG).offline
    # the query waits the query timeout in every phase, not the client's (1 s here, 35 s default)
    assert timeouts == [{"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}]
    assert server.calls("account") == 1
    assert terminal.query_account(LI).offline  # known down: the server is not asked
    assert server.calls("account") == 1
    assert terminal.link_probe_running()
    server.fail(ACCOUNT, "drop")
    with pytest.raises(NoAnswerError):  # not in the download: only the server can answer
        terminal.query_account("0099999999")
    assert server.calls("account") == 2
    started = time.monotonic()
    terminal.close()
    assert time.monotonic() - started < 2
    assert not terminal.link_probe_running()


def test_the_probe_finds_the_link_back(open_terminal: TerminalFactory, server: FakeServer) -> None:
    config = TerminalConfig(timeouts=Timeouts(1, 1, 1, 1), disk_reserve_bytes=0, probe_every_s=0.01)
    terminal = open_terminal(config=config)
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(
        agent_account="a01", password="secret", organisation_code="340828", offline_allowance=1
    )
    server.fail(ACCOUNT, "drop")
    server.fail_probe("drop")  # the first health check finds the link still down
    assert terminal.query_account(ZHANG).offline
    deadline = time.monotonic() + 5
    while terminal.link_probe_running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.calls("probe") == 2
    assert server.calls("heartbeat") == 0  # the probe needs no signature and no journal
    assert not terminal.client.link_known_down()
    assert not terminal.query_account(ZHANG).offline


def test_an_online_and_an_offline_payment_wait_in_journal_order(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    terminal = _offline_terminal(open_terminal)
    server.fail(PAY, "drop")
    online = terminal.pay(terminal.query_account(LI), 11306)
    offline = terminal.pay(terminal.query_account(ZHANG, mode="offline"), 12613)
    assert [o.txn_id for o in terminal.waiting_payments()] == [online.txn_id, offline.txn_id]
    server.log.clear()
    assert terminal.resolve_pending().complete
    assert [name for name, _ in server.log] == ["payment_status", "pay", "offline_upload"]
