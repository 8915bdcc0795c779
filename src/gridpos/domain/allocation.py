"""How one payment is spread over a customer's open receivables and credits.

The rules (DOMAIN.md, "A payment"):

- the funds of a payment are the cash handed over plus the customer's rounding credit (调尾) plus
  the customer's prepaid balance (余额); credits are used before cash, the rounding credit before
  the prepaid balance, so a customer with a credit pays less for a new bill;
- the oldest receivable is paid first (先陈欠后新欠), ordered by billing month, then billing run,
  then receivable id; within a receivable the penalty is paid before the principal
  (先违约金后本金);
- when partial payment is forbidden the funds must cover every open receivable; when it is
  allowed the last receivable reached may be left partly paid (penalty first);
- what the cash exceeds the amount due by (arrears less credits) is split: the ``rounding_up`` part
  (the 角/分 paid to reach a whole yuan under 取整) becomes the rounding credit, kept apart; the
  rest becomes prepaid. Credits the arrears do not need stay where they are.

Invariant of every :class:`Allocation`::

    cash + prepaid_before + rounding_before
        == penalty_total + principal_total + prepaid_after + rounding_after
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gridpos.domain.errors import DomainError

YUAN = 100  # fen in one yuan
_PERIOD = re.compile(r"^\d{4}(0[1-9]|1[0-2])$")


class AllocationError(DomainError):
    """A payment that cannot be allocated; nothing was changed.

    Codes: ``amount_invalid`` (cash not a positive whole number of fen), ``amount_below_due``
    (partial payment forbidden and the funds do not cover the arrears), ``rounding_up_invalid``
    (the 取整 part is negative, a whole yuan or more, or more than the cash beyond the amount
    due), ``credit_invalid`` (a negative prepaid balance or rounding credit),
    ``receivable_invalid`` (a malformed open receivable).
    """

    code = "allocation_error"


@dataclass(frozen=True, slots=True)
class OpenReceivable:
    """A receivable (应收电费) with something still owed, as seen on the payment's date."""

    receivable_id: int
    period: str  # 电费年月, "YYYYMM"
    run_no: int  # 电费次数, 1..
    principal_unpaid: int  # fen still owed on the principal
    penalty: int  # late penalty as of the payment's business (or cash) date, fen

    @property
    def owed(self) -> int:
        """Penalty plus unpaid principal, fen."""
        return self.penalty + self.principal_unpaid

    @property
    def order_key(self) -> tuple[str, int, int]:
        """Oldest first: billing month, then billing run, then id."""
        return (self.period, self.run_no, self.receivable_id)


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """What one payment pays on one receivable."""

    receivable_id: int
    period: str
    run_no: int
    penalty_paid: int
    principal_paid: int
    settles: bool  # the receivable is fully settled by this payment

    @property
    def amount(self) -> int:
        """Penalty plus principal paid on this receivable, fen."""
        return self.penalty_paid + self.principal_paid


@dataclass(frozen=True, slots=True)
class Allocation:
    """The outcome of :func:`allocate`: the lines oldest first and every credit before and after."""

    lines: tuple[AllocationLine, ...]
    cash: int  # what the customer handed over
    prepaid_before: int
    prepaid_used: int
    prepaid_added: int
    prepaid_after: int
    rounding_before: int
    rounding_used: int
    rounding_added: int
    rounding_after: int
    total_due: int  # arrears (penalty + principal) less prepaid and rounding credit, never below 0
    penalty_total: int
    principal_total: int

    @property
    def paid_total(self) -> int:
        """Penalty plus principal paid by this payment, fen."""
        return self.penalty_total + self.principal_total

    @property
    def settles_all(self) -> bool:
        """Every open receivable reached was fully settled (always true without partial payment)."""
        return all(line.settles for line in self.lines)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // YUAN}.{fen % YUAN:02d}"


def _is_fen(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_receivables(receivables: Sequence[OpenReceivable]) -> list[OpenReceivable]:
    seen: set[int] = set()
    for index, receivable in enumerate(receivables):
        problem = _receivable_problem(receivable)
        if problem is None and receivable.receivable_id in seen:
            problem = "duplicate receivable id"
        if problem is not None:
            raise AllocationError(
                code="receivable_invalid",
                field=f"receivables[{index}]",
                message_zh=f"应收电费记录有误（{receivable.receivable_id}）",
                message_en=f"receivable {receivable.receivable_id} is invalid: {problem}",
                details={"receivable_id": receivable.receivable_id, "problem": problem},
            )
        seen.add(receivable.receivable_id)
    return sorted(receivables, key=lambda receivable: receivable.order_key)


def _receivable_problem(receivable: OpenReceivable) -> str | None:
    if not _PERIOD.match(receivable.period):
        return "period is not YYYYMM"
    if not _is_fen(receivable.run_no) or receivable.run_no < 1:
        return "run number below 1"
    if not (_is_fen(receivable.principal_unpaid) and _is_fen(receivable.penalty)):
        return "amounts must be whole fen"
    if receivable.principal_unpaid < 0 or receivable.penalty < 0:
        return "negative amount"
    if receivable.owed == 0:
        return "nothing owed"
    return None


def _check_credit(*, prepaid: int, rounding_credit: int) -> None:
    for field, value in (("prepaid", prepaid), ("rounding_credit", rounding_credit)):
        if not _is_fen(value) or value < 0:
            raise AllocationError(
                code="credit_invalid",
                field=field,
                message_zh="预存余额或调尾余额不能为负数",
                message_en=f"{field} must be a whole number of fen, zero or more",
                details={field: value},
            )


def amount_due(*, receivables: Sequence[OpenReceivable], prepaid: int, rounding_credit: int) -> int:
    """The cash that settles every open receivable: arrears less the customer's credits, ≥ 0.

    Raises :class:`AllocationError` (``receivable_invalid``, ``credit_invalid``) on bad input.
    """
    _check_credit(prepaid=prepaid, rounding_credit=rounding_credit)
    arrears = sum(receivable.owed for receivable in _check_receivables(receivables))
    return max(arrears - prepaid - rounding_credit, 0)


def round_up_amount(*, due: int) -> int:
    """The next whole yuan at or above ``due`` (``due`` itself when already whole), fen.

    Raises :class:`AllocationError` (``amount_invalid``) for a negative or non-integer amount.
    """
    if not _is_fen(due) or due < 0:
        raise AllocationError(
            code="amount_invalid",
            field="due",
            message_zh="应缴金额必须是非负的整数分",
            message_en="the amount due must be a whole number of fen, zero or more",
            details={"due": due},
        )
    return -(-due // YUAN) * YUAN


def allocate(
    *,
    receivables: Sequence[OpenReceivable],
    cash: int,
    prepaid: int,
    rounding_credit: int,
    allow_partial: bool,
    rounding_up: int = 0,
) -> Allocation:
    """Spread ``cash`` plus the customer's credits over ``receivables``, oldest first.

    ``rounding_up`` is the 角/分 the customer paid on top of the due amount to reach a whole yuan
    (取整); it is kept as rounding credit instead of prepaid. A customer with no open receivables
    may prepay: all the cash becomes prepaid (less any ``rounding_up``).

    Raises :class:`AllocationError`: ``amount_invalid`` (cash ≤ 0 or not whole fen),
    ``amount_below_due`` (partial payment forbidden and the funds fall short, field ``amount``),
    ``rounding_up_invalid``, ``credit_invalid``, ``receivable_invalid``.
    """
    ordered = _check_receivables(receivables)
    _check_credit(prepaid=prepaid, rounding_credit=rounding_credit)
    if not _is_fen(cash) or cash <= 0:
        raise AllocationError(
            code="amount_invalid",
            field="amount",
            message_zh="缴费金额必须大于零",
            message_en="the amount paid must be more than zero",
            details={"cash": cash},
        )
    arrears = sum(receivable.owed for receivable in ordered)
    due = max(arrears - prepaid - rounding_credit, 0)
    funds = cash + prepaid + rounding_credit
    if funds < arrears and not allow_partial:
        raise AllocationError(
            code="amount_below_due",
            field="amount",
            message_zh=f"缴费金额 {_yuan(cash)} 元不足应缴金额 {_yuan(due)} 元，不允许部分缴费",
            message_en=(
                f"the amount paid, {_yuan(cash)} yuan, is below the {_yuan(due)} yuan due;"
                " partial payment is not allowed"
            ),
            details={"cash": cash, "due": due},
        )
    # Only cash can be paid in excess: unused credits simply stay where they are.
    excess = max(cash - due, 0)
    if not _is_fen(rounding_up) or not 0 <= rounding_up < YUAN or rounding_up > excess:
        raise AllocationError(
            code="rounding_up_invalid",
            field="rounding_up",
            message_zh="取整金额必须在 0 至 0.99 元之间且不超过超出应缴的金额",
            message_en=(
                "the rounding-up part must be 0 to 99 fen and no more than the amount paid"
                " beyond the amount due"
            ),
            details={"rounding_up": rounding_up, "excess": excess},
        )

    lines = _pay_oldest_first(ordered, min(funds, arrears))
    paid = sum(line.amount for line in lines)
    # Credits are spent before cash: the rounding credit first, then the prepaid balance.
    rounding_used = min(rounding_credit, paid)
    prepaid_used = min(prepaid, paid - rounding_used)
    rounding_added = rounding_up
    prepaid_added = excess - rounding_up
    return Allocation(
        lines=tuple(lines),
        cash=cash,
        prepaid_before=prepaid,
        prepaid_used=prepaid_used,
        prepaid_added=prepaid_added,
        prepaid_after=prepaid - prepaid_used + prepaid_added,
        rounding_before=rounding_credit,
        rounding_used=rounding_used,
        rounding_added=rounding_added,
        rounding_after=rounding_credit - rounding_used + rounding_added,
        total_due=due,
        penalty_total=sum(line.penalty_paid for line in lines),
        principal_total=sum(line.principal_paid for line in lines),
    )


def _pay_oldest_first(ordered: Sequence[OpenReceivable], budget: int) -> list[AllocationLine]:
    lines: list[AllocationLine] = []
    for receivable in ordered:
        if budget == 0:
            break
        penalty_paid = min(receivable.penalty, budget)
        principal_paid = min(receivable.principal_unpaid, budget - penalty_paid)
        budget -= penalty_paid + principal_paid
        lines.append(
            AllocationLine(
                receivable_id=receivable.receivable_id,
                period=receivable.period,
                run_no=receivable.run_no,
                penalty_paid=penalty_paid,
                principal_paid=principal_paid,
                settles=penalty_paid + principal_paid == receivable.owed,
            )
        )
    return lines
