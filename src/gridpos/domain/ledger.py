"""Double-entry postings of the business events, and a small in-memory ledger.

The chart of accounts and the sign convention are in :mod:`gridpos.domain.accounts`: an entry's
amount is positive for a debit and negative for a credit, the entries of one posting sum to zero,
and every kept balance row is the *credit* balance of its account (minus the sum of its entries).

| event                    | debit                                 | credit                      |
| ------------------------ | ------------------------------------- | --------------------------- |
| payment                  | agent_float (cash), customer_prepaid  | receivable_penalty,         |
|                          | (prepaid used), customer_rounding     | receivable_principal,       |
|                          | (rounding credit used)                | customer_prepaid (added),   |
|                          |                                       | customer_rounding (added)   |
| offline payment          | as a payment, but agent_float_held    | as a payment                |
| reversal, void, cancel.  | the exact negation of the original    |                             |
| float top-up             | topup_clearing                        | agent_float                 |
| hold (offline allowance) | agent_float                           | agent_float_held            |
| hold release             | agent_float_held                      | agent_float                 |
| commission               | commission_expense                    | agent_commission            |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.allocation import Allocation
from gridpos.domain.errors import DomainError

PPM = 1_000_000  # parts per million


class EventKind(StrEnum):
    """The business event a posting records."""

    PAYMENT = "payment"
    REVERSAL = "reversal"  # 冲正
    VOID = "void"  # 撤销
    CANCELLATION = "cancellation"  # 冲销 / 隔日抹帐
    FLOAT_TOPUP = "float_topup"
    HOLD = "hold"  # offline allowance taken from the available float
    HOLD_RELEASE = "hold_release"
    COMMISSION = "commission"
    OFFLINE_PAYMENT = "offline_payment"  # paid from the hold, not from the available float

    @property
    def is_undo(self) -> bool:
        return self in UNDO_KINDS


UNDO_KINDS = frozenset({EventKind.REVERSAL, EventKind.VOID, EventKind.CANCELLATION})
_FLOAT_ACCOUNTS = frozenset({AccountKind.AGENT_FLOAT, AccountKind.AGENT_FLOAT_HELD})


class LedgerError(DomainError):
    """A posting that is malformed or that the balances cannot take; nothing was changed.

    Codes: ``posting_empty``, ``entry_zero``, ``posting_unbalanced``, ``amount_invalid``,
    ``undo_kind_invalid``, ``float_insufficient``.
    """

    code = "ledger_error"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a posting: ``amount`` fen, positive for a debit, negative for a credit, never 0.

    Raises :class:`LedgerError` (``entry_zero``) for a zero or non-integer amount.
    """

    account: AccountRef
    amount: int

    def __post_init__(self) -> None:
        if not _is_fen(self.amount) or self.amount == 0:
            raise LedgerError(
                code="entry_zero",
                field="amount",
                message_zh="记账分录金额必须是非零的整数分",
                message_en="a ledger entry must be a whole, non-zero number of fen",
                details={"account": _account_label(self.account), "amount": self.amount},
            )


@dataclass(frozen=True, slots=True)
class Posting:
    """One business event as a journal transaction whose entries sum to zero.

    Raises :class:`LedgerError` (``posting_empty``, ``entry_zero``, ``posting_unbalanced``).
    """

    kind: EventKind
    entries: tuple[Entry, ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise LedgerError(
                code="posting_empty",
                field="entries",
                message_zh="记账凭证没有分录",
                message_en="a posting needs at least one entry",
                details={"kind": self.kind.value},
            )
        if any(entry.amount == 0 for entry in self.entries):
            raise LedgerError(
                code="entry_zero",
                field="entries",
                message_zh="记账分录金额不能为零",
                message_en="a posting cannot hold a zero entry",
                details={"kind": self.kind.value},
            )
        total = sum(entry.amount for entry in self.entries)
        if total != 0:
            raise LedgerError(
                code="posting_unbalanced",
                field="entries",
                message_zh="记账凭证借贷不平",
                message_en=f"the entries of a posting must sum to zero, not {total}",
                details={"kind": self.kind.value, "total": total},
            )

    @property
    def debit_total(self) -> int:
        """Sum of the debits (equal to the sum of the credits), fen."""
        return sum(entry.amount for entry in self.entries if entry.amount > 0)


def _is_fen(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _account_label(account: AccountRef) -> str:
    if account.owner_id is None:
        return account.kind.value
    return f"{account.kind.value}:{account.owner_id}"


def _posting(kind: EventKind, entries: Iterable[tuple[AccountRef, int]]) -> Posting:
    """A posting from (account, amount) pairs, zero amounts left out."""
    return Posting(
        kind=kind,
        entries=tuple(
            Entry(account=account, amount=amount) for account, amount in entries if amount
        ),
    )


def _check_positive(amount: int, *, field: str = "amount") -> None:
    if not _is_fen(amount) or amount <= 0:
        raise LedgerError(
            code="amount_invalid",
            field=field,
            message_zh="金额必须大于零",
            message_en="the amount must be a whole number of fen, more than zero",
            details={field: amount},
        )


def payment_posting(
    *, agent_id: int, customer_id: int, allocation: Allocation, from_hold: bool = False
) -> Posting:
    """The posting of a confirmed payment (an offline payment when ``from_hold``).

    Debits the agent's float (or held float) with the cash and the customer's credits with what
    they gave; credits each receivable's penalty and principal, and the customer's credits with
    what was added. Zero entries are left out.

    Raises :class:`LedgerError` (``posting_unbalanced``) for an allocation that creates or loses
    money — which :func:`~gridpos.domain.allocation.allocate` never returns.
    """
    cash_account = AccountKind.AGENT_FLOAT_HELD if from_hold else AccountKind.AGENT_FLOAT
    prepaid = AccountRef(AccountKind.CUSTOMER_PREPAID, customer_id)
    rounding = AccountRef(AccountKind.CUSTOMER_ROUNDING, customer_id)
    entries: list[tuple[AccountRef, int]] = [
        (AccountRef(cash_account, agent_id), allocation.cash),
        (prepaid, allocation.prepaid_used),
        (rounding, allocation.rounding_used),
    ]
    for line in allocation.lines:
        entries.append(
            (AccountRef(AccountKind.RECEIVABLE_PENALTY, line.receivable_id), -line.penalty_paid)
        )
        entries.append(
            (AccountRef(AccountKind.RECEIVABLE_PRINCIPAL, line.receivable_id), -line.principal_paid)
        )
    entries.append((prepaid, -allocation.prepaid_added))
    entries.append((rounding, -allocation.rounding_added))
    kind = EventKind.OFFLINE_PAYMENT if from_hold else EventKind.PAYMENT
    return _posting(kind, entries)


def undo_posting(original: Posting, *, kind: EventKind) -> Posting:
    """The exact negation of ``original``, recorded as a reversal, void or cancellation.

    Raises :class:`LedgerError` (``undo_kind_invalid``) when ``kind`` is not one of those three or
    when ``original`` is itself an undo (an undo is final; it is never undone).
    """
    if not kind.is_undo:
        raise LedgerError(
            code="undo_kind_invalid",
            field="kind",
            message_zh="撤回记账只能是冲正、撤销或冲销",
            message_en="an undo must be a reversal, a void or a cancellation",
            details={"kind": kind.value},
        )
    if original.kind.is_undo:
        raise LedgerError(
            code="undo_kind_invalid",
            field="original",
            message_zh="冲正、撤销或冲销的记账不能再被撤回",
            message_en="a reversal, void or cancellation cannot itself be undone",
            details={"kind": kind.value, "original_kind": original.kind.value},
        )
    return Posting(
        kind=kind,
        entries=tuple(Entry(account=e.account, amount=-e.amount) for e in original.entries),
    )


def topup_posting(*, agent_id: int, amount: int) -> Posting:
    """An approved float top-up: Dr topup_clearing, Cr agent_float.

    Raises :class:`LedgerError` (``amount_invalid``) unless ``amount`` > 0.
    """
    _check_positive(amount)
    return _posting(
        EventKind.FLOAT_TOPUP,
        [
            (AccountRef(AccountKind.TOPUP_CLEARING), amount),
            (AccountRef(AccountKind.AGENT_FLOAT, agent_id), -amount),
        ],
    )


def hold_posting(*, agent_id: int, amount: int) -> Posting:
    """An offline allowance held from the available float: Dr agent_float, Cr agent_float_held.

    Raises :class:`LedgerError` (``amount_invalid``) unless ``amount`` > 0.
    """
    _check_positive(amount)
    return _posting(
        EventKind.HOLD,
        [
            (AccountRef(AccountKind.AGENT_FLOAT, agent_id), amount),
            (AccountRef(AccountKind.AGENT_FLOAT_HELD, agent_id), -amount),
        ],
    )


def hold_release_posting(*, agent_id: int, amount: int) -> Posting:
    """A hold going back to the available float: Dr agent_float_held, Cr agent_float.

    Raises :class:`LedgerError` (``amount_invalid``) unless ``amount`` > 0.
    """
    _check_positive(amount)
    return _posting(
        EventKind.HOLD_RELEASE,
        [
            (AccountRef(AccountKind.AGENT_FLOAT_HELD, agent_id), amount),
            (AccountRef(AccountKind.AGENT_FLOAT, agent_id), -amount),
        ],
    )


def commission_for(*, cash: int, fixed_fen: int, rate_ppm: int) -> int:
    """An agent's commission on one payment: ``fixed_fen`` plus ``cash × rate_ppm / 10⁶`` half-up.

    Example: 123.45 yuan at 1.5‰ plus 0.05 yuan fixed → 5 + 18.5175 → 5 + 19 = 24 fen.

    Raises :class:`LedgerError` (``amount_invalid``) for a negative or non-integer argument.
    """
    for field, value in (("cash", cash), ("fixed_fen", fixed_fen), ("rate_ppm", rate_ppm)):
        if not _is_fen(value) or value < 0:
            raise LedgerError(
                code="amount_invalid",
                field=field,
                message_zh="佣金参数必须是非负整数",
                message_en=f"{field} must be a whole number, zero or more",
                details={field: value},
            )
    return fixed_fen + (cash * rate_ppm + PPM // 2) // PPM


def commission_posting(*, agent_id: int, amount: int) -> Posting:
    """Commission earned by an agent: Dr commission_expense, Cr agent_commission.

    Raises :class:`LedgerError` (``amount_invalid``) unless ``amount`` > 0.
    """
    _check_positive(amount)
    return _posting(
        EventKind.COMMISSION,
        [
            (AccountRef(AccountKind.COMMISSION_EXPENSE), amount),
            (AccountRef(AccountKind.AGENT_COMMISSION, agent_id), -amount),
        ],
    )


def balance_changes(posting: Posting) -> dict[AccountRef, int]:
    """How much each account's kept (credit) balance moves: minus the sum of its entries.

    Accounts whose entries cancel out within the posting are left out.
    """
    changes: dict[AccountRef, int] = {}
    for entry in posting.entries:
        changes[entry.account] = changes.get(entry.account, 0) - entry.amount
    return {account: change for account, change in changes.items() if change}


class Balances:
    """A small in-memory ledger: the credit balance of every account touched.

    Used by the tests and by the terminal. An agent's available and held float never go below zero.
    """

    def __init__(self, opening: Mapping[AccountRef, int] | None = None) -> None:
        self._balances: dict[AccountRef, int] = {}
        for account, amount in (opening or {}).items():
            if amount:
                self._balances[account] = amount
        for account, amount in self._balances.items():
            if account.kind in _FLOAT_ACCOUNTS and amount < 0:
                raise _float_insufficient(account, amount, 0)

    def balance(self, account: AccountRef) -> int:
        """The credit balance of ``account``, 0 when it was never touched."""
        return self._balances.get(account, 0)

    def snapshot(self) -> dict[AccountRef, int]:
        """Every non-zero balance, as a new dict."""
        return dict(self._balances)

    def apply(self, posting: Posting) -> None:
        """Move the balances by ``posting``, all or nothing.

        Raises :class:`LedgerError` (``float_insufficient``, field ``amount``) when the posting
        would take an agent's available or held float below zero; the balances stay unchanged.
        """
        changes = balance_changes(posting)
        for account, change in changes.items():
            after = self.balance(account) + change
            if account.kind in _FLOAT_ACCOUNTS and after < 0:
                raise _float_insufficient(account, self.balance(account), -change)
        for account, change in changes.items():
            after = self.balance(account) + change
            if after:
                self._balances[account] = after
            else:
                self._balances.pop(account, None)


def _float_insufficient(account: AccountRef, available: int, needed: int) -> LedgerError:
    held = account.kind is AccountKind.AGENT_FLOAT_HELD
    what_zh = "脱机额度" if held else "本机可用余额"
    what_en = "held offline allowance" if held else "available float"
    return LedgerError(
        code="float_insufficient",
        field="amount",
        message_zh=f"{what_zh}不足：可用 {_yuan(available)} 元，需要 {_yuan(needed)} 元",
        message_en=(
            f"the agent's {what_en} is insufficient: {_yuan(available)} yuan available,"
            f" {_yuan(needed)} yuan needed"
        ),
        details={
            "account": _account_label(account),
            "available": available,
            "needed": needed,
        },
    )


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
