"""收费明细's search: the business dates (a range always, at most :data:`MAX_DAYS` days — a
customer's own payments :data:`MAX_DAYS_ONE_CUSTOMER`), the organisation, agent, terminal, state
and customer as typed, checked against the actor's reach and named next to each wrong field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.payment_search import PaymentFilter, PaymentSearch
from gridpos.application.console.access import Actor
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import field_error
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.domain.payment_state import PaymentState

MAX_DAYS: Final = 31
MAX_DAYS_ONE_CUSTOMER: Final = 366
PAYMENT_STATES: Final = tuple(state.value for state in PaymentState)
_ACCOUNT_NO: Final = re.compile(r"[0-9]{1,20}")
_TERMINAL_NO: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")


def county_today(services: ConsoleServices) -> date:
    """Today's date in the county: the business date the console works on."""
    return services.clock.now().astimezone(CHINA_TIME).date()


def read_date_range(
    check: FieldChecks,
    date_from: str,
    date_to: str,
    *,
    max_days: int,
    default_to: date,
    default_days: int,
) -> tuple[date, date]:
    """Two dates typed as ``YYYY-MM-DD`` (either may be left empty: the last ``default_days``
    days up to ``default_to``), every refusal noted in ``check`` next to its field:
    ``date_invalid``, ``date_range_backwards`` and ``date_range_too_long`` (field ``date_to``).
    """
    parsed: dict[str, date] = {}
    for field, typed in (("date_from", date_from), ("date_to", date_to)):
        text = (typed or "").strip()
        if not text:
            continue
        try:
            parsed[field] = date.fromisoformat(text)
        except ValueError:
            check.add(
                field_error(
                    "date_invalid",
                    field=field,
                    message_zh="日期格式应为 年-月-日，如 2024-05-01",
                    message_en="a date is written year-month-day, like 2024-05-01",
                )
            )
    end = parsed.get("date_to", default_to)
    start = parsed.get("date_from", end - timedelta(days=default_days - 1))
    if check.has("date_from") or check.has("date_to"):
        return start, end
    if end < start:
        check.add(
            field_error(
                "date_range_backwards",
                field="date_to",
                message_zh="结束日期不能早于开始日期",
                message_en="the end date is before the start date",
            )
        )
    elif (end - start).days + 1 > max_days:
        check.add(
            field_error(
                "date_range_too_long",
                field="date_to",
                message_zh=f"日期范围最长 {max_days} 天：请缩小范围",
                message_en=f"the dates may span at most {max_days} days: narrow them",
            )
        )
    return start, end


@dataclass(frozen=True, slots=True)
class PaymentQuery:
    """A payment search as typed (every part optional; no dates: today)."""

    date_from: str = ""
    date_to: str = ""
    org_code: str = ""
    agent_code: str = ""
    terminal_no: str = ""
    state: str = ""
    account_no: str = ""
    order: str = "desc"
    after: str = ""
    before: str = ""


def read_filter(
    search: PaymentSearch,
    orgs: OrganisationAdmin,
    actor: Actor,
    query: PaymentQuery,
    *,
    today: date,
) -> PaymentFilter:
    """The filter ``query`` asks for, within the actor's reach.

    Raises :class:`InvalidFormError` naming every wrong field: the dates (see
    :func:`read_date_range`), an organisation, agent, terminal or customer unknown or outside
    the actor's subtree (``organisation_unknown``, ``agent_unknown``, ``terminal_unknown``,
    ``customer_unknown``), a state that is none (``choice_invalid``).
    """
    check = FieldChecks()
    account_no = (query.account_no or "").strip()
    max_days = MAX_DAYS_ONE_CUSTOMER if account_no else MAX_DAYS
    start, end = read_date_range(
        check, query.date_from, query.date_to, max_days=max_days, default_to=today, default_days=1
    )
    root_path = actor.org_path
    org_code = (query.org_code or "").strip()
    if org_code:
        node = orgs.by_code(org_code) if len(org_code) <= 32 else None
        if node is None or not actor.covers(node.path):
            check.add(
                field_error(
                    "organisation_unknown",
                    field="org",
                    message_zh=f"您的管辖范围内没有编码为 {org_code[:32]} 的单位",
                    message_en=f"there is no organisation {org_code[:32]} within your scope",
                )
            )
        else:
            root_path = node.path
    agent_id = actor.own_agent_id
    agent_code = (query.agent_code or "").strip()
    if agent_code:
        found = search.agent_id(agent_code) if len(agent_code) <= 32 else None
        if (
            found is None
            or not actor.covers(found[1])
            or (agent_id is not None and found[0] != agent_id)
        ):
            check.add(
                field_error(
                    "agent_unknown",
                    field="agent",
                    message_zh=f"您的管辖范围内没有编码为 {agent_code[:32]} 的代理商",
                    message_en=f"there is no agent {agent_code[:32]} within your scope",
                )
            )
        else:
            agent_id = found[0]
    terminal_id = None
    terminal_no = (query.terminal_no or "").strip()
    if terminal_no:
        found = search.terminal_id(terminal_no) if _TERMINAL_NO.fullmatch(terminal_no) else None
        if found is None or not actor.covers(found[1]):
            check.add(
                field_error(
                    "terminal_unknown",
                    field="terminal",
                    message_zh=f"您的管辖范围内没有终端号为 {terminal_no[:32]} 的终端",
                    message_en=f"there is no terminal {terminal_no[:32]} within your scope",
                )
            )
        else:
            terminal_id = found[0]
    customer_id = None
    if account_no:
        customer_id = search.customer_id(account_no) if _ACCOUNT_NO.fullmatch(account_no) else None
        if customer_id is None:
            check.add(
                field_error(
                    "customer_unknown",
                    field="account_no",
                    message_zh=f"没有户号为 {account_no[:20]} 的用电客户",
                    message_en=f"there is no customer number {account_no[:20]}",
                )
            )
    state = (query.state or "").strip()
    if state and state not in PAYMENT_STATES:
        check.add(
            field_error(
                "choice_invalid",
                field="state",
                message_zh="交易状态不在可选范围内",
                message_en="this state is not one you may choose",
            )
        )
    check.done()
    return PaymentFilter(
        date_from=start,
        date_to=end,
        root_path=root_path,
        agent_id=agent_id,
        terminal_id=terminal_id,
        customer_id=customer_id,
        state=state or None,
    )
