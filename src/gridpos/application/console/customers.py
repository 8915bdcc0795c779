"""用电客户: finding customers of the replica (by number, name or address, along an index only)
and a customer's page: arrears with the late penalty as of today, prepaid balance, rounding
credit, receivables and payment history.

A search never reads the whole table: by number it is exact or by the number's start, by name
or address by their start (index range scans), and by a part anywhere only within one supply
station. Anything else is refused with ``customer_search_unbounded``, next to the search box.
Lists page by a bounded offset (at most :data:`MAX_PAGES` pages) and count up to
:data:`COUNT_CAP`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.customer_search import (
    CustomerPaymentRow,
    CustomerRow,
    CustomerSearch,
    CustomerSearchStore,
    MatchMode,
    ReceivableRow,
    SearchField,
)
from gridpos.application.arrears import PricedReceivable, price
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    InvalidFormError,
    NotFoundError,
    field_error,
)
from gridpos.application.console.paging import Paged, offset_of
from gridpos.domain.allocation import amount_due
from gridpos.domain.penalty import PenaltyRules

TERM_MAX = 64
COUNT_CAP = 1000
MAX_PAGES = 50
RECEIVABLES_SHOWN = 36


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """A customer search as typed: ``field`` (account_no, name, address), ``mode`` (exact,
    prefix, contains), the term, a station's code, the page."""

    field: str = SearchField.ACCOUNT_NO.value
    mode: str = MatchMode.PREFIX.value
    term: str = ""
    station_code: str = ""
    page: int = 1


@dataclass(frozen=True, slots=True)
class CustomerResults:
    """A page of customers found; ``total`` counts at most :data:`COUNT_CAP` (``capped``)."""

    items: list[CustomerRow]
    total: int
    capped: bool
    page: int
    per_page: int
    field: SearchField
    mode: MatchMode

    @property
    def pages(self) -> int:
        return min(MAX_PAGES, max(1, -(-self.total // self.per_page)))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    """A customer's page: what is owed today (principal and penalty per receivable), the
    credits, the amount that settles everything, the receivables and a page of payments."""

    customer: CustomerRow
    priced_on: date
    open_lines: list[PricedReceivable]
    principal_unpaid: int
    penalty: int
    total_due: int
    receivables: list[ReceivableRow]
    payments: Paged[CustomerPaymentRow]


def _refusal(code: str, field: str, zh: str, en: str) -> InvalidFormError:
    return InvalidFormError([field_error(code, field=field, message_zh=zh, message_en=en)])


def customer_search(
    services: ConsoleServices, actor: Actor, query: CustomerQuery
) -> CustomerResults:
    """One page of the customers of the actor's subtree that the query finds.

    Raises :class:`AccessDeniedError` without ``customers.view``; :class:`InvalidFormError`
    for a term too long (field ``q``), a station unknown, outside the subtree or not a station
    (field ``station``), a page past :data:`MAX_PAGES` (field ``page``), and a search by a
    part of a name or address anywhere without a station to bound it
    (``customer_search_unbounded``, field ``q``).
    """
    require(actor, Permission.CUSTOMERS_VIEW)
    field = SearchField(query.field) if query.field in set(SearchField) else SearchField.ACCOUNT_NO
    mode = MatchMode(query.mode) if query.mode in set(MatchMode) else MatchMode.PREFIX
    if field is SearchField.ACCOUNT_NO and mode is MatchMode.CONTAINS:
        mode = MatchMode.PREFIX  # a number is found by its start
    if field is not SearchField.ACCOUNT_NO and mode is MatchMode.EXACT:
        mode = MatchMode.PREFIX
    term = (query.term or "").strip()
    if len(term) > TERM_MAX:
        raise _refusal(
            "field_too_long",
            "q",
            f"查找内容最多 {TERM_MAX} 个字",
            f"the search may have at most {TERM_MAX} characters",
        )
    if query.page > MAX_PAGES:
        raise _refusal(
            "page_too_far",
            "page",
            f"最多翻到第 {MAX_PAGES} 页：请输入更多内容缩小范围",
            f"lists go {MAX_PAGES} pages deep: narrow the search",
        )
    per_page = services.policy.page_size
    with services.reading() as uow:
        orgs = OrganisationAdmin(uow.connection)
        station_id: int | None = None
        station_code = (query.station_code or "").strip()
        if station_code:
            node = orgs.by_code(station_code)
            if node is None or not actor.covers(node.path) or node.level != "station":
                raise _refusal(
                    "station_unknown",
                    "station",
                    f"您的管辖范围内没有编码为 {station_code} 的供电所",
                    f"there is no supply station {station_code} within your scope",
                )
            station_id = node.id
        if mode is MatchMode.CONTAINS and term and station_id is None:
            own = orgs.by_id(actor.org_id)
            if own is None or own.level != "station":
                raise _unbounded()
            station_id = own.id
        store = CustomerSearchStore(uow.connection)
        search = CustomerSearch(
            root_path=actor.org_path,
            field=field,
            mode=mode,
            term=term,
            station_id=station_id,
        )
        page = max(query.page, 1)
        rows = store.search(search, offset=offset_of(page, per_page), limit=per_page)
        total = store.count(search, cap=COUNT_CAP + 1)
    return CustomerResults(
        items=rows,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        page=page,
        per_page=per_page,
        field=field,
        mode=mode,
    )


def _unbounded() -> InvalidFormError:
    return _refusal(
        "customer_search_unbounded",
        "q",
        "按名称或地址中的任意文字查找须先选定一个供电所（否则要逐条查看全部客户）；"
        "也可改用“开头是”查找",
        "finding a part of a name or address anywhere needs a supply station first (it would "
        "read every customer otherwise); or search by how it starts",
    )


def customer_detail(
    services: ConsoleServices,
    actor: Actor,
    customer_id: int,
    *,
    today: date,
    rules: PenaltyRules,
    page: int = 1,
) -> CustomerDetail:
    """The customer ``customer_id``: open receivables priced on ``today`` under ``rules`` (as
    a payment today would compute them), prepaid and rounding credit, the amount that settles
    everything, the latest receivables and page ``page`` of the payments.

    Raises :class:`AccessDeniedError` without ``customers.view`` or outside the subtree,
    :class:`NotFoundError`, and
    :class:`~gridpos.domain.penalty.PenaltyConfigError` when no penalty rule is in force today.
    """
    require(actor, Permission.CUSTOMERS_VIEW)
    per_page = services.policy.page_size
    page = min(max(page, 1), 10_000)
    with services.reading() as uow:
        store = CustomerSearchStore(uow.connection)
        customer = store.by_id(customer_id)
        if customer is None:
            raise NotFoundError(
                code="customer_unknown",
                field="customer_id",
                message_zh=f"用电客户 {customer_id} 不存在",
                message_en=f"there is no customer {customer_id}",
            )
        if not actor.covers(customer.station_path):
            raise AccessDeniedError()
        open_records = uow.customers.open_receivables([customer.id])[customer.id]
        history = store.receivables_of(customer.id, limit=RECEIVABLES_SHOWN)
        rows, total = store.payments_of(
            customer.id, offset=offset_of(page, per_page), limit=per_page
        )
    priced = price(open_records, category=customer.category, on=today, rules=rules)
    return CustomerDetail(
        customer=customer,
        priced_on=today,
        open_lines=priced,
        principal_unpaid=sum(line.record.principal_unpaid for line in priced),
        penalty=sum(line.penalty for line in priced),
        total_due=amount_due(
            receivables=[line.open for line in priced if line.open.owed > 0],
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
        ),
        receivables=history,
        payments=Paged(items=rows, total=total, page=page, per_page=per_page),
    )
