"""The double-entry journal: one transaction per business event, entries that sum to zero.

An entry's ``owner_id`` points at the agent, customer or receivable that owns the account (see
:mod:`gridpos.domain.accounts`); company accounts have none. It is not a foreign key because the
table it points at depends on the account kind; ``gridpos audit verify`` checks it instead.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
)

from gridpos.adapters.db.tables._base import EMPTY, Fen, Id, UtcDateTime, metadata, one_of
from gridpos.domain.accounts import AccountKind
from gridpos.domain.ledger import EventKind

_COMPANY_ACCOUNTS = ", ".join(f"'{kind.value}'" for kind in AccountKind if not kind.has_owner)

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=True),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=True),
    Column("memo", Text, nullable=False, server_default=EMPTY),
    one_of("kind", [k.value for k in EventKind], name="kind_known"),
    Index(None, "payment_id"),
    Index(None, "agent_id", "business_date"),
    Index(None, "business_date"),
    # an entry's date and kind by its transaction, from the index alone (0013)
    Index(None, "id", "business_date", "kind"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("account_kind", String(24), nullable=False),
    Column("owner_id", Id, nullable=True),
    Column("amount", Fen, nullable=False),
    CheckConstraint("amount <> 0", name="amount_not_zero"),
    one_of("account_kind", [k.value for k in AccountKind], name="account_kind_known"),
    CheckConstraint(
        f"(account_kind IN ({_COMPANY_ACCOUNTS})) = (owner_id IS NULL)",
        name="owner_iff_party_account",
    ),
    Index(None, "transaction_id"),
    # an account's entries with what they add up to, from the index alone: the float statement
    # sums an agent's scattered entries (0013)
    Index(None, "account_kind", "owner_id", "transaction_id", "amount"),
)
