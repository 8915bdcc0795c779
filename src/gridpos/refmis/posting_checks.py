"""The checks a posting passes before anything is written (see ``refmis.posting``).

Each raises :class:`~gridpos.refmis.errors.MisError` with the code its docstring names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import MinimumScope, PenaltyRules, apply_payment_minimum
from gridpos.protocol.mis import PostingLine, PostingRequest
from gridpos.refmis.accounts import CHINA_TIME, penalty_on
from gridpos.refmis.errors import MisError, refusal
from gridpos.refmis.tables import receivables


def check_dates(request: PostingRequest, now: datetime) -> None:
    if request.cash_date > request.business_date:
        raise refusal(
            "cash_date_invalid",
            "cash_date",
            "收款日期不能晚于清算日期",
            "the cash date cannot be after the business date",
        )
    today = now.astimezone(CHINA_TIME).date()
    if request.business_date > today + timedelta(days=1):
        raise refusal(
            "business_date_invalid",
            "business_date",
            "清算日期不能是将来的日期",
            "the business date cannot be in the future",
            today=today.isoformat(),
        )


def matched_lines(
    connection: Connection, request: PostingRequest, open_rows: Sequence[RowMapping]
) -> list[tuple[PostingLine, RowMapping]]:
    by_key = {(row["period"], row["run_no"]): row for row in open_rows}
    matched: list[tuple[PostingLine, RowMapping]] = []
    seen: set[tuple[str, int]] = set()
    for index, line in enumerate(request.lines):
        field = f"lines[{index}]"
        key = (line.period, line.run_no)
        if key in seen:
            raise refusal(
                "allocation_line_repeated",
                field,
                f"电费年月 {line.period} 在分配中重复",
                f"billing month {line.period} run {line.run_no} appears twice",
            )
        seen.add(key)
        row = by_key.get(key)
        if row is None:
            raise _missing_receivable(connection, request.account_no, line, field)
        if line.penalty + line.principal == 0:
            raise refusal(
                "allocation_line_empty", field, "分配金额不能为零", "a line must pay something"
            )
        unpaid = row["principal"] - row["principal_paid"]
        if line.principal > unpaid:
            raise refusal(
                "receivable_overpaid",
                f"{field}.principal",
                f"{line.period} 电费本金只欠 {unpaid} 分，不能缴 {line.principal} 分",
                f"{line.period} has {unpaid} fen of principal unpaid, not {line.principal}",
                unpaid=unpaid,
            )
        matched.append((line, row))
    return matched


def _missing_receivable(
    connection: Connection, account_no: str, line: PostingLine, field: str
) -> MisError:
    settled_on = connection.execute(
        select(receivables.c.settled_on).where(
            receivables.c.account_no == account_no,
            receivables.c.period == line.period,
            receivables.c.run_no == line.run_no,
        )
    ).first()
    if settled_on is not None:
        return refusal(
            "receivable_settled",
            field,
            f"{line.period} 的电费已经结清",
            f"the receivable for {line.period} run {line.run_no} is already settled",
            period=line.period,
            run_no=line.run_no,
            settled_on=str(settled_on[0]),
        )
    return refusal(
        "receivable_not_found",
        field,
        f"户号 {account_no} 没有 {line.period} 第 {line.run_no} 次的欠费",
        f"account {account_no} has no open receivable for {line.period} run {line.run_no}",
        period=line.period,
        run_no=line.run_no,
    )


def check_penalties(
    matched: Sequence[tuple[PostingLine, RowMapping]],
    *,
    category: CustomerCategory,
    cash_date: date,
    rules: PenaltyRules,
) -> None:
    expected = [
        penalty_on(row, category=category, pay_date=cash_date, rules=rules) for _, row in matched
    ]
    if rules.rule_in_force(cash_date).minimum_scope is MinimumScope.PAYMENT:
        total = apply_payment_minimum(penalty_total=sum(expected), pay_date=cash_date, rules=rules)
        given = sum(line.penalty for line, _ in matched)
        if given != total:
            raise _penalty_mismatch("lines", given, total)
        return
    for index, ((line, _), figure) in enumerate(zip(matched, expected, strict=True)):
        if line.penalty > figure or (line.principal > 0 and line.penalty != figure):
            raise _penalty_mismatch(f"lines[{index}].penalty", line.penalty, figure)


def _penalty_mismatch(field: str, given: int, expected: int) -> MisError:
    return refusal(
        "penalty_mismatch",
        field,
        f"违约金应为 {expected} 分（按收款日期计算），收到 {given} 分",
        f"the penalty on the cash date is {expected} fen, not {given}",
        expected=expected,
        given=given,
    )


def check_order(
    request: PostingRequest,
    matched: Sequence[tuple[PostingLine, RowMapping]],
    open_rows: Sequence[RowMapping],
) -> None:
    paid = {row["id"]: line.principal for line, row in matched}
    remaining = [
        row["principal"] - row["principal_paid"] - paid.get(row["id"], 0) for row in open_rows
    ]
    position = {row["id"]: index for index, row in enumerate(open_rows)}
    for line_index, (_, row) in enumerate(matched):
        if any(remaining[: position[row["id"]]]):
            raise _order_refused(f"lines[{line_index}]")
    if (request.prepaid_added or request.rounding_added) and any(remaining):
        raise _order_refused("prepaid_added")


def _order_refused(field: str) -> MisError:
    return refusal(
        "allocation_order",
        field,
        "须先缴清较早的欠费（先陈欠后新欠），欠费未清不能转入预存",
        "older arrears must be settled first, and nothing goes to prepaid while arrears remain",
    )


def check_funds(request: PostingRequest, customer: RowMapping) -> None:
    if request.prepaid_used > customer["prepaid"]:
        raise refusal(
            "prepaid_insufficient",
            "prepaid_used",
            f"预存余额只有 {customer['prepaid']} 分",
            f"the prepaid balance is only {customer['prepaid']} fen",
            prepaid=customer["prepaid"],
        )
    if request.rounding_used > customer["rounding_credit"]:
        raise refusal(
            "rounding_credit_insufficient",
            "rounding_used",
            f"调尾余额只有 {customer['rounding_credit']} 分",
            f"the rounding credit is only {customer['rounding_credit']} fen",
            rounding_credit=customer["rounding_credit"],
        )
    funds = request.amount_fen + request.prepaid_used + request.rounding_used
    uses = (
        sum(line.penalty + line.principal for line in request.lines)
        + request.prepaid_added
        + request.rounding_added
    )
    if funds != uses:
        raise refusal(
            "allocation_unbalanced",
            "amount_fen",
            f"收款与使用的余额合计 {funds} 分，分配合计 {uses} 分，不相等",
            f"cash plus credits used is {funds} fen but the allocation spends {uses} fen",
            funds=funds,
            allocated=uses,
        )
