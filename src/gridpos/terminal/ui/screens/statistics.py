"""统计: the float available, the day's count and amount (journal and server), and the detail."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.terminal.batches import BatchTotals
from gridpos.terminal import TerminalStatistics
from gridpos.terminal.ui.base import PosScreen
from gridpos.terminal.ui.figures import local_time, yuan
from gridpos.terminal.ui.widgets import Plain


class StatisticsScreen(PosScreen):
    """The day's figures; PgDn/PgUp walk the server's detail, F5 asks again."""

    TITLE_KEY = "stats.title"
    KEYS_KEY = "keys.stats"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("f5", "page(0)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page = 1
        self.next_page: int | None = None

    def body(self) -> ComposeResult:
        yield Plain("", id="float")
        yield Plain("", id="local")
        yield Plain("", id="server")
        yield Plain("", id="waiting")
        yield Plain("", id="detail", classes="table")

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        page = self.page
        self.call(lambda: self.pos.terminal.statistics(page=page), self.show_figures)

    def action_page(self, step: int) -> None:
        if self.busy:
            return
        if step > 0 and self.next_page is None:
            return
        if step < 0 and self.page == 1:
            return
        if step > 0 and self.next_page is not None:
            self.page = self.next_page
        elif step < 0:
            self.page -= 1
        self.load()

    def _totals(self, key: str, totals: BatchTotals) -> str:
        return self.t(
            key,
            count=totals.count,
            amount=yuan(totals.amount),
            undone=totals.undone_count,
            undone_amount=yuan(totals.undone_amount),
        )

    def show_figures(self, figures: TerminalStatistics) -> None:
        texts = self.pos.texts
        self.query_one("#float", Plain).update(
            self.t(
                "stats.float",
                available=yuan(figures.float_available),
                held=yuan(figures.float_held),
            )
        )
        self.query_one("#local", Plain).update(self._totals("stats.local", figures.local_totals))
        server = figures.server
        self.query_one("#waiting", Plain).update(self.t("stats.waiting", count=figures.waiting))
        if server is None:
            self.next_page = None
            self.query_one("#server", Plain).update(self.t("stats.server_unreachable"))
            self.query_one("#detail", Plain).update("")
            return
        self.next_page = server.next_page
        self.query_one("#server", Plain).update(self._totals("stats.server", server.totals))
        rows = [self.t("stats.detail_heading")]
        for line in server.lines:
            state = texts.state(PaymentState(line.state.value), offline=line.offline)
            rows.append(
                f"{line.trace_no:06d}   {line.account_no:<16}  {yuan(line.cash):>9}  "
                f"{state:<8} {local_time(line.paid_at)}"
            )
        rows.append(self.t("stats.page", page=server.page))
        self.query_one("#detail", Plain).update("\n".join(rows))
