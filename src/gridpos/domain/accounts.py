"""The chart of accounts of the ledger.

Sign convention: an entry's amount is in fen, positive for a debit and negative for a credit; the
entries of one transaction sum to zero. Every account below that has an owner mirrors a kept balance
row, and that balance equals the *credit* balance of the account (minus the sum of its entries):

| account kind            | owner        | kept balance                       |
| ----------------------- | ------------ | ---------------------------------- |
| agent_float             | agent id     | agents.float_available             |
| agent_float_held        | agent id     | agents.float_held                  |
| agent_commission        | agent id     | agents.commission_accrued          |
| customer_prepaid        | customer id  | customers.prepaid                  |
| customer_rounding       | customer id  | customers.rounding_credit          |
| receivable_principal    | receivable id| receivables.principal_paid         |
| receivable_penalty      | receivable id| receivables.penalty_paid           |
| topup_clearing          | none         | (money received from agents)       |
| commission_expense      | none         | (commission the company owes)      |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccountKind(StrEnum):
    AGENT_FLOAT = "agent_float"
    AGENT_FLOAT_HELD = "agent_float_held"
    AGENT_COMMISSION = "agent_commission"
    CUSTOMER_PREPAID = "customer_prepaid"
    CUSTOMER_ROUNDING = "customer_rounding"
    RECEIVABLE_PRINCIPAL = "receivable_principal"
    RECEIVABLE_PENALTY = "receivable_penalty"
    TOPUP_CLEARING = "topup_clearing"
    COMMISSION_EXPENSE = "commission_expense"

    @property
    def has_owner(self) -> bool:
        return self not in _COMPANY_ACCOUNTS


_COMPANY_ACCOUNTS = frozenset({AccountKind.TOPUP_CLEARING, AccountKind.COMMISSION_EXPENSE})


@dataclass(frozen=True, slots=True, order=True)
class AccountRef:
    """One account: its kind and, for per-party accounts, the owning row's id."""

    kind: AccountKind
    owner_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind.has_owner and self.owner_id is None:
            raise ValueError(f"account {self.kind} needs an owner id")
        if not self.kind.has_owner and self.owner_id is not None:
            raise ValueError(f"account {self.kind} has no owner")
