"""Writing postings to the journal and moving the kept balances with them, in one transaction.

A posting becomes one ``ledger_transactions`` row, its ``ledger_entries``, and an UPDATE of each
kept balance it touches (by :func:`gridpos.domain.ledger.balance_changes`). The database's CHECK
constraints are the last word on money: a float below zero is refused there, and the refusal comes
back as a named :class:`~gridpos.domain.ledger.LedgerError` with nothing written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.kept_balances import KEPT_BALANCES, KeptBalance
from gridpos.adapters.db.tables import ledger_entries, ledger_transactions, receivables
from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.ledger import Entry, EventKind, LedgerError, Posting, balance_changes
from gridpos.domain.money import format_yuan

# (code, what in Chinese, what in English) of a kept balance pushed out of its bounds
_OUT_OF_BOUNDS: dict[AccountKind, tuple[str, str, str]] = {
    AccountKind.AGENT_FLOAT: ("float_insufficient", "本机可用余额", "available float"),
    AccountKind.AGENT_FLOAT_HELD: ("float_insufficient", "脱机额度", "held offline allowance"),
    AccountKind.AGENT_COMMISSION: ("commission_insufficient", "代理佣金", "accrued commission"),
    AccountKind.CUSTOMER_PREPAID: ("prepaid_insufficient", "预存余额", "prepaid balance"),
    AccountKind.CUSTOMER_ROUNDING: ("rounding_credit_insufficient", "调尾余额", "rounding credit"),
    AccountKind.RECEIVABLE_PRINCIPAL: (
        "receivable_principal_out_of_range",
        "应收电费已收本金",
        "principal paid on the receivable",
    ),
    AccountKind.RECEIVABLE_PENALTY: (
        "receivable_penalty_out_of_range",
        "应收电费已收违约金",
        "penalty paid on the receivable",
    ),
}


class LedgerStore:
    """The journal and the kept balances, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(
        self,
        posting: Posting,
        *,
        business_date: date,
        recorded_at: datetime,
        payment_id: int | None = None,
        agent_id: int | None = None,
        memo: str = "",
    ) -> int:
        """Write ``posting`` and move every kept balance it touches; return the transaction id.

        All or nothing (a savepoint inside the caller's transaction): on a refusal nothing of the
        posting is written and the caller's transaction stays usable.

        Raises :class:`LedgerError`: ``float_insufficient`` (field ``amount``) when the agent's
        available or held float would go below zero; ``prepaid_insufficient``,
        ``rounding_credit_insufficient``, ``commission_insufficient``,
        ``receivable_principal_out_of_range``, ``receivable_penalty_out_of_range`` for the other
        kept balances; ``account_owner_missing`` when an entry names an owner row that does not
        exist.
        """
        changes = sorted(balance_changes(posting).items())  # one lock order for every writer
        try:
            with self._connection.begin_nested():
                transaction_id = self._insert(
                    posting,
                    business_date=business_date,
                    recorded_at=recorded_at,
                    payment_id=payment_id,
                    agent_id=agent_id,
                    memo=memo,
                )
                for account, change in changes:
                    self._move(account, change)
        except IntegrityError as exc:
            refusal = self._refusal(exc, changes)
            if refusal is None:
                raise
            raise refusal from exc
        return transaction_id

    def posting(self, transaction_id: int) -> Posting:
        """The posting recorded as ``transaction_id`` (to undo it, for instance).

        Raises :class:`LedgerError` (``transaction_unknown``) when there is no such transaction.
        """
        kind = self._connection.execute(
            select(ledger_transactions.c.kind).where(ledger_transactions.c.id == transaction_id)
        ).scalar_one_or_none()
        if kind is None:
            raise LedgerError(
                code="transaction_unknown",
                field="transaction_id",
                message_zh=f"记账凭证 {transaction_id} 不存在",
                message_en=f"there is no ledger transaction {transaction_id}",
                details={"transaction_id": transaction_id},
            )
        rows = self._connection.execute(
            select(
                ledger_entries.c.account_kind, ledger_entries.c.owner_id, ledger_entries.c.amount
            )
            .where(ledger_entries.c.transaction_id == transaction_id)
            .order_by(ledger_entries.c.id)
        )
        return Posting(
            kind=EventKind(kind),
            entries=tuple(
                Entry(
                    account=AccountRef(AccountKind(row.account_kind), row.owner_id),
                    amount=int(row.amount),
                )
                for row in rows
            ),
        )

    def _insert(
        self,
        posting: Posting,
        *,
        business_date: date,
        recorded_at: datetime,
        payment_id: int | None,
        agent_id: int | None,
        memo: str,
    ) -> int:
        transaction_id = self._connection.execute(
            insert(ledger_transactions)
            .values(
                kind=posting.kind.value,
                business_date=business_date,
                recorded_at=recorded_at,
                payment_id=payment_id,
                agent_id=agent_id,
                memo=memo,
            )
            .returning(ledger_transactions.c.id)
        ).scalar_one()
        self._connection.execute(
            insert(ledger_entries),
            [
                {
                    "transaction_id": transaction_id,
                    "account_kind": entry.account.kind.value,
                    "owner_id": entry.account.owner_id,
                    "amount": entry.amount,
                }
                for entry in posting.entries
            ],
        )
        return int(transaction_id)

    def _move(self, account: AccountRef, change: int) -> None:
        kept = KEPT_BALANCES.get(account.kind)
        if kept is None:  # a company account: no kept balance
            return
        values: dict[str, Any] = {kept.column_name: kept.column + change}
        if kept.table is receivables:
            values["settle_state"] = _settle_state_after(kept, change)
        result = self._connection.execute(
            update(kept.table).where(kept.table.c.id == account.owner_id).values(values)
        )
        if result.rowcount != 1:
            raise LedgerError(
                code="account_owner_missing",
                field="entries",
                message_zh=f"记账科目 {account.kind.value} 的所属记录 {account.owner_id} 不存在",
                message_en=f"account {account.kind.value} names a missing row {account.owner_id}",
                details={"account": account.kind.value, "owner_id": account.owner_id},
            )

    def _refusal(
        self, exc: IntegrityError, changes: list[tuple[AccountRef, int]]
    ) -> LedgerError | None:
        message = str(exc.orig)
        for account, change in changes:
            kept = KEPT_BALANCES.get(account.kind)
            if kept is None or kept.constraint_name not in message:
                continue
            current = self._connection.execute(
                select(kept.column).where(kept.table.c.id == account.owner_id)
            ).scalar_one()
            return balance_refusal(account, change=change, current=current)
        return None


def balance_refusal(account: AccountRef, *, change: int, current: int) -> LedgerError:
    """The named refusal of moving ``account``'s kept balance, ``current`` now, by ``change``
    out of its bounds (``float_insufficient``, ``prepaid_insufficient``, …, field ``amount``).

    Raises ``KeyError`` for an account kind that keeps no balance.
    """
    code, what_zh, what_en = _OUT_OF_BOUNDS[account.kind]
    now, moved = format_yuan(current), format_yuan(abs(change))
    if code.endswith("_insufficient"):
        message_zh = f"{what_zh}不足：现有 {now} 元，需要 {moved} 元"
        message_en = f"the {what_en} is insufficient: {now} yuan, {moved} yuan needed"
    else:
        message_zh = f"{what_zh}超出范围：现有 {now} 元，变动 {format_yuan(change)} 元"
        message_en = (
            f"the {what_en} would go out of range: {now} yuan, change of {format_yuan(change)} yuan"
        )
    return LedgerError(
        code=code,
        field="amount",
        message_zh=message_zh,
        message_en=message_en,
        details={
            "account": account.kind.value,
            "owner_id": account.owner_id,
            "balance": current,
            "change": change,
        },
    )


def _settle_state_after(kept: KeptBalance, change: int) -> Any:
    """The receivable's settle state once ``change`` is applied to ``kept``'s column."""
    principal_paid = receivables.c.principal_paid
    penalty_paid = receivables.c.penalty_paid
    if kept.column_name == "principal_paid":
        principal_paid = principal_paid + change  # type: ignore[assignment]
    else:
        penalty_paid = penalty_paid + change  # type: ignore[assignment]
    return case(
        (principal_paid >= receivables.c.principal, "settled"),
        (principal_paid + penalty_paid == 0, "unpaid"),
        else_="partial",
    )
