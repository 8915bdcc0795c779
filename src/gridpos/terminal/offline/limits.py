"""Offline limits: per payment, per business day, and the allowance taken at sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorCode
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import catalogue_refusal, refusal
from gridpos.terminal.journal import TxnRecord

# ---- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfflineLimits:
    """What is left to collect offline: per payment, today, and under the allowance."""

    per_payment: int
    day_left: int
    allowance_left: int

    @property
    def most(self) -> int:
        """The largest payment the terminal can take offline now."""
        return max(0, min(self.per_payment, self.day_left, self.allowance_left))


def _standing_offline(records: list[TxnRecord]) -> int:
    return sum(
        record.cash
        for record in records
        if record.offline and record.state is not PaymentState.REJECTED
    )


def offline_limits(context: TerminalContext) -> OfflineLimits:
    """The offline limits left in the open session."""
    session = context.require_session()
    params = session.params
    journal = context.journal
    today = journal.txns_of_batch(business_date=session.business_date, batch_no=session.batch_no)
    since_sign_in = journal.txns_since(session.sign_in_seq)
    return OfflineLimits(
        per_payment=params.offline_per_payment_limit,
        day_left=params.offline_per_day_limit - _standing_offline(today),
        allowance_left=session.offline_allowance - _standing_offline(since_sign_in),
    )


def check_offline_limits(context: TerminalContext, cash: int) -> None:
    """Refuse an offline payment the day's parameters or the allowance do not cover.

    Raises:
        TerminalRefusalError: ``offline_not_allowed`` (no allowance taken, or offline limits of 0),
            ``over_payment_limit``, ``over_daily_limit``, ``offline_allowance_exceeded``.
    """
    session = context.require_session()
    params = session.params
    if (
        session.offline_allowance <= 0
        or params.offline_per_payment_limit <= 0
        or params.offline_per_day_limit <= 0
    ):
        raise refusal(
            "offline_not_allowed",
            field="cash",
            message_zh="未取得脱机收费额度，不能脱机收费",
            message_en="no offline allowance was taken at sign-in; cannot collect offline",
        )
    limits = offline_limits(context)
    if cash > limits.per_payment:
        raise catalogue_refusal(
            ErrorCode.OVER_PAYMENT_LIMIT,
            message_zh="超过脱机单笔收费限额",
            message_en="the amount is over the offline per-payment limit",
            details={"limit": limits.per_payment},
        )
    if cash > limits.day_left:
        raise catalogue_refusal(
            ErrorCode.OVER_DAILY_LIMIT,
            message_zh="超过本机当日脱机收费限额",
            message_en="the amount would take the terminal over its offline daily limit",
            details={"left": max(limits.day_left, 0)},
        )
    if cash > limits.allowance_left:
        raise catalogue_refusal(
            ErrorCode.OFFLINE_ALLOWANCE_EXCEEDED, details={"left": max(limits.allowance_left, 0)}
        )
