"""The headless terminal library: journal, signed client, store-and-forward, offline collection.

Start with :class:`Terminal` (:mod:`.terminal`). The parts:

- :mod:`.journal` — the write-ahead journal (SQLite, WAL, ``synchronous=FULL``, hash-chained,
  append-only) and the per-payment state its rows add up to;
- :mod:`.client` — signed HTTP calls with GPRS timeouts; answered, refused or no answer;
- :mod:`.payments` and :mod:`.forwarder` — pay, reverse, void; resolve what waits, in order;
- :mod:`.offline` — the downloaded arrears, offline limits, 脱机 collection and upload;
- :mod:`.batch` — 扎帐 with the cash count, 批上送; :mod:`.figures` — statistics, 对帐;
- :mod:`.day` — enrolment, sign-in and sign-out, heartbeat; :mod:`.health` — the journal check;
- :mod:`.printing` — receipts from the journal, printed only when they may be;
- :mod:`.receipt` — the receipt itself (layout, encoding, ESC/POS).

The terminal imports only :mod:`gridpos.protocol` and :mod:`gridpos.domain` of the project.
"""

from gridpos.terminal.accounts import AccountView, ReceivableView
from gridpos.terminal.batch import BatchCloseOutcome
from gridpos.terminal.client import LinkState, LinkStatus
from gridpos.terminal.config import TerminalConfig, Timeouts
from gridpos.terminal.errors import (
    JournalFormatError,
    JournalUnwritableError,
    NoAnswerError,
    ServerRefusalError,
    TerminalError,
    TerminalRefusalError,
)
from gridpos.terminal.figures import DayComparison, Reconciliation, TerminalStatistics
from gridpos.terminal.forwarder import ForwardReport
from gridpos.terminal.health import JournalHealth
from gridpos.terminal.offline import OfflineLimits
from gridpos.terminal.outcomes import PaymentOutcome
from gridpos.terminal.printing import EscPosPrinter, PreviewPrinter, ReceiptPrinter
from gridpos.terminal.reprints import ReprintOutcome
from gridpos.terminal.session import Session
from gridpos.terminal.terminal import Terminal

__all__ = [
    "AccountView",
    "BatchCloseOutcome",
    "DayComparison",
    "EscPosPrinter",
    "ForwardReport",
    "JournalFormatError",
    "JournalHealth",
    "JournalUnwritableError",
    "LinkState",
    "LinkStatus",
    "NoAnswerError",
    "OfflineLimits",
    "PaymentOutcome",
    "PreviewPrinter",
    "ReceiptPrinter",
    "ReceivableView",
    "Reconciliation",
    "ReprintOutcome",
    "ServerRefusalError",
    "Session",
    "Terminal",
    "TerminalConfig",
    "TerminalError",
    "TerminalRefusalError",
    "TerminalStatistics",
    "Timeouts",
]
