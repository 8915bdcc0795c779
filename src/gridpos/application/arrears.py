"""A customer's open receivables priced on a day: unpaid principal plus the late penalty.

Shared by the account query, the arrears download and the payment itself, so the terminal is
shown exactly what the payment will compute on the same day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gridpos.adapters.db.payment_store import ReceivableRecord
from gridpos.domain.allocation import OpenReceivable
from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import PenaltyRules, apply_payment_minimum, compute_penalty


@dataclass(frozen=True, slots=True)
class PricedReceivable:
    """An open receivable with its penalty as of the pricing day."""

    record: ReceivableRecord
    penalty: int

    @property
    def open(self) -> OpenReceivable:
        """The form :func:`gridpos.domain.allocation.allocate` takes."""
        return OpenReceivable(
            receivable_id=self.record.id,
            period=self.record.period,
            run_no=self.record.run_no,
            principal_unpaid=self.record.principal_unpaid,
            penalty=self.penalty,
        )


def price(
    records: Sequence[ReceivableRecord],
    *,
    category: str,
    on: date,
    rules: PenaltyRules,
) -> list[PricedReceivable]:
    """The receivables with their penalties on ``on``, oldest first.

    Under a per-payment minimum the shortfall to the minimum is charged on the oldest receivable.
    Raises :class:`~gridpos.domain.penalty.PenaltyConfigError` when no rule is in force on ``on``.
    """
    kind = CustomerCategory(category)
    ordered = sorted(records, key=lambda r: (r.period, r.run_no, r.id))
    penalties = [
        compute_penalty(
            principal_unpaid=record.principal_unpaid,
            due_date=record.due_date,
            pay_date=on,
            category=kind,
            rules=rules,
        )
        for record in ordered
    ]
    total = sum(penalties)
    raised = apply_payment_minimum(penalty_total=total, pay_date=on, rules=rules)
    if raised != total and penalties:
        penalties[0] += raised - total
    return [
        PricedReceivable(record=record, penalty=penalty)
        for record, penalty in zip(ordered, penalties, strict=True)
    ]
