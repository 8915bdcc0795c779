"""收费明细: the payments of the actor's subtree by business dates, organisation, agent,
terminal, state and customer, a page at a time (keyset: newest or oldest first), the count
bounded; the Excel export of the same filter; one payment's page — its allocation, its ledger
transactions and entries, its undo and the requests to undo it, its MIS posting and its receipt.

A search always has a range of business dates, at most :data:`MAX_DAYS` days (a customer's own
payments: :data:`MAX_DAYS_ONE_CUSTOMER`), so it reads an index range and never the whole
history. An agent operator sees their own agent's payments only.
"""

from gridpos.application.console.payments.detail import (
    MIS_TOPICS,
    PaymentDetail,
    payment_by_txn,
    payment_detail,
    payment_not_found,
    require_visible,
    undo_kind_for,
)
from gridpos.application.console.payments.filters import (
    MAX_DAYS,
    MAX_DAYS_ONE_CUSTOMER,
    PAYMENT_STATES,
    PaymentQuery,
    county_today,
    read_date_range,
    read_filter,
)
from gridpos.application.console.payments.listing import (
    COUNT_CAP,
    EXPORT_MAX,
    PAGE_SIZE,
    PaymentExport,
    PaymentPage,
    payment_export,
    payment_list,
)

__all__ = [
    "COUNT_CAP",
    "EXPORT_MAX",
    "MAX_DAYS",
    "MAX_DAYS_ONE_CUSTOMER",
    "MIS_TOPICS",
    "PAGE_SIZE",
    "PAYMENT_STATES",
    "PaymentDetail",
    "PaymentExport",
    "PaymentPage",
    "PaymentQuery",
    "county_today",
    "payment_by_txn",
    "payment_detail",
    "payment_export",
    "payment_list",
    "payment_not_found",
    "read_date_range",
    "read_filter",
    "require_visible",
    "undo_kind_for",
]
