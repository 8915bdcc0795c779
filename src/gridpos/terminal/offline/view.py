"""The offline view of a customer: penalties recomputed to the cash date."""

from __future__ import annotations

import dataclasses
from datetime import date

from gridpos.domain.allocation import (
    OpenReceivable,
    amount_due,
    round_up_amount,
)
from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import MinimumScope, apply_payment_minimum, compute_penalty
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.accounts import OfflineAccount
from gridpos.terminal.accounts import AccountView, ReceivableView, check_account_no
from gridpos.terminal.config import china_date
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import catalogue_refusal
from gridpos.terminal.offline.arrears import OfflineStore

# ---- the offline view and its allocation --------------------------------------------------------


def _penalty_lines(
    context: TerminalContext, account: OfflineAccount, *, cash_date: date
) -> tuple[ReceivableView, ...]:
    rules = context.config.penalty_rules
    category = CustomerCategory(account.category.value)
    views = [
        ReceivableView(
            period=line.period,
            run=line.run,
            kwh=line.kwh,
            principal=line.principal,
            penalty=compute_penalty(
                principal_unpaid=line.principal,
                due_date=line.due_date,
                pay_date=cash_date,
                category=category,
                rules=rules,
            ),
            due_date=line.due_date,
        )
        for line in sorted(account.lines, key=lambda line: (line.period, line.run))
    ]
    if rules.rule_in_force(cash_date).minimum_scope is MinimumScope.PAYMENT:
        total = sum(view.penalty for view in views)
        raised = apply_payment_minimum(penalty_total=total, pay_date=cash_date, rules=rules)
        for index, view in enumerate(views):
            if raised > total and view.penalty > 0:
                views[index] = ReceivableView(
                    view.period,
                    view.run,
                    view.kwh,
                    view.principal,
                    view.penalty + raised - total,
                    view.due_date,
                )
                break
    return tuple(view for view in views if view.owed > 0)


def open_receivables(view: AccountView) -> list[OpenReceivable]:
    return [
        OpenReceivable(
            receivable_id=index,
            period=line.period,
            run_no=line.run,
            principal_unpaid=line.principal,
            penalty=line.penalty,
        )
        for index, line in enumerate(view.lines, start=1)
    ]


def offline_view(context: TerminalContext, account_no: str) -> AccountView:
    """The customer from the downloaded arrears, penalties as of today's cash date.

    Raises:
        TerminalRefusalError: ``account_no_invalid``, ``not_signed_in``, ``account_unknown`` (not in
            the downloaded area).
    """
    number = check_account_no(account_no)
    session = context.require_session()
    found = OfflineStore(context).get(number)
    if found is None:
        raise catalogue_refusal(
            ErrorCode.ACCOUNT_UNKNOWN,
            message_zh="脱机资料中没有此户号（不在本片区或未下载）",
            message_en="this customer number is not in the downloaded arrears of the area",
        )
    account, _downloaded = found
    cash_date = china_date(context.now())
    lines = _penalty_lines(context, account, cash_date=cash_date)
    view = AccountView(
        account_no=account.account_no,
        name=account.name,
        address=account.address,
        category=CustomerCategory(account.category.value),
        business_date=session.business_date,
        lines=lines,
        prepaid=account.prepaid,
        rounding_credit=account.rounding_credit,
        total_due=0,
        round_up=0,
        offline=True,
        as_of=cash_date,
    )
    due = amount_due(
        receivables=open_receivables(view),
        prepaid=account.prepaid,
        rounding_credit=account.rounding_credit,
    )
    return dataclasses.replace(view, total_due=due, round_up=round_up_amount(due=due) - due)
