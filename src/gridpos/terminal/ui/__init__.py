"""``gridpos terminal``: the collector's POS screen, a Textual app over the terminal library.

Chinese first (``--lang en`` for English), keyboard only: digits, F-keys, Enter and Esc. The
library does the work (journal, signed client, store-and-forward, receipts); the screen calls it
in worker threads so a GPRS stall never freezes it, and keeps the link indicator and the count of
payments waiting to upload always in view.

- :mod:`.app` — :class:`PosApp`; :mod:`.options` — :class:`PosOptions`, :func:`open_terminal`;
- :mod:`.screens` — enrolment, sign-in, menu, paying, outcome, reprint, statistics, 扎帐, waiting;
- :mod:`.strings` — every text in Chinese and English; :mod:`.figures` — amounts and the link;
- :mod:`.output` — receipts to the printer, the preview, a PDF copy;
- :mod:`.journal_watch` — a read-only look at the journal for the status bar and 扎帐.
"""

from gridpos.terminal.ui.app import PosApp
from gridpos.terminal.ui.options import PosOptions, open_terminal, receipt_output
from gridpos.terminal.ui.strings import CATALOGUE, Language, Texts

__all__ = [
    "CATALOGUE",
    "Language",
    "PosApp",
    "PosOptions",
    "Texts",
    "open_terminal",
    "receipt_output",
]
