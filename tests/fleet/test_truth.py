"""Judging the day: worked examples of every way a payment can end, and of every failure the
fleet must catch (a lost payment, a duplicate, a one-sided payment, the MIS out of step)."""

from __future__ import annotations

from typing import Any

from gridpos.domain.payment_state import PaymentState
from gridpos.sim.fleet.truth import (
    JournalPayment,
    MisPostings,
    ServerPayment,
    judge,
    percentile,
    query_results,
)

T = "28010001"
C, U, R, J = (
    PaymentState.CONFIRMED,
    PaymentState.UNKNOWN,
    PaymentState.REVERSED,
    PaymentState.REJECTED,
)


def _txn(serial: int, nonce: str) -> str:
    return f"{T}-{serial}-{nonce}"


def _handover(visit: int, nonce: str, cash: int, *, offline: bool = False) -> dict[str, Any]:
    return {
        "ev": "handover",
        "term": T,
        "visit": visit,
        "nonce": nonce,
        "acct": "0100400009",
        "cash": cash,
        "offline": offline,
    }


def _outcome(visit: int, nonce: str, result: str, served_s: float) -> dict[str, Any]:
    return {
        "ev": "outcome",
        "term": T,
        "visit": visit,
        "nonce": nonce,
        "result": result,
        "served_s": served_s,
    }


def _journal(serial: int, nonce: str, state: PaymentState, **extra: Any) -> JournalPayment:
    values: dict[str, Any] = {
        "terminal_no": T,
        "txn_id": _txn(serial, nonce),
        "state": state,
        "offline": False,
        "cash": 1000,
        "cancelled": False,
        "waiting": state in (PaymentState.PENDING, PaymentState.UNKNOWN),
    }
    values.update(extra)
    return JournalPayment(**values)


def _server(
    serial: int, nonce: str, state: PaymentState, *, offline: bool = False
) -> ServerPayment:
    return ServerPayment(T, _txn(serial, nonce), state, offline, 1000, "A1")


def _good_day() -> tuple[list[dict[str, Any]], list[JournalPayment], list[ServerPayment]]:
    events = [
        # 1: confirmed at the counter
        _handover(0, "a0000001", 1000),
        _outcome(0, "a0000001", "confirmed", 2.0),
        {"ev": "printed", "term": T, "txn": _txn(1, "a0000001"), "offline": False},
        # 2: no answer; the forwarder confirmed it later
        _handover(1, "a0000002", 1000),
        _outcome(1, "a0000002", "waiting", 30.0),
        # 3: no answer, cancelled (冲正): the reversal beat the original (tombstone)
        _handover(2, "a0000003", 1000),
        _outcome(2, "a0000003", "waiting", 30.0),
        {"ev": "cancelled", "term": T, "visit": 2, "txn": _txn(3, "a0000003")},
        # 4: refused by the terminal: nothing journalled, no cash taken
        _handover(3, "a0000004", 1000),
        _outcome(3, "a0000004", "refused", 0.5),
        # 5: the terminal died before journalling: the cash was handed back
        _handover(4, "a0000005", 1000),
        {"ev": "crash", "term": T, "visit": 4, "point": "before_journal"},
        # 6: collected offline, uploaded later
        _handover(5, "a0000006", 1000, offline=True),
        _outcome(5, "a0000006", "offline", 0.2),
        {"ev": "printed", "term": T, "txn": _txn(6, "a0000006"), "offline": True},
        # 7: rejected at the counter: the cash went back
        _handover(6, "a0000007", 1000),
        _outcome(6, "a0000007", "rejected", 2.2),
    ]
    journal = [
        _journal(1, "a0000001", C),
        _journal(2, "a0000002", C),
        _journal(3, "a0000003", R, cancelled=True),
        _journal(6, "a0000006", C, offline=True),
        _journal(7, "a0000007", J),
    ]
    server = [
        _server(1, "a0000001", C),
        _server(2, "a0000002", C),
        _server(6, "a0000006", C, offline=True),
    ]
    return events, journal, server


def test_a_good_day_has_nothing_lost_duplicated_or_one_sided() -> None:
    events, journal, server = _good_day()
    mis = {_txn(1, "a0000001"): MisPostings(1), _txn(2, "a0000002"): MisPostings(1)}
    mis[_txn(6, "a0000006")] = MisPostings(1)
    truth = judge(
        events=events,
        journals={T: journal},
        server=server,
        tombstones={(T, _txn(3, "a0000003"))},
        mis=mis,
    )
    assert truth.attempted == 7
    assert truth.taken == 5
    assert (truth.confirmed, truth.confirmed_at_counter, truth.offline) == (3, 1, 1)
    assert (truth.unknown_at_counter, truth.resolved_after_unknown) == (2, 2)
    assert (truth.reversed, truth.rejected) == (1, 1)
    assert (truth.refused_at_terminal, truth.handed_back_at_crash) == (1, 1)
    assert (truth.lost, truth.duplicated, truth.one_sided) == (0, 0, 0)
    assert truth.unmatched_server_payments == 0
    assert (truth.receipts_printed, truth.receipts_without_payment) == (2, 0)
    assert truth.mis_ok
    assert truth.mis_posted_once == 3
    # served online: every answer at the counter but the terminal's own refusal, sorted
    assert sorted(truth.served_s) == [2.0, 2.2, 30.0, 30.0]
    assert truth.served_offline_s == [0.2]
    assert percentile(truth.served_s, 0.5) == 2.2
    assert percentile(truth.served_s, 0.99) == 30.0


def test_a_payment_the_server_never_got_is_lost_and_one_sided() -> None:
    events, journal, server = _good_day()
    events += [_handover(7, "a0000008", 1000), _outcome(7, "a0000008", "waiting", 30.0)]
    journal.append(_journal(8, "a0000008", U))
    truth = judge(events=events, journals={T: journal}, server=server, tombstones=set(), mis=None)
    assert truth.lost == 1
    # the journal still waits, and the cancelled payment has no tombstone any more
    assert truth.one_sided == 2
    assert truth.examples["lost"] == [f"{T} visit 7 (a0000008): journal unknown, server none"]


def test_cash_taken_without_a_journal_row_and_without_a_crash_is_lost() -> None:
    events, journal, server = _good_day()
    events += [_handover(7, "a0000008", 1000), _outcome(7, "a0000008", "confirmed", 2.0)]
    truth = judge(
        events=events,
        journals={T: journal},
        server=server,
        tombstones={(T, _txn(3, "a0000003"))},
        mis=None,
    )
    assert truth.lost == 1
    assert truth.examples["lost"] == [f"{T} visit 7 (a0000008): never journalled"]


def test_two_server_payments_for_one_handover_are_a_duplicate() -> None:
    events, journal, server = _good_day()
    server.append(_server(9, "a0000001", C))  # the same handover's nonce under a new serial
    truth = judge(
        events=events,
        journals={T: journal},
        server=server,
        tombstones={(T, _txn(3, "a0000003"))},
        mis=None,
    )
    assert truth.duplicated == 1
    assert truth.one_sided == 1  # the terminal's journal has no such payment
    assert truth.lost == 0


def test_a_cancelled_payment_the_server_kept_and_a_phantom_payment_are_one_sided() -> None:
    events, journal, server = _good_day()
    server.append(_server(3, "a0000003", C))  # the reversal never took: cash back, payment kept
    server.append(_server(10, "ffffffff", C))  # nobody handed cash over for this one
    truth = judge(events=events, journals={T: journal}, server=server, tombstones=set(), mis=None)
    # cash back yet kept; journal reversed vs server confirmed; the phantom has no journal row
    assert truth.one_sided == 3
    assert truth.unmatched_server_payments == 1


def test_the_mis_missing_a_posting_posting_twice_or_keeping_an_undone_one_is_caught() -> None:
    events, journal, server = _good_day()
    server.append(_server(7, "a0000009", PaymentState.VOIDED))
    mis = {
        _txn(1, "a0000001"): MisPostings(postings=2),  # posted twice
        _txn(6, "a0000006"): MisPostings(postings=1),
        _txn(7, "a0000009"): MisPostings(postings=1),  # voided here, still posted there
        "28019999-1-00000000": MisPostings(postings=1),  # of one of our terminals, not ours
    }
    truth = judge(
        events=events,
        journals={T: journal},
        server=server,
        tombstones={(T, _txn(3, "a0000003"))},
        mis=mis,
    )
    assert (truth.mis_missing, truth.mis_duplicated, truth.mis_extra) == (1, 1, 2)
    assert not truth.mis_ok


def test_each_customer_counts_once_by_how_their_last_query_ended() -> None:
    events = [
        {"ev": "query", "term": T, "visit": 0, "result": "online"},
        {"ev": "query", "term": T, "visit": 1, "result": "no_answer"},
        {"ev": "query", "term": T, "visit": 1, "result": "offline"},  # then from the download
        {"ev": "query", "term": T, "visit": 2, "result": "no_answer"},
        {"ev": "query", "term": T, "visit": 2, "result": "no_answer"},
        {"ev": "query", "term": T, "visit": 3, "result": "refused"},
        {"ev": "query", "term": "28010002", "visit": 0, "result": "no_answer"},
    ]
    assert query_results(events) == {"online": 1, "offline": 1, "no_answer": 2, "refused": 1}
