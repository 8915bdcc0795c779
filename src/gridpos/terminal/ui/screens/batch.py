"""扎帐: the cash expected, the collector's count (and a note for a shortage or overage), then
the batch closed against the server — 平帐, or not balanced with every difference named."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from gridpos.domain.errors import DomainError
from gridpos.protocol.terminal.batches import Difference
from gridpos.terminal import BatchCloseOutcome
from gridpos.terminal.ui.base import PosScreen, YesNoScreen
from gridpos.terminal.ui.figures import read_count, yuan
from gridpos.terminal.ui.widgets import AmountPanel, Plain


class BatchScreen(PosScreen):
    """Count the cash, then close the batch."""

    TITLE_KEY = "batch.title"
    KEYS_KEY = "keys.batch"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.closed: BatchCloseOutcome | None = None

    def body(self) -> ComposeResult:
        expected = self._expected()
        yield AmountPanel(self.t("batch.expected"), expected or 0, self.pos.texts, id="expected")
        yield Plain(self.t("batch.counted"))
        yield Input(id="counted", max_length=16)
        yield Plain(self.t("batch.note"))
        yield Input(id="note", max_length=200)
        yield Plain("", id="result", classes="result")

    def _expected(self) -> int | None:
        session = self.pos.terminal.session
        if session is None:
            return None
        return self.pos.journal_view.expected_cash(
            business_date=session.business_date, batch_no=session.batch_no
        )

    def on_mount(self) -> None:
        self.query_one("#counted", Input).focus()

    def action_move(self, step: int) -> None:
        self.query_one("#note" if step > 0 else "#counted", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.closed is not None:
            return
        try:
            counted = read_count(self.query_one("#counted", Input).value, field="cash_counted")
        except DomainError as exc:
            self.say_error(exc)
            self.query_one("#counted", Input).focus()
            return
        note = self.query_one("#note", Input).value.strip()
        expected = self._expected()
        if expected is not None and counted != expected and not note:
            key = "batch.short" if counted < expected else "batch.over"
            self.say(self.t(key, amount=yuan(abs(counted - expected))), kind="warn")
            self.query_one("#note", Input).focus()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                terminal = self.pos.terminal
                self.call(lambda: terminal.close_batch(counted, note or None), self.show_result)

        self.app.push_screen(YesNoScreen(self.t("batch.confirm")), answered)

    def show_result(self, outcome: BatchCloseOutcome) -> None:
        self.closed = outcome
        if outcome.balanced is None:
            lines = [self.t("batch.answer_lost")]
        else:
            key = "batch.balanced" if outcome.balanced else "batch.unbalanced"
            lines = [self.t(key)]
        if outcome.closed:
            lines.append(self.t("batch.closed", batch=outcome.batch_no, date=outcome.business_date))
        else:
            lines.append(self.t("batch.not_closed"))
        terminal, server = outcome.terminal_totals, outcome.server_totals
        lines.append(
            self.t("batch.terminal_totals", count=terminal.count, amount=yuan(terminal.amount))
        )
        if server is not None:
            lines.append(
                self.t("batch.server_totals", count=server.count, amount=yuan(server.amount))
            )
        lines.extend(self._difference(item) for item in outcome.differences or ())
        if outcome.unresolved:
            lines.append(self.t("batch.unresolved", count=outcome.unresolved))
        lines.append(
            self.t(
                "batch.cash",
                counted=yuan(outcome.cash_counted),
                expected=yuan(outcome.expected_cash),
            )
        )
        difference = outcome.cash_difference
        if difference == 0:
            lines.append(self.t("batch.cash_even"))
        else:
            key = "batch.cash_short" if difference < 0 else "batch.cash_over"
            lines.append(self.t(key, amount=yuan(abs(difference)), note=outcome.note))
        result = self.query_one("#result", Plain)
        result.update("\n".join(lines))
        result.set_classes("result result-ok" if outcome.balanced else "result result-warn")
        self.query_one("#expected", AmountPanel).show(outcome.expected_cash)

    def _difference(self, item: Difference) -> str:
        def cash(fen: int | None) -> str:
            return "-" if fen is None else yuan(fen)

        return self.t(
            "batch.difference",
            trace="-" if item.trace_no is None else f"{item.trace_no:06d}",
            kind=self.t(f"diff.{item.kind.value}"),
            terminal=cash(item.terminal_cash),
            server=cash(item.server_cash),
        )
