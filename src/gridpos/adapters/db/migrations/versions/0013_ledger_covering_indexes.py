"""The ledger read by account without touching its rows: an agent's float statement.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

The float statement (console 代理商 → 对账单) sums an agent's float entries before, within and
after a range of business dates, each entry joined to its transaction for the date and the kind.
An agent's entries lie scattered among every other agent's, so on a county with a million
payments each of those three sums read some 8,000 entry rows and as many transaction rows
(40–130 ms each, most of a page's time). Two covering indexes answer them from the indexes alone
(``gridpos bench console``: 43 → 9 ms a sum):

- ``ledger_entries (account_kind, owner_id, transaction_id, amount)`` replaces the index on
  ``(account_kind, owner_id)``: the same lookups, now with what they read;
- ``ledger_transactions (id, business_date, kind)``: the join's date and kind by id.

Composite keys rather than ``INCLUDE`` so SQLite covers the same queries.
"""

from __future__ import annotations

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_ledger_entries_account_kind_owner_id"), table_name="ledger_entries")
    op.create_index(
        op.f("ix_ledger_entries_account_kind_owner_id_transaction_id_amount"),
        "ledger_entries",
        ["account_kind", "owner_id", "transaction_id", "amount"],
    )
    op.create_index(
        op.f("ix_ledger_transactions_id_business_date_kind"),
        "ledger_transactions",
        ["id", "business_date", "kind"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_ledger_transactions_id_business_date_kind"), table_name="ledger_transactions"
    )
    op.drop_index(
        op.f("ix_ledger_entries_account_kind_owner_id_transaction_id_amount"),
        table_name="ledger_entries",
    )
    op.create_index(
        op.f("ix_ledger_entries_account_kind_owner_id"),
        "ledger_entries",
        ["account_kind", "owner_id"],
    )
