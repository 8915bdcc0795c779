"""扎帐 with the cash count, 批上送 when unbalanced, statistics and 对帐."""

from __future__ import annotations

from datetime import date

import pytest

from gridpos.protocol.terminal.batches import BatchTotals, DifferenceKind
from gridpos.protocol.terminal.routes import CLOSE_BATCH, PAY, UPLOAD_BATCH
from gridpos.terminal import NoAnswerError, Terminal, TerminalRefusalError
from gridpos.terminal.journal import EventKind

from .fakes import FakeServer

ZHANG = "0012345678"
LI = "0012345679"
WANG = "0012345680"


def _two_payments(terminal: Terminal) -> None:
    terminal.pay(terminal.query_account(ZHANG), 12587)
    terminal.pay(terminal.query_account(LI), 11306)


def test_a_balanced_close_with_the_cash_counted(terminal: Terminal, server: FakeServer) -> None:
    _two_payments(terminal)
    outcome = terminal.close_batch(23893)
    assert outcome.balanced
    assert outcome.closed
    assert outcome.differences == ()
    assert (outcome.terminal_totals.count, outcome.terminal_totals.amount) == (2, 23893)
    assert (outcome.expected_cash, outcome.cash_difference) == (23893, 0)
    assert server.calls("upload_batch") == 0
    (counted,) = terminal.journal.rows(kind=EventKind.CASH_COUNTED)
    assert counted.body == {
        "expected": 23893,
        "counted": 23893,
        "difference": 0,
        "note": "",
    }
    assert (server.closes[0].cash_counted, server.closes[0].note) == (23893, "")
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.pay(terminal.query_account(ZHANG), 100)
    assert refused.value.code == "business_day_closed"


def test_a_shortage_needs_a_note_before_anything_is_sent(
    terminal: Terminal, server: FakeServer
) -> None:
    _two_payments(terminal)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.close_batch(23800)
    assert refused.value.code == "cash_note_required"
    assert refused.value.message_zh == "点钞短款 0.93 元，请填写说明"
    assert server.calls("close_batch") == 0
    outcome = terminal.close_batch(23800, note="找零错误")
    assert (server.closes[0].cash_counted, server.closes[0].note) == (23800, "找零错误")
    assert outcome.cash_difference == -93
    assert outcome.note == "找零错误"
    (counted,) = terminal.journal.rows(kind=EventKind.CASH_COUNTED)
    assert (counted.body["difference"], counted.body["note"]) == (-93, "找零错误")


def test_an_overage_is_recorded_too(terminal: Terminal) -> None:
    _two_payments(terminal)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.close_batch(24000)
    assert "长款 1.07 元" in refused.value.message_zh
    assert terminal.close_batch(24000, note="多收一元").cash_difference == 107


def test_an_unbalanced_close_uploads_the_detail_and_names_each_difference(
    terminal: Terminal, server: FakeServer
) -> None:
    terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(PAY, "lose_answer")
    unknown = terminal.pay(terminal.query_account(LI), 11306)
    outcome = terminal.close_batch(23893, resolve_first=False)
    assert not outcome.balanced
    assert outcome.closed
    assert (outcome.terminal_totals.count, outcome.server_totals.count) == (1, 2)
    assert outcome.expected_cash == 23893  # the cash of the unknown payment was taken
    assert outcome.unresolved == 1
    assert [(d.kind, d.txn_id, d.terminal_state, d.server_state) for d in outcome.differences] == [
        (DifferenceKind.STATE_DIFFERS, unknown.txn_id, "unknown", "confirmed")
    ]
    (upload,) = terminal.journal.rows(kind=EventKind.BATCH_UPLOADED)
    assert upload.body["items"] == 2


def test_a_payment_reversed_before_it_reached_the_server_is_in_neither_total(
    terminal: Terminal, server: FakeServer
) -> None:
    terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(PAY, "drop")  # 李四's payment never arrives; its reversal leaves a tombstone
    never = terminal.pay(terminal.query_account(LI), 11306)
    terminal.cancel_unknown(never.txn_id)
    assert never.txn_id in server.tombstones
    server.fail(PAY, "lose_answer")  # 王五's payment arrives; its reversal undoes it
    arrived = terminal.pay(terminal.query_account(WANG), 23280)
    terminal.cancel_unknown(arrived.txn_id)
    assert server.payments[arrived.txn_id].state == "reversed"
    stats = terminal.statistics()
    assert stats.server is not None
    assert stats.local_totals == stats.server.totals
    outcome = terminal.close_batch(12587)
    assert outcome.balanced
    assert outcome.closed
    assert outcome.terminal_totals == BatchTotals(
        count=1, amount=12587, undone_count=1, undone_amount=23280
    )
    assert outcome.server_totals == outcome.terminal_totals
    assert server.calls("upload_batch") == 0


def test_the_close_resolves_waiting_payments_first(terminal: Terminal, server: FakeServer) -> None:
    terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(PAY, "lose_answer")
    terminal.pay(terminal.query_account(LI), 11306)
    outcome = terminal.close_batch(23893)
    assert outcome.balanced
    assert outcome.unresolved == 0


def test_a_big_batch_goes_up_in_parts(terminal: Terminal, server: FakeServer) -> None:
    server.per_day_limit = 0
    for _ in range(51):
        view = terminal.query_account(LI)
        terminal.pay(view, max(view.total_due, 100))
    server.payments.pop(next(iter(server.payments)))  # the server lost one: unbalanced
    outcome = terminal.close_batch(
        sum(p.request.cash for p in server.payments.values()) + 11306, note=None
    )
    assert [(u.part, u.parts, len(u.items)) for u in server.uploads] == [(1, 2, 50), (2, 2, 1)]
    assert [d.kind for d in outcome.differences] == [DifferenceKind.MISSING_ON_SERVER]


def test_an_upload_part_without_answer_is_sent_again(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "lose_answer")
    terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(UPLOAD_BATCH, "drop", times=2)
    outcome = terminal.close_batch(12587, resolve_first=False)
    assert outcome.closed
    assert server.calls("upload_batch") == 3
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.close_batch(12587, resolve_first=False)
    assert refused.value.code == "batch_already_closed"


def test_an_upload_that_never_gets_an_answer_can_be_run_again(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "lose_answer")
    terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(UPLOAD_BATCH, "drop", times=3)
    with pytest.raises(NoAnswerError):
        terminal.close_batch(12587, resolve_first=False)
    assert terminal.session is not None
    assert not terminal.session.batch_closed
    outcome = terminal.close_batch(12587, resolve_first=False)
    assert outcome.closed
    assert outcome.differences is not None
    assert len(outcome.differences) == 1


def test_a_lost_answer_to_the_last_part_still_closes(
    terminal: Terminal, server: FakeServer
) -> None:
    server.fail(PAY, "lose_answer")
    terminal.pay(terminal.query_account(ZHANG), 12587)
    server.fail(UPLOAD_BATCH, "lose_answer")
    outcome = terminal.close_batch(12587, resolve_first=False)
    assert outcome.closed
    assert outcome.differences is None  # kept on the server for reconciliation
    assert outcome.balanced is False
    (upload,) = terminal.journal.rows(kind=EventKind.BATCH_UPLOADED)
    assert upload.body == {"diff": None, "closed": True, "items": 1}


def test_a_lost_answer_to_a_balanced_close_still_closes(
    terminal: Terminal, server: FakeServer
) -> None:
    _two_payments(terminal)
    server.fail(CLOSE_BATCH, "lose_answer")
    outcome = terminal.close_batch(23893)
    assert outcome.closed
    assert outcome.balanced is None
    assert outcome.server_totals is None
    assert server.calls("close_batch") == 2


def test_statistics_show_the_servers_figures_beside_the_journals(
    terminal: Terminal, server: FakeServer
) -> None:
    _two_payments(terminal)
    stats = terminal.statistics()
    assert stats.server is not None
    assert (stats.server.totals.count, stats.server.totals.amount) == (2, 23893)
    assert (stats.local_totals.count, stats.local_totals.amount) == (2, 23893)
    assert stats.float_available == 10_000_000 - 23893
    offline = terminal.statistics(online=False)
    assert offline.server is None
    assert offline.float_available == 10_000_000 - 23893


def test_reconciliation_compares_each_business_date(terminal: Terminal, server: FakeServer) -> None:
    _two_payments(terminal)
    report = terminal.reconcile(date(2024, 6, 1), date(2024, 6, 30))
    assert report.agrees
    assert [(d.business_date, d.terminal.amount, d.server.amount) for d in report.days] == [
        (date(2024, 6, 15), 23893, 23893)
    ]
    server.payments.popitem()
    assert not terminal.reconcile(date(2024, 6, 1), date(2024, 6, 30)).agrees


def test_a_reconciliation_range_is_checked_first(terminal: Terminal, server: FakeServer) -> None:
    calls = len(server.log)
    with pytest.raises(TerminalRefusalError) as refused:
        terminal.reconcile(date(2024, 6, 30), date(2024, 6, 1))
    assert refused.value.code == "invalid_field"
    with pytest.raises(TerminalRefusalError):
        terminal.reconcile(date(2024, 5, 1), date(2024, 6, 30))
    assert len(server.log) == calls
