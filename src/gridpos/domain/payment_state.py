"""Payment states and the transitions allowed between them, shared by the server and the terminal.

- pending: written to the terminal's journal, not yet answered (offline payments wait here too);
- unknown (可疑): sent, no answer; resolved by status query and resend of the same id;
- confirmed: the company has it;
- rejected: the company refused it (nothing was taken);
- reversed (冲正): technical undo of a payment the collector cancelled, same business day;
- voided (撤销): same-day cancellation of a confirmed payment with a supervisor's approval;
- cancelled (冲销): next-day cancellation from the console under approval.
"""

from __future__ import annotations

from enum import StrEnum

from gridpos.domain.errors import DomainError


class PaymentState(StrEnum):
    PENDING = "pending"
    UNKNOWN = "unknown"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    REVERSED = "reversed"
    VOIDED = "voided"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return not _ALLOWED[self]

    @property
    def counts_in_balances(self) -> bool:
        """Only a confirmed payment moves money; every other state leaves balances untouched."""
        return self is PaymentState.CONFIRMED

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    def can_become(self, target: PaymentState) -> bool:
        return target in _ALLOWED[self]

    def become(self, target: PaymentState) -> PaymentState:
        """The next state, or :class:`IllegalTransitionError` when the move is not allowed."""
        if not self.can_become(target):
            raise IllegalTransitionError(self, target)
        return target


_ALLOWED: dict[PaymentState, frozenset[PaymentState]] = {
    PaymentState.PENDING: frozenset(
        {PaymentState.CONFIRMED, PaymentState.UNKNOWN, PaymentState.REJECTED}
    ),
    PaymentState.UNKNOWN: frozenset(
        {PaymentState.CONFIRMED, PaymentState.REJECTED, PaymentState.REVERSED}
    ),
    PaymentState.CONFIRMED: frozenset(
        {PaymentState.REVERSED, PaymentState.VOIDED, PaymentState.CANCELLED}
    ),
    PaymentState.REJECTED: frozenset(),
    PaymentState.REVERSED: frozenset(),
    PaymentState.VOIDED: frozenset(),
    PaymentState.CANCELLED: frozenset(),
}

_LABELS_ZH = {
    PaymentState.PENDING: "待发送",
    PaymentState.UNKNOWN: "可疑",
    PaymentState.CONFIRMED: "成功",
    PaymentState.REJECTED: "拒绝",
    PaymentState.REVERSED: "已冲正",
    PaymentState.VOIDED: "已撤销",
    PaymentState.CANCELLED: "已冲销",
}


class IllegalTransitionError(DomainError):
    code = "illegal_state_transition"

    def __init__(self, current: PaymentState, target: PaymentState) -> None:
        super().__init__(
            field="state",
            message_zh=f"交易状态不允许从「{current.label_zh}」变为「{target.label_zh}」",
            message_en=f"a payment cannot go from {current.value} to {target.value}",
            details={"from": current.value, "to": target.value},
        )
        self.current = current
        self.target = target
