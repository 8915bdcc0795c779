"""From the candidates of a match to the records the domain classifies: each transaction's journal
row, payment and MIS posting, looked for outside the run too when a record has no partner in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from gridpos.adapters.db.reconciliation.candidates import (
    JournalSide,
    MisSide,
    PaymentSide,
    journal_by_id,
    lines_by_id,
    lines_by_payment,
    payments_by_id,
    payments_by_txn,
)
from gridpos.domain.reconciliation import (
    STANDING,
    CompanyRecord,
    Coverage,
    JournalRecord,
    MisRecord,
)

_COVERAGE = {"unbalanced": Coverage.DETAIL, "balanced": Coverage.ATTESTED}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of one transaction."""

    txn_id: str
    journal: JournalSide | None
    payment: PaymentSide | None
    line: MisSide | None

    @property
    def coverage(self) -> Coverage:
        if self.payment is None:
            return Coverage.DETAIL if self.journal is not None else Coverage.UNREPORTED
        return _COVERAGE.get(self.payment.batch_state or "", Coverage.UNREPORTED)

    @property
    def tombstoned(self) -> bool:
        return self.journal is not None and self.journal.tombstoned

    @property
    def business_date(self) -> date:
        for side in (self.payment, self.journal, self.line):
            if side is not None:
                return side.business_date
        raise ValueError("evidence of nothing")  # pragma: no cover - never built empty

    @property
    def place(self) -> tuple[int | None, int | None, str, str]:
        """(terminal id, agent id, organisation path, customer number) of the transaction."""
        if self.payment is not None:
            p = self.payment
            return p.terminal_id, p.agent_id, p.org_path, p.account_no
        if self.journal is not None:
            j = self.journal
            return j.terminal_id, j.agent_id, j.org_path, j.account_no
        line = self.line
        assert line is not None  # noqa: S101 - an evidence always has one record
        return line.terminal_id, line.agent_id, line.org_path or "/", line.account_no

    @property
    def largest_cash(self) -> int:
        return max(
            side.cash if isinstance(side, JournalSide | PaymentSide) else side.amount
            for side in (self.journal, self.payment, self.line)
            if side is not None
        )


def gather(
    connection: Connection,
    candidates: Sequence[tuple[int | None, int | None, int | None]],
    *,
    load_id: int | None,
) -> list[Evidence]:
    """The evidence of every candidate (payment id, journal row id, MIS line id)."""
    paid = payments_by_id(connection, [c for c, _t, _m in candidates if c])
    journal = journal_by_id(connection, [t for _c, t, _m in candidates if t])
    lines = lines_by_id(connection, [m for _c, _t, m in candidates if m]) if load_id else {}
    rows: list[tuple[PaymentSide | None, JournalSide | None, MisSide | None]] = [
        (
            paid.get(c) if c else None,
            journal.get(t) if t else None,
            lines.get(m) if m else None,
        )
        for c, t, m in candidates
    ]
    # a record with no partner in the run may have one outside it (another date or node)
    lonely: list[tuple[int | None, str]] = []
    for p, j, m in rows:
        if p is None and j is not None:
            lonely.append((j.terminal_id, j.txn_id))
        elif p is None and m is not None:
            lonely.append((m.terminal_id, m.payment_id))
    elsewhere = payments_by_txn(connection, lonely) if lonely else {}
    missing_lines = [p.txn_id for p, _j, m in rows if p is not None and m is None]
    other_lines = (
        lines_by_payment(connection, load_id, missing_lines) if load_id and missing_lines else {}
    )
    found: dict[str, Evidence] = {}
    for p, j, m in rows:
        txn = _txn_of(p, j, m)
        if txn in found:  # a journal row uploaded in two batches: the first stands for both
            continue
        payment = p or elsewhere.get(txn)
        found[txn] = Evidence(
            txn_id=txn, journal=j, payment=payment, line=m or other_lines.get(txn)
        )
    return list(found.values())


def _txn_of(p: PaymentSide | None, j: JournalSide | None, m: MisSide | None) -> str:
    if p is not None:
        return p.txn_id
    if j is not None:
        return j.txn_id
    if m is not None:
        return m.payment_id
    raise ValueError("a candidate of nothing")  # pragma: no cover - the SQL never makes one


def _state_at(payment: PaymentSide, as_of: date) -> str:
    if payment.state == STANDING:
        return STANDING
    if payment.undo_date is not None and payment.undo_date > as_of:
        return STANDING
    return payment.state


def records(
    evidence: Evidence, *, date_to: date, mis_at_day_end: bool
) -> tuple[JournalRecord | None, CompanyRecord | None, MisRecord | None]:
    """The domain's view of the evidence, the company's state taken at the end of the payment's
    business date (against the journal) and at the end of the range or of the day (against
    the MIS)."""
    j, p, m = evidence.journal, evidence.payment, evidence.line
    journal = (
        JournalRecord(cash=j.cash, state=j.state, offline=j.offline, cash_time=j.cash_time)
        if j is not None
        else None
    )
    company = None
    if p is not None:
        mis_as_of = p.business_date if mis_at_day_end else max(date_to, p.business_date)
        company = CompanyRecord(
            cash=p.cash,
            business_date=p.business_date,
            state_at_day_end=_state_at(p, p.business_date),
            state_for_mis=_state_at(p, mis_as_of),
            mis_state=p.mis_state,
            post_in_flight=p.post_in_flight,
            undo_in_flight=p.undo_in_flight,
        )
    mis = MisRecord(cash=m.amount, state=m.state, serial=m.serial) if m is not None else None
    return journal, company, mis
