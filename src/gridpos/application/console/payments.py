"""收费明细: the payments of the actor's subtree by business dates, organisation, agent,
terminal, state and customer, a page at a time (keyset: newest or oldest first), the count
bounded; the Excel export of the same filter; one payment's page — its allocation, its ledger
transactions and entries, its undo and the requests to undo it, its MIS posting and its receipt.

A search always has a range of business dates, at most :data:`MAX_DAYS` days (a customer's own
payments: :data:`MAX_DAYS_ONE_CUSTOMER`), so it reads an index range and never the whole
history. An agent operator sees their own agent's payments only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from pydantic import ValidationError

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.payment_detail import (
    AllocationLine,
    OutboxRow,
    PaymentDetailStore,
    PaymentFacts,
    TransactionRow,
    UndoRow,
)
from gridpos.adapters.db.console.payment_search import (
    PaymentFilter,
    PaymentKey,
    PaymentRow,
    PaymentSearch,
)
from gridpos.adapters.db.console.undo_requests import UndoRequestRow, UndoRequestStore
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    InvalidFormError,
    NotFoundError,
    field_error,
)
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode
from gridpos.protocol.terminal.payments import PayAnswer

MAX_DAYS: Final = 31
MAX_DAYS_ONE_CUSTOMER: Final = 366
PAGE_SIZE: Final = 20
COUNT_CAP: Final = 1_000
EXPORT_MAX: Final = 20_000  # a busy county day; the workbook takes some 5 s to write
MIS_TOPICS: Final = ("mis.post", "mis.reverse", "mis.cancel")
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


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """A page of payments; ``total`` counted no further than :data:`COUNT_CAP` (``capped``)."""

    items: tuple[PaymentRow, ...]
    total: int
    capped: bool
    date_from: date
    date_to: date
    newest_first: bool
    has_previous: bool
    has_next: bool

    @property
    def first_key(self) -> str:
        return self.items[0].key.token() if self.items else ""

    @property
    def last_key(self) -> str:
        return self.items[-1].key.token() if self.items else ""


@dataclass(frozen=True, slots=True)
class PaymentExport:
    """Every payment a filter keeps (at most :data:`EXPORT_MAX`), for the Excel export."""

    rows: tuple[PaymentRow, ...]
    date_from: date
    date_to: date


@dataclass(frozen=True, slots=True)
class PaymentDetail:
    """One payment's page."""

    facts: PaymentFacts
    allocation: tuple[AllocationLine, ...]
    transactions: tuple[TransactionRow, ...]
    undo: UndoRow | None
    requests: tuple[UndoRequestRow, ...]
    outbox: tuple[OutboxRow, ...]
    receipt: PayAnswer | None
    undo_kind: str | None  # what an undo requested now would be: void / cancellation / None
    undo_refusal: str  # why none can be requested now (a code), "" when one can

    @property
    def waiting_request(self) -> UndoRequestRow | None:
        """The request of this payment still waiting for a decision, if any."""
        return next((r for r in self.requests if r.state == "requested"), None)


def undo_kind_for(facts: PaymentFacts, *, today: date) -> tuple[str | None, str]:
    """What an undo of the payment asked for ``today`` would be — a void (撤销) on its own
    business day, a cancellation (冲销) after it — or, when none may be asked for, why
    (``payment_not_confirmed``, ``payment_offline``)."""
    if facts.state != PaymentState.CONFIRMED.value:
        return None, "payment_not_confirmed"
    if facts.offline:
        return None, "payment_offline"
    return ("void" if facts.business_date >= today else "cancellation"), ""


def _unknown(field: str, zh: str, en: str, code: str) -> None:
    raise InvalidFormError([field_error(code, field=field, message_zh=zh, message_en=en)])


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


def payment_list(services: ConsoleServices, actor: Actor, query: PaymentQuery) -> PaymentPage:
    """One page of the payments of the actor's subtree that ``query`` keeps, in business date
    order (newest first unless ``query.order`` is ``asc``), after or before a key of the
    previous page.

    Raises :class:`AccessDeniedError` without ``payments.view``; :class:`InvalidFormError` for
    the filter's refusals (see :func:`read_filter`).
    """
    require(actor, Permission.PAYMENTS_VIEW)
    today = county_today(services)
    newest_first = query.order != "asc"
    after = PaymentKey.parse(query.after) if query.after else None
    before = PaymentKey.parse(query.before) if query.before and after is None else None
    with services.reading() as uow:
        search = PaymentSearch(uow.connection)
        wanted = read_filter(search, OrganisationAdmin(uow.connection), actor, query, today=today)
        rows = search.page(
            wanted, newest_first=newest_first, after=after, before=before, limit=PAGE_SIZE + 1
        )
        total = search.count(wanted, cap=COUNT_CAP + 1)
    more = len(rows) > PAGE_SIZE
    if before is not None:
        rows = rows[-PAGE_SIZE:] if more else rows
        has_previous, has_next = more, True
    else:
        rows = rows[:PAGE_SIZE]
        has_previous, has_next = after is not None, more
    return PaymentPage(
        items=tuple(rows),
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        date_from=wanted.date_from,
        date_to=wanted.date_to,
        newest_first=newest_first,
        has_previous=has_previous,
        has_next=has_next,
    )


def payment_export(services: ConsoleServices, actor: Actor, query: PaymentQuery) -> PaymentExport:
    """Every payment ``query`` keeps, in list order, for the Excel export.

    Raises :class:`AccessDeniedError` without ``payments.view``; :class:`InvalidFormError` for
    the filter's refusals, and ``export_too_large`` (field ``date_to``) when more than
    :data:`EXPORT_MAX` payments match.
    """
    require(actor, Permission.PAYMENTS_VIEW)
    today = county_today(services)
    with services.reading() as uow:
        search = PaymentSearch(uow.connection)
        wanted = read_filter(search, OrganisationAdmin(uow.connection), actor, query, today=today)
        if search.count(wanted, cap=EXPORT_MAX + 1) > EXPORT_MAX:
            raise InvalidFormError(
                [
                    field_error(
                        "export_too_large",
                        field="date_to",
                        message_zh=(
                            f"符合条件的收费记录超过 {EXPORT_MAX:,} 条：请缩小日期范围或加筛选条件"
                        ),
                        message_en=(
                            f"more than {EXPORT_MAX:,} payments match: narrow the dates or add"
                            " a filter"
                        ),
                    )
                ]
            )
        rows = search.rows(wanted, newest_first=query.order != "asc", limit=EXPORT_MAX)
    return PaymentExport(rows=tuple(rows), date_from=wanted.date_from, date_to=wanted.date_to)


def payment_not_found(payment_id: int | str) -> NotFoundError:
    """The refusal of a payment that does not exist."""
    return NotFoundError(
        code="payment_unknown",
        field="payment_id",
        message_zh=f"收费记录 {payment_id} 不存在",
        message_en=f"there is no payment {payment_id}",
    )


def require_visible(actor: Actor, facts: PaymentFacts) -> None:
    """Raises :class:`AccessDeniedError` unless the payment lies in the actor's subtree (and,
    for an agent operator, is their own agent's)."""
    if not actor.covers(facts.org_path):
        raise AccessDeniedError()
    own = actor.own_agent_id
    if own is not None and facts.agent_id != own:
        raise AccessDeniedError()


def _receipt(body: bytes | None) -> PayAnswer | None:
    if body is None:
        return None
    try:
        return decode(PayAnswer, body)
    except (ValidationError, ValueError):
        return None  # a receipt that no longer reads is left out, the payment still shown


def payment_detail(services: ConsoleServices, actor: Actor, payment_id: int) -> PaymentDetail:
    """The payment ``payment_id``: allocation, ledger transactions and entries, undo, undo
    requests, the outbox rows of its MIS posting and the receipt.

    Raises :class:`AccessDeniedError` without ``payments.view`` or outside the actor's reach,
    :class:`NotFoundError` (``payment_unknown``).
    """
    require(actor, Permission.PAYMENTS_VIEW)
    today = county_today(services)
    with services.reading() as uow:
        store = PaymentDetailStore(uow.connection)
        facts = store.facts(payment_id)
        if facts is None:
            raise payment_not_found(payment_id)
        require_visible(actor, facts)
        detail_parts = (
            tuple(store.allocation(payment_id)),
            tuple(store.transactions(payment_id)),
            store.undo(payment_id),
            tuple(UndoRequestStore(uow.connection).of_payment(payment_id)),
            tuple(store.outbox_rows(payment_id, facts.txn_id, topics=MIS_TOPICS)),
            _receipt(store.receipt(payment_id)),
        )
    allocation, transactions, undo, requests, outbox, receipt = detail_parts
    kind, refusal = undo_kind_for(facts, today=today)
    return PaymentDetail(
        facts=facts,
        allocation=allocation,
        transactions=transactions,
        undo=undo,
        requests=requests,
        outbox=outbox,
        receipt=receipt,
        undo_kind=kind,
        undo_refusal=refusal,
    )


def payment_by_txn(services: ConsoleServices, actor: Actor, txn_id: str) -> int:
    """The id of the payment with transaction id ``txn_id`` (as the MIS names it).

    Raises :class:`AccessDeniedError` without ``payments.view`` or outside the actor's reach,
    :class:`NotFoundError` (``payment_unknown``).
    """
    require(actor, Permission.PAYMENTS_VIEW)
    text = (txn_id or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", text):
        raise payment_not_found(text[:64])
    with services.reading() as uow:
        found = PaymentSearch(uow.connection).payment_by_txn(text)
        if found is None:
            raise payment_not_found(text)
        facts = PaymentDetailStore(uow.connection).facts(found)
    if facts is None:
        raise payment_not_found(text)
    require_visible(actor, facts)
    return facts.id
