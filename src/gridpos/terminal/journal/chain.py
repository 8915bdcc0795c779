"""The hash chain of the journal: how a row's hash is made and how the chain is checked.

Every row stores the hash of the row before it (``prev_hash``; the first row has
:data:`GENESIS`) and its own hash: SHA-256 over its sequence number, that previous hash and every
column, as written. Rows are numbered 1, 2, 3… without gaps, and the journal's head (last sequence
number and hash) is kept beside the rows. So:

- an altered row no longer matches its own hash (``altered``);
- a deleted row leaves a gap in the numbering and a next row whose ``prev_hash`` points at nothing
  (``missing``, ``link_broken``);
- deleted rows at the end leave the head pointing past the last row (``truncated``);
- rows put back out of order break the links (``link_broken``).

A reported problem is never repaired: the journal records it as a row of its own and keeps going.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

GENESIS = "0" * 64


class ProblemKind(StrEnum):
    """How the chain is broken at one place."""

    ALTERED = "altered"
    MISSING = "missing"
    LINK_BROKEN = "link_broken"
    TRUNCATED = "truncated"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One place where the chain does not hold: the row (sequence number) and how."""

    kind: ProblemKind
    seq: int
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "seq": self.seq, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the whole chain."""

    rows: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class ChainedRow:
    """The columns of one stored row that the hash covers, as stored."""

    seq: int
    prev_hash: str
    kind: str
    txn_id: str | None
    state: str | None
    business_date: str | None
    batch_no: int | None
    recorded_at: str
    body: str
    row_hash: str


def row_hash(
    *,
    seq: int,
    prev_hash: str,
    kind: str,
    txn_id: str | None,
    state: str | None,
    business_date: str | None,
    batch_no: int | None,
    recorded_at: str,
    body: str,
) -> str:
    """Hex SHA-256 of a row's columns, in a fixed order, each on its own line."""
    parts = (
        "GPJ1",
        str(seq),
        prev_hash,
        kind,
        txn_id or "",
        state or "",
        business_date or "",
        "" if batch_no is None else str(batch_no),
        recorded_at,
        body,
    )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def hash_of(row: ChainedRow) -> str:
    """The hash ``row`` should carry given its columns."""
    return row_hash(
        seq=row.seq,
        prev_hash=row.prev_hash,
        kind=row.kind,
        txn_id=row.txn_id,
        state=row.state,
        business_date=row.business_date,
        batch_no=row.batch_no,
        recorded_at=row.recorded_at,
        body=row.body,
    )


def verify_chain(
    rows: Iterable[ChainedRow], *, head_seq: int | None, head_hash: str | None
) -> ChainReport:
    """Check rows given in sequence order against each other and against the recorded head.

    ``head_seq``/``head_hash`` are what the journal recorded as its last row (``None`` for a
    journal that never recorded one).
    """
    problems: list[ChainProblem] = []
    expected_seq = 1
    previous_hash = GENESIS
    count = 0
    last_seq = 0
    last_hash = GENESIS
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            first_missing, last_missing = expected_seq, row.seq - 1
            problems.append(
                ChainProblem(
                    ProblemKind.MISSING,
                    expected_seq,
                    f"rows {first_missing}..{last_missing} are missing"
                    if last_missing > first_missing
                    else f"row {first_missing} is missing",
                )
            )
        if hash_of(row) != row.row_hash:
            problems.append(
                ChainProblem(ProblemKind.ALTERED, row.seq, "the row does not match its hash")
            )
        if row.prev_hash != previous_hash:
            problems.append(
                ChainProblem(
                    ProblemKind.LINK_BROKEN,
                    row.seq,
                    "the row does not follow the row before it",
                )
            )
        previous_hash = row.row_hash
        expected_seq = row.seq + 1
        last_seq, last_hash = row.seq, row.row_hash
    if head_seq is not None and head_seq > last_seq:
        problems.append(
            ChainProblem(
                ProblemKind.TRUNCATED,
                last_seq + 1,
                f"the journal ended at row {head_seq}; rows {last_seq + 1}..{head_seq} are gone",
            )
        )
    elif head_seq is not None and head_seq == last_seq and head_hash not in (None, last_hash):
        problems.append(
            ChainProblem(ProblemKind.ALTERED, last_seq, "the last row is not the one recorded")
        )
    return ChainReport(rows=count, head_seq=last_seq, head_hash=last_hash, problems=tuple(problems))
