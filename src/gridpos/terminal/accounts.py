"""Account query (欠费查询): what the collector sees before taking cash, online or offline.

A customer number is checked on the terminal first (6–16 digits): a wrong one is refused at once,
nothing sent, nothing journalled. Online, the server's answer is shown as it came. With no link,
the area's arrears downloaded at sign-in answer instead (:mod:`gridpos.terminal.offline`), with
penalties recomputed to the cash date; the view says which it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from gridpos.domain.allocation import round_up_amount
from gridpos.domain.categories import CustomerCategory
from gridpos.protocol.errors import ErrorBody
from gridpos.protocol.fields import ACCOUNT_NO_PATTERN
from gridpos.protocol.terminal.accounts import AccountAnswer, AccountQuery
from gridpos.protocol.terminal.routes import ACCOUNT
from gridpos.terminal.client import Answered, NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import NoAnswerError, ServerRefusalError, refusal

_ACCOUNT_NO = re.compile(ACCOUNT_NO_PATTERN, re.ASCII)


@dataclass(frozen=True, slots=True)
class ReceivableView:
    """One open billing month: kWh, principal still owed, penalty as of the date shown."""

    period: str
    run: int
    kwh: int
    principal: int
    penalty: int
    due_date: date

    @property
    def owed(self) -> int:
        return self.principal + self.penalty


@dataclass(frozen=True, slots=True)
class AccountView:
    """A customer as shown before payment; amounts in fen.

    ``total_due`` is what settles everything now (arrears less prepaid and rounding credit);
    ``round_up`` the 角/分 that takes it to the next whole yuan (取整). ``offline`` views come
    from the downloaded arrears, penalties as of ``as_of``.
    """

    account_no: str
    name: str
    address: str
    category: CustomerCategory
    business_date: date
    lines: tuple[ReceivableView, ...]
    prepaid: int
    rounding_credit: int
    total_due: int
    round_up: int
    offline: bool
    as_of: date
    synced_at: datetime | None = None
    notices: tuple[ErrorBody, ...] = ()

    @property
    def rounded_total(self) -> int:
        """What the customer pays when rounding up: the next whole yuan."""
        return self.total_due + self.round_up

    @property
    def penalty_total(self) -> int:
        return sum(line.penalty for line in self.lines)

    @property
    def principal_total(self) -> int:
        return sum(line.principal for line in self.lines)


def check_account_no(account_no: str) -> str:
    """The customer number with surrounding spaces removed.

    Raises:
        TerminalRefusalError: ``account_no_invalid`` — not 6 to 16 digits (letters, wrong length).
    """
    text = account_no.strip() if isinstance(account_no, str) else ""
    if _ACCOUNT_NO.fullmatch(text) is None:
        raise refusal(
            "account_no_invalid",
            field="account_no",
            message_zh="户号应为6至16位数字，请核对后重新输入",
            message_en="a customer number is 6 to 16 digits; check it and type it again",
            details={"length": len(text)},
        )
    return text


def view_of_answer(answer: AccountAnswer) -> AccountView:
    """The view of the server's account answer."""
    # the 取整 part is the domain's rule, computed here rather than trusted from the wire
    round_up = round_up_amount(due=answer.total_due) - answer.total_due
    return AccountView(
        account_no=answer.account_no,
        name=answer.name,
        address=answer.address,
        category=CustomerCategory(answer.category.value),
        business_date=answer.business_date,
        lines=tuple(
            ReceivableView(
                period=line.period,
                run=line.run,
                kwh=line.kwh,
                principal=line.principal,
                penalty=line.penalty,
                due_date=line.due_date,
            )
            for line in answer.lines
        ),
        prepaid=answer.prepaid,
        rounding_credit=answer.rounding_credit,
        total_due=answer.total_due,
        round_up=round_up,
        offline=False,
        as_of=answer.business_date,
        synced_at=answer.synced_at,
        notices=answer.notices,
    )


def query_online(context: TerminalContext, account_no: str) -> AccountView | NoAnswer:
    """Ask the server, waiting at most the query timeout; a :class:`NoAnswer` when the link
    failed (the caller may go offline).

    Raises:
        TerminalRefusalError: ``account_no_invalid``, ``not_signed_in``, ``not_enrolled``.
        ServerRefusalError: the server's refusal (``account_unknown``…), in its words.
    """
    number = check_account_no(account_no)
    context.require_session()
    result = context.client.call(
        ACCOUNT, AccountQuery(account_no=number), timeout_s=context.config.query_timeout_s
    )
    if isinstance(result, Answered):
        return view_of_answer(result.answer)
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    return result


def no_answer_error(result: NoAnswer) -> NoAnswerError:
    return NoAnswerError(result.reason.value, body=result.error)
