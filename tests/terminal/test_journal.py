"""The journal file: durable settings, append-only rows, tamper detection, refusing to write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gridpos.domain.payment_state import PaymentState
from gridpos.terminal import JournalUnwritableError, Terminal, TerminalConfig, Timeouts
from gridpos.terminal.health import check_journal
from gridpos.terminal.journal import EventKind, Journal, ProblemKind
from gridpos.terminal.journal.chain import GENESIS, row_hash

from .conftest import TerminalFactory
from .fakes import ENROLMENT_CODE, FakeClock, FakeServer


def _open(path: Path, clock: FakeClock, **options: object) -> Journal:
    return Journal.open(path, clock=clock, **options)  # type: ignore[arg-type]


def _three_rows(journal: Journal) -> None:
    for number in range(3):
        journal.append(EventKind.SIGNED_IN, {"n": number}, batch_no=number + 1)


def test_the_file_is_wal_with_full_synchronous_writes(tmp_path: Path, clock: FakeClock) -> None:
    journal = _open(tmp_path / "j.sqlite3", clock)
    db = journal.connection
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    journal.close()


def test_rows_chain_and_survive_reopening(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "j.sqlite3"
    journal = _open(path, clock)
    first = journal.append(EventKind.SIGNED_IN, {"op": "甲"}, batch_no=1)
    second = journal.append(EventKind.SIGNED_OUT, {"released": 0}, batch_no=1)
    journal.close()
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.row_hash
    assert first.row_hash == row_hash(
        seq=1,
        prev_hash=GENESIS,
        kind="signed_in",
        txn_id=None,
        state=None,
        business_date=None,
        batch_no=1,
        recorded_at="2024-06-15T02:00:00+00:00",
        body='{"op":"甲"}',
    )
    reopened = _open(path, clock)
    report = reopened.verify()
    assert report.intact
    assert report.rows == 2
    assert report.head_hash == second.row_hash
    assert [row.kind for row in reopened.rows()] == [EventKind.SIGNED_IN, EventKind.SIGNED_OUT]
    reopened.close()


def test_rows_are_never_updated_nor_deleted(tmp_path: Path, clock: FakeClock) -> None:
    journal = _open(tmp_path / "j.sqlite3", clock)
    _three_rows(journal)
    with pytest.raises(sqlite3.IntegrityError, match="never updated"):
        journal.connection.execute("UPDATE events SET body = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        journal.connection.execute("DELETE FROM events WHERE seq = 3")
    assert journal.verify().intact
    journal.close()


def _tamper(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER events_never_updated")
    db.execute("DROP TRIGGER events_never_deleted")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("statement", "kinds"),
    [
        ("UPDATE events SET body = '{\"n\":9}' WHERE seq = 2", [(ProblemKind.ALTERED, 2)]),
        (
            "DELETE FROM events WHERE seq = 2",
            [(ProblemKind.MISSING, 2), (ProblemKind.LINK_BROKEN, 3)],
        ),
        ("DELETE FROM events WHERE seq = 3", [(ProblemKind.TRUNCATED, 3)]),
    ],
    ids=["altered", "deleted", "truncated"],
)
def test_damage_is_found_at_start_recorded_once_and_left_as_found(
    tmp_path: Path, clock: FakeClock, statement: str, kinds: list[tuple[ProblemKind, int]]
) -> None:
    path = tmp_path / "j.sqlite3"
    journal = _open(path, clock)
    _three_rows(journal)
    journal.close()
    _tamper(path, statement)

    journal = _open(path, clock)
    health = check_journal(journal)
    assert [(p.kind, p.seq) for p in health.problems] == kinds
    assert not health.intact
    assert "校验失败" in health.message_zh
    damage = list(journal.rows(kind=EventKind.JOURNAL_DAMAGE))
    assert len(damage) == 1
    assert [(p["kind"], p["seq"]) for p in damage[0].body["problems"]] == [
        (kind.value, seq) for kind, seq in kinds
    ]
    journal.close()

    journal = _open(path, clock)
    again = check_journal(journal)
    assert not again.intact
    assert len(list(journal.rows(kind=EventKind.JOURNAL_DAMAGE))) == 1
    if kinds[0][0] is ProblemKind.ALTERED:  # the altered row is still there, unrepaired
        assert journal.row(2) is not None
        assert journal.row(2).body == {"n": 9}
    journal.close()


def test_a_terminal_opened_on_a_damaged_journal_says_so(
    open_terminal: TerminalFactory, data_dir: Path
) -> None:
    terminal = open_terminal()
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    view = terminal.query_account("0012345678")
    txn = terminal.pay(view, view.total_due).txn_id
    terminal.close()
    _tamper(data_dir / "journal.sqlite3", "UPDATE events SET body = '{}' WHERE kind = 'answer'")

    reopened = open_terminal()
    assert not reopened.journal_health.intact
    assert reopened.journal_health.problems[0].kind is ProblemKind.ALTERED
    assert reopened.payment(txn).state is PaymentState.CONFIRMED  # the side table is not rebuilt


def test_counters_persist_and_only_go_up(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "j.sqlite3"
    journal = _open(path, clock)
    assert [journal.next_value("serial") for _ in range(3)] == [1, 2, 3]
    journal.raise_counter("serial", at_least=2)
    assert journal.counter("serial") == 3
    journal.close()
    journal = _open(path, clock)
    assert journal.next_value("serial") == 4
    journal.raise_counter("serial", at_least=40)
    assert journal.next_value("serial") == 41
    journal.close()


def test_a_full_disk_refuses_the_write_and_leaves_nothing(tmp_path: Path, clock: FakeClock) -> None:
    journal = _open(tmp_path / "j.sqlite3", clock)
    _three_rows(journal)
    pages = journal.connection.execute("PRAGMA page_count").fetchone()[0]
    journal.connection.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(JournalUnwritableError) as refused:
        journal.append(EventKind.SIGNED_IN, {"filler": "x" * 20_000})
    assert refused.value.code == "journal_unwritable"
    assert refused.value.reason == "disk_full"
    assert refused.value.message_zh.startswith("终端流水无法写入")
    assert journal.verify().rows == 3
    journal.close()


def test_a_read_only_journal_refuses_the_write(tmp_path: Path, clock: FakeClock) -> None:
    journal = _open(tmp_path / "j.sqlite3", clock)
    journal.connection.execute("PRAGMA query_only = 1")
    with pytest.raises(JournalUnwritableError) as refused:
        journal.ensure_writable()
    assert refused.value.reason == "read_only"
    journal.close()


def test_low_space_refuses_before_writing(tmp_path: Path, clock: FakeClock) -> None:
    journal = _open(
        tmp_path / "j.sqlite3", clock, disk_free=lambda _path: 4096, reserve_bytes=1_000_000
    )
    with pytest.raises(JournalUnwritableError) as refused:
        journal.ensure_writable()
    assert refused.value.reason == "low_space"
    journal.close()


def test_no_payment_starts_when_the_journal_cannot_be_written(
    terminal: Terminal, server: FakeServer
) -> None:
    view = terminal.query_account("0012345678")
    rows_before = terminal.journal.verify().rows
    terminal.journal.connection.execute("PRAGMA query_only = 1")
    with pytest.raises(JournalUnwritableError):
        terminal.ready_to_collect()
    with pytest.raises(JournalUnwritableError):
        terminal.pay(view, view.total_due)
    terminal.journal.connection.execute("PRAGMA query_only = 0")
    assert server.calls("pay") == 0
    assert server.payments == {}
    assert terminal.journal.verify().rows == rows_before
    assert terminal.waiting_count() == 0


def test_no_payment_starts_when_space_runs_low(
    open_terminal: TerminalFactory, server: FakeServer
) -> None:
    free = {"bytes": 10_000_000}
    terminal = open_terminal(
        disk_free=lambda _path: free["bytes"],
        config=TerminalConfig(timeouts=Timeouts(1, 1, 1, 1), disk_reserve_bytes=1_000_000),
    )
    terminal.enrol(ENROLMENT_CODE)
    terminal.sign_in(agent_account="a01", password="secret", organisation_code="340828")
    view = terminal.query_account("0012345679")
    free["bytes"] = 999_999
    with pytest.raises(JournalUnwritableError) as refused:
        terminal.pay(view, view.total_due)
    assert refused.value.reason == "low_space"
    assert server.calls("pay") == 0
    assert terminal.journal.txn_by_trace(1) is None


def test_damage_found_on_an_unwritable_journal_is_still_reported(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "j.sqlite3"
    journal = _open(path, clock)
    _three_rows(journal)
    journal.close()
    _tamper(path, "DELETE FROM events WHERE seq = 2")
    journal = _open(path, clock)
    journal.connection.execute("PRAGMA query_only = 1")
    health = check_journal(journal)
    assert health.unrecorded
    assert not health.intact
    assert [p.kind for p in health.problems] == [ProblemKind.MISSING, ProblemKind.LINK_BROKEN]
    journal.close()
