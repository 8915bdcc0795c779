"""Which row and column keeps the balance of each account kind (see gridpos.domain.accounts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Table

from gridpos.adapters.db.tables import agents, customers, receivables
from gridpos.domain.accounts import AccountKind


@dataclass(frozen=True, slots=True)
class KeptBalance:
    """The column that mirrors the credit balance of one account kind, on its owner's row."""

    account_kind: AccountKind
    table: Table
    column_name: str
    # the CHECK constraint that refuses this balance going out of bounds
    constraint_name: str

    @property
    def column(self) -> Column[int]:
        return self.table.c[self.column_name]


KEPT_BALANCES: dict[AccountKind, KeptBalance] = {
    kept.account_kind: kept
    for kept in (
        KeptBalance(
            AccountKind.AGENT_FLOAT,
            agents,
            "float_available",
            "ck_agents_float_available_not_negative",
        ),
        KeptBalance(
            AccountKind.AGENT_FLOAT_HELD, agents, "float_held", "ck_agents_float_held_not_negative"
        ),
        KeptBalance(
            AccountKind.AGENT_COMMISSION,
            agents,
            "commission_accrued",
            "ck_agents_commission_accrued_not_negative",
        ),
        KeptBalance(
            AccountKind.CUSTOMER_PREPAID, customers, "prepaid", "ck_customers_prepaid_not_negative"
        ),
        KeptBalance(
            AccountKind.CUSTOMER_ROUNDING,
            customers,
            "rounding_credit",
            "ck_customers_rounding_credit_not_negative",
        ),
        KeptBalance(
            AccountKind.RECEIVABLE_PRINCIPAL,
            receivables,
            "principal_paid",
            "ck_receivables_principal_paid_within",
        ),
        KeptBalance(
            AccountKind.RECEIVABLE_PENALTY,
            receivables,
            "penalty_paid",
            "ck_receivables_penalty_paid_not_negative",
        ),
    )
}
