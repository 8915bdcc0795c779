"""The payment store: payments, their allocations, receipts, undos, tombstones and outbox rows.

:class:`PaymentStore` is the generic path, statement by statement, on both databases;
:mod:`.reports` reads the totals and lists of a terminal's days.
"""

from gridpos.adapters.db.payment_store.generic import PaymentStore
from gridpos.adapters.db.payment_store.records import (
    CustomerRecord,
    PaymentRecord,
    ReceivableRecord,
    TombstoneRecord,
    Totals,
)

__all__ = [
    "CustomerRecord",
    "PaymentRecord",
    "PaymentStore",
    "ReceivableRecord",
    "TombstoneRecord",
    "Totals",
]
