"""补打: a receipt printed again (marked 重打) by trace number or the latest; F2 prints every
receipt still waiting (after a printer fault, a crash, or a payment the forwarder confirmed)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from gridpos.terminal import PaymentOutcome, ReprintOutcome
from gridpos.terminal.ui.base import PosScreen
from gridpos.terminal.ui.output import preview_text
from gridpos.terminal.ui.widgets import Plain, ReceiptPreview

MAX_TRACE_DIGITS = 6


class ReprintScreen(PosScreen):
    """Reprint by trace number (blank: the latest of the day)."""

    TITLE_KEY = "reprint.title"
    KEYS_KEY = "keys.reprint"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f2", "print_waiting", show=False)]

    def body(self) -> ComposeResult:
        yield Plain("", id="receipts-waiting")
        yield Plain(self.t("reprint.trace"))
        yield Input(id="trace", max_length=12)
        yield Plain("", id="print-state")
        yield ReceiptPreview(id="preview")

    def on_mount(self) -> None:
        self.query_one("#trace", Input).focus()
        self.show_waiting()

    def show_waiting(self) -> None:
        count = self.pos.journal_view.receipts_waiting()
        text = self.t("reprint.receipts_waiting", count=count) if count else ""
        self.query_one("#receipts-waiting", Plain).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text and not (text.isascii() and text.isdigit() and len(text) <= MAX_TRACE_DIGITS):
            self.say(self.t("reprint.trace_invalid"), kind="error")
            return
        trace_no = int(text) if text else None
        terminal = self.pos.terminal
        self.call(lambda: terminal.reprint(trace_no=trace_no), self._reprinted)

    def _reprinted(self, outcome: ReprintOutcome) -> None:
        trace = f"{outcome.receipt.trace_no:06d}"
        if outcome.printed and outcome.print_error is None:
            text = self.t("reprint.done", trace=trace)
            if outcome.from_server:
                text += self.t("reprint.from_server")
            self.say(text, kind="ok")
        else:
            reason = self.pos.texts.error(outcome.print_error) if outcome.print_error else ""
            self.say(self.t("outcome.print_waits", reason=reason), kind="error")
        paper = self.pos.options.paper
        self.query_one("#preview", ReceiptPreview).show(
            preview_text(outcome.receipt, paper=paper, reprint=True)
        )
        self.show_waiting()

    def action_print_waiting(self) -> None:
        self.call(self.pos.terminal.print_waiting, self._printed)

    def _printed(self, outcomes: list[PaymentOutcome]) -> None:
        printed = [outcome for outcome in outcomes if outcome.printed]
        failed = [outcome for outcome in outcomes if outcome.print_error is not None]
        if failed and failed[0].print_error is not None:
            reason = self.pos.texts.error(failed[0].print_error)
            self.say(self.t("outcome.print_waits", reason=reason), kind="error")
        else:
            self.say(self.t("reprint.printed_count", count=len(printed)), kind="ok")
        if printed and printed[-1].receipt is not None:
            self.query_one("#preview", ReceiptPreview).show(
                preview_text(printed[-1].receipt, paper=self.pos.options.paper)
            )
        self.show_waiting()
