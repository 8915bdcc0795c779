"""The server's tables: SQLAlchemy Core ``Table`` objects on one :data:`metadata`."""

from gridpos.adapters.db.tables._base import NAMING_CONVENTION, Fen, Id, UtcDateTime, metadata
from gridpos.adapters.db.tables.agents import agents, float_topups, holds
from gridpos.adapters.db.tables.audit import audit_log
from gridpos.adapters.db.tables.batch_uploads import batch_upload_items, batch_upload_parts
from gridpos.adapters.db.tables.batches import batch_differences, batches
from gridpos.adapters.db.tables.collection_totals import collection_day_totals
from gridpos.adapters.db.tables.console import console_form_submissions, console_sessions
from gridpos.adapters.db.tables.customers import customers, receivables, sync_watermarks
from gridpos.adapters.db.tables.journal_requests import journal_request_parts, journal_requests
from gridpos.adapters.db.tables.ledger import ledger_entries, ledger_transactions
from gridpos.adapters.db.tables.organisation import operators, organisations
from gridpos.adapters.db.tables.outbox import outbox
from gridpos.adapters.db.tables.parameters import parameters
from gridpos.adapters.db.tables.payments import (
    payment_allocations,
    payment_undos,
    payments,
    reversal_tombstones,
)
from gridpos.adapters.db.tables.receipts import payment_receipts
from gridpos.adapters.db.tables.reconciliation import (
    cash_handovers,
    reconciliation_differences,
    reconciliation_items,
    reconciliation_mis_lines,
    reconciliation_mis_loads,
    reconciliation_resolutions,
    reconciliation_runs,
)
from gridpos.adapters.db.tables.terminal_days import terminal_day_totals
from gridpos.adapters.db.tables.terminals import terminals
from gridpos.adapters.db.tables.undo_requests import payment_undo_requests

__all__ = [
    "NAMING_CONVENTION",
    "Fen",
    "Id",
    "UtcDateTime",
    "agents",
    "audit_log",
    "batch_differences",
    "batch_upload_items",
    "batch_upload_parts",
    "batches",
    "cash_handovers",
    "collection_day_totals",
    "console_form_submissions",
    "console_sessions",
    "customers",
    "float_topups",
    "holds",
    "journal_request_parts",
    "journal_requests",
    "ledger_entries",
    "ledger_transactions",
    "metadata",
    "operators",
    "organisations",
    "outbox",
    "parameters",
    "payment_allocations",
    "payment_receipts",
    "payment_undo_requests",
    "payment_undos",
    "payments",
    "receivables",
    "reconciliation_differences",
    "reconciliation_items",
    "reconciliation_mis_lines",
    "reconciliation_mis_loads",
    "reconciliation_resolutions",
    "reconciliation_runs",
    "reversal_tombstones",
    "sync_watermarks",
    "terminal_day_totals",
    "terminals",
]
