"""The terminal's write-ahead journal: append-only, hash-chained payment events in SQLite.

- :class:`Journal` (:mod:`.store`): open, append in one durable transaction, read back, verify;
- :mod:`.records`: the kinds of rows, the per-payment :class:`TxnRecord` they fold into;
- :mod:`.chain`: the row hash and the chain check (:class:`ChainReport`);
- :mod:`.schema`: the tables.
"""

from gridpos.terminal.journal.chain import ChainProblem, ChainReport, ProblemKind
from gridpos.terminal.journal.records import (
    EventKind,
    JournalRow,
    ProjectionError,
    ReceiptStatus,
    TxnRecord,
)
from gridpos.terminal.journal.store import Journal, disk_free_bytes

__all__ = [
    "ChainProblem",
    "ChainReport",
    "EventKind",
    "Journal",
    "JournalRow",
    "ProblemKind",
    "ProjectionError",
    "ReceiptStatus",
    "TxnRecord",
    "disk_free_bytes",
]
