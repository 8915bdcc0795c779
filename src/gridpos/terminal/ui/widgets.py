"""Widgets of the POS screens: the large amount with its 大写, the arrears table, the receipt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Digits, Static

from gridpos.terminal.accounts import AccountView
from gridpos.terminal.ui.figures import capital, yuan
from gridpos.terminal.ui.strings import Texts


class Plain(Static):
    """Text shown as it is: names, addresses and the server's words are never read as markup."""

    def __init__(self, content: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(content, markup=False, id=id, classes=classes)

    @property
    def text(self) -> str:
        return str(self.content)


class AmountPanel(Vertical):
    """A large, clear amount: its label, the figures in big digits, and 大写 below."""

    def __init__(self, label: str, fen: int, texts: Texts, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="amount-panel")
        self._label = label
        self._fen = fen
        self._texts = texts

    def compose(self) -> ComposeResult:
        yield Plain(self._label, classes="amount-label")
        yield Digits(yuan(self._fen), classes="amount-digits")
        yield Plain(self._texts("confirm.capital", words=capital(self._fen)), classes="capital")

    def show(self, fen: int) -> None:
        self._fen = fen
        self.query_one(Digits).update(yuan(fen))
        self.query_one(".capital", Plain).update(self._texts("confirm.capital", words=capital(fen)))

    @property
    def fen(self) -> int:
        return self._fen


def arrears_lines(view: AccountView, texts: Texts) -> str:
    """The open billing months: month, kWh, principal, penalty; or 无欠费."""
    if not view.lines:
        return texts("account.no_arrears")
    rows = [texts("account.lines_heading")]
    for line in view.lines:
        rows.append(
            f"{line.period:<10} {line.kwh:>10} {yuan(line.principal):>14} {yuan(line.penalty):>10}"
        )
    return "\n".join(rows)


class ReceiptPreview(VerticalScroll):
    """The text preview of the receipt as the printer lays it out."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id, classes="receipt")
        self._text = text
        self.display = bool(text)

    def compose(self) -> ComposeResult:
        yield Plain(self._text, classes="receipt-text")

    def show(self, text: str) -> None:
        """Show ``text``; an empty preview takes no room."""
        self._text = text
        self.query_one(".receipt-text", Plain).update(text)
        self.display = bool(text)

    @property
    def text(self) -> str:
        return self._text
