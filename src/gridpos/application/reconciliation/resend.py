"""A payment confirmed from the terminal's journal (补单) and the terminal's own request for it.

Reconciliation may confirm a payment from the journal the terminal uploaded before the terminal
itself got its request through (its link was down, its offline upload waiting). When that request
finally arrives it must be answered with the payment already recorded — never refused as a
reused transaction id, never recorded twice. The confirmed payment carries a hash of its own
(:func:`journal_hash`); a request with the same serial and cash is the same payment, and the
payment takes the request's hash so every later resend matches exactly.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Final

from gridpos.adapters.db.payment_store import PaymentRecord
from gridpos.adapters.db.reconciliation.journal import adopt_request_hash
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

JOURNAL_PREFIX: Final = "journal:"


def journal_hash(
    *, terminal_no: str, txn_id: str, trace_no: int, account_no: str, cash: int, cash_time: datetime
) -> str:
    """The request hash of a payment confirmed from the journal (64 characters, like a
    request's SHA-256, and never equal to one)."""
    text = f"{terminal_no}|{txn_id}|{trace_no}|{account_no}|{cash}|{cash_time.isoformat()}"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return JOURNAL_PREFIX + digest[: 64 - len(JOURNAL_PREFIX)]


def adopts_resend(
    uow: SqlUnitOfWork, existing: PaymentRecord, *, digest: str, trace_no: int, cash: int
) -> bool:
    """Whether ``existing`` was confirmed from the journal and is the payment this request (of
    the same terminal and transaction id) is for; if so it takes the request's hash ``digest``."""
    if not existing.request_hash.startswith(JOURNAL_PREFIX):
        return False
    if existing.trace_no != trace_no or existing.cash != cash:
        return False
    return adopt_request_hash(uow.connection, existing.id, was=existing.request_hash, now=digest)
