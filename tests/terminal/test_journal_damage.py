"""A damaged journal reaches the server: the report the check makes, the heartbeat soon after
start that carries it, and the sign-in that carries it too — the journal left as found."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from gridpos.protocol.terminal.routes import HEARTBEAT
from gridpos.protocol.terminal.session import JournalDamage, JournalDamageKind
from gridpos.terminal import Terminal
from gridpos.terminal.health import check_journal, damage_report
from gridpos.terminal.journal import EventKind, Journal

from .conftest import TerminalFactory
from .fakes import ENROLMENT_CODE, FakeClock, FakeServer

ALTERED, MISSING, LINK_BROKEN = (
    JournalDamageKind.ALTERED,
    JournalDamageKind.MISSING,
    JournalDamageKind.LINK_BROKEN,
)


def _tamper(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER IF EXISTS events_never_updated")
    db.execute("DROP TRIGGER IF EXISTS events_never_deleted")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def _body_of(path: Path, seq: int) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()[0])
    finally:
        db.close()


def _wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_the_report_counts_places_and_names_each_kind_once() -> None:
    # row 4 deleted (a gap, then row 5 follows nothing), rows 9 and 2 altered, in the check's order
    report = damage_report(
        [("missing", 4), ("link_broken", 5), ("altered", 9), ("altered", 2), ("burnt", 7)]
    )
    assert report == JournalDamage(
        problems=4, first_seq=2, last_seq=9, kinds=(MISSING, LINK_BROKEN, ALTERED)
    )
    assert damage_report([]) is None


def test_damage_recorded_earlier_is_reported_even_if_the_chain_holds_again(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal.open(path, clock=clock)
    for number in range(3):
        journal.append(EventKind.SIGNED_IN, {"n": number}, batch_no=number + 1)
    journal.close()
    original = _body_of(path, 2)
    _tamper(path, "UPDATE events SET body = '{\"n\":9}' WHERE seq = 2")

    journal = Journal.open(path, clock=clock)
    found = check_journal(journal)
    journal.close()
    assert found.report == JournalDamage(problems=1, first_seq=2, last_seq=2, kinds=(ALTERED,))

    _tamper(path, f"UPDATE events SET body = '{original}' WHERE seq = 2")  # put back by hand
    journal = Journal.open(path, clock=clock)
    again = check_journal(journal)
    journal.close()
    assert again.problems == ()
    assert again.recorded_damage == (4,)
    assert again.report == found.report


def test_an_intact_journal_sends_no_report(terminal: Terminal, server: FakeServer) -> None:
    assert terminal.journal_health.report is None
    terminal.heartbeat()
    assert [heartbeat.journal_damage for heartbeat in server.heartbeats] == [None, None]


def _damaged_terminal(open_terminal: TerminalFactory, data_dir: Path, *, sign_out: bool) -> int:
    """A day with one payment, the terminal closed, its ``answer`` row altered; that row's seq."""
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    view = terminal.query_account("0012345678")
    terminal.pay(view, view.total_due)
    if sign_out:
        terminal.sign_out()
    answer = terminal.journal.last_row(EventKind.ANSWER)
    assert answer is not None
    terminal.close()
    _tamper(
        data_dir / "journal.sqlite3", f"UPDATE events SET body = '{{}}' WHERE seq = {answer.seq}"
    )
    return answer.seq


def test_a_damaged_journal_is_reported_soon_after_start_once_the_server_answers(
    open_terminal: TerminalFactory, data_dir: Path, server: FakeServer
) -> None:
    altered = _damaged_terminal(open_terminal, data_dir, sign_out=False)
    server.heartbeats.clear()
    server.fail(HEARTBEAT, "drop")  # no link for the first try

    restarted = open_terminal()
    report = restarted.journal_health.report
    assert report == JournalDamage(
        problems=1, first_seq=altered, last_seq=altered, kinds=(ALTERED,)
    )
    restarted.start_forwarding(interval_s=0.01)
    _wait_for(lambda: server.heartbeats)
    time.sleep(0.05)  # further passes: the report was answered, nothing more is sent
    restarted.stop_forwarding()

    assert server.calls("heartbeat") == 2  # dropped once, tried again on the next pass
    assert [heartbeat.journal_damage for heartbeat in server.heartbeats] == [report]
    assert restarted.heartbeat().signed_in  # later heartbeats still carry it
    assert server.heartbeats[-1].journal_damage == report
    # the journal is left as found: the altered row unrepaired, the damage recorded once
    assert restarted.journal.row(altered).body == {}
    assert len(list(restarted.journal.rows(kind=EventKind.JOURNAL_DAMAGE))) == 1


def test_the_report_is_sent_at_start_not_after_the_first_interval(
    open_terminal: TerminalFactory, data_dir: Path, server: FakeServer
) -> None:
    _damaged_terminal(open_terminal, data_dir, sign_out=False)
    server.heartbeats.clear()
    restarted = open_terminal()
    restarted.start_forwarding(interval_s=3600)
    _wait_for(lambda: server.heartbeats)
    restarted.stop_forwarding()
    assert [heartbeat.journal_damage for heartbeat in server.heartbeats] == [
        restarted.journal_health.report
    ]


def test_the_sign_in_carries_the_report(
    open_terminal: TerminalFactory, data_dir: Path, server: FakeServer
) -> None:
    _damaged_terminal(open_terminal, data_dir, sign_out=True)
    server.heartbeats.clear()

    restarted = open_terminal()
    restarted.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    assert [heartbeat.journal_damage for heartbeat in server.heartbeats] == [
        restarted.journal_health.report
    ]
    restarted.start_forwarding(interval_s=0.01)
    time.sleep(0.05)
    restarted.stop_forwarding()
    assert server.calls("heartbeat") == 0  # already told by the sign-in
