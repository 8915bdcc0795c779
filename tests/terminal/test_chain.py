"""The hash chain: how a row's hash is made, and every way a chain can be broken."""

from __future__ import annotations

import dataclasses
import hashlib

from gridpos.terminal.journal.chain import (
    GENESIS,
    ChainedRow,
    ProblemKind,
    hash_of,
    row_hash,
    verify_chain,
)


def _chain(count: int) -> list[ChainedRow]:
    rows: list[ChainedRow] = []
    previous = GENESIS
    for seq in range(1, count + 1):
        row = ChainedRow(
            seq=seq,
            prev_hash=previous,
            kind="pay",
            txn_id=f"34080017-{seq}-0000000{seq}",
            state="pending",
            business_date="2024-06-15",
            batch_no=1,
            recorded_at=f"2024-06-15T02:00:0{seq}+00:00",
            body='{"cash":100}',
            row_hash="",
        )
        row = dataclasses.replace(row, row_hash=hash_of(row))
        rows.append(row)
        previous = row.row_hash
    return rows


def test_row_hash_is_sha256_of_the_documented_lines() -> None:
    expected = hashlib.sha256(
        "\n".join(
            ["GPJ1", "1", GENESIS, "signed_in", "", "", "2024-06-15", "3", "T", "{}"]
        ).encode()
    ).hexdigest()
    assert (
        row_hash(
            seq=1,
            prev_hash=GENESIS,
            kind="signed_in",
            txn_id=None,
            state=None,
            business_date="2024-06-15",
            batch_no=3,
            recorded_at="T",
            body="{}",
        )
        == expected
    )


def test_an_intact_chain_has_no_problem_and_reports_its_head() -> None:
    rows = _chain(4)
    report = verify_chain(rows, head_seq=4, head_hash=rows[-1].row_hash)
    assert report.intact
    assert (report.rows, report.head_seq, report.head_hash) == (4, 4, rows[-1].row_hash)


def test_an_altered_row_no_longer_matches_its_hash() -> None:
    rows = _chain(4)
    rows[1] = dataclasses.replace(rows[1], body='{"cash":1}')
    report = verify_chain(rows, head_seq=4, head_hash=rows[-1].row_hash)
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.ALTERED, 2)]


def test_a_rehashed_altered_row_breaks_the_link_to_the_next() -> None:
    rows = _chain(4)
    altered = dataclasses.replace(rows[1], body='{"cash":1}')
    rows[1] = dataclasses.replace(altered, row_hash=hash_of(altered))
    report = verify_chain(rows, head_seq=4, head_hash=rows[-1].row_hash)
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.LINK_BROKEN, 3)]


def test_a_deleted_row_leaves_a_gap_and_a_broken_link() -> None:
    rows = _chain(4)
    del rows[1]
    report = verify_chain(rows, head_seq=4, head_hash=rows[-1].row_hash)
    assert [(p.kind, p.seq) for p in report.problems] == [
        (ProblemKind.MISSING, 2),
        (ProblemKind.LINK_BROKEN, 3),
    ]


def test_rows_deleted_at_the_end_are_found_from_the_head() -> None:
    rows = _chain(4)
    report = verify_chain(rows[:2], head_seq=4, head_hash=rows[-1].row_hash)
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.TRUNCATED, 3)]
    assert "3..4" in report.problems[0].detail


def test_a_replaced_last_row_is_found_from_the_head_hash() -> None:
    rows = _chain(3)
    report = verify_chain(rows, head_seq=3, head_hash="f" * 64)
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.ALTERED, 3)]
