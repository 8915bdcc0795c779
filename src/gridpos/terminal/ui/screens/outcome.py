"""What became of the payment: confirmed (receipt and preview), 脱机, refused, or 可疑.

A confirmed or offline payment shows its receipt preview; a printer that failed leaves the
payment standing and the receipt waiting for a reprint (key 2). A payment without an answer is
可疑 (or still waiting to leave): the collector asks again (1), cancels it with a reversal and
gives the cash back (2), or leaves it to the background forwarder (Esc). The screen watches the
journal, so a payment the forwarder resolves meanwhile shows its result and prints its receipt.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from gridpos.domain.payment_state import PaymentState
from gridpos.terminal import PaymentOutcome, ReprintOutcome
from gridpos.terminal.ui.base import PosScreen, YesNoScreen
from gridpos.terminal.ui.figures import yuan
from gridpos.terminal.ui.output import preview_text
from gridpos.terminal.ui.widgets import Plain, ReceiptPreview

ASK_BUDGET = 8
_WAITING = (PaymentState.PENDING, PaymentState.UNKNOWN)


class OutcomeScreen(PosScreen):
    """The result of one payment (see the module's docstring)."""

    TITLE_KEY = "outcome.title"
    KEYS_KEY = "keys.outcome_done"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", show=False),
        Binding("enter", "next", show=False),
        Binding("1", "ask", show=False),
        Binding("2", "second", show=False),
    ]

    def __init__(self, outcome: PaymentOutcome) -> None:
        super().__init__()
        self.outcome = outcome
        self.cancelled = False
        self.print_note: str | None = None

    @property
    def waiting(self) -> bool:
        """Online and not answered yet (an offline payment waits for upload, not for the cash)."""
        return self.outcome.waiting and not self.outcome.offline

    def body(self) -> ComposeResult:
        yield Plain("", id="headline")
        yield Plain("", id="trace")
        yield Plain("", id="detail")
        yield Plain("", id="print-state")
        yield ReceiptPreview(id="preview")

    def on_mount(self) -> None:
        self.show_outcome()
        self.set_interval(1.0, self._watch_journal)

    # ---- drawing ------------------------------------------------------------------------------

    def show_outcome(self, *, reprint: bool = False) -> None:
        outcome = self.outcome
        texts = self.pos.texts
        headline, kind, detail = self._headline()
        line = self.query_one("#headline", Plain)
        line.update(headline)
        line.set_classes(f"headline headline-{kind}")
        self.query_one("#trace", Plain).update(
            self.t(
                "outcome.trace",
                trace=f"{outcome.trace_no:06d}",
                account=outcome.account_no,
                cash=yuan(outcome.cash),
            )
        )
        self.query_one("#detail", Plain).update(detail)
        self.query_one("#print-state", Plain).update(self.print_note or self._print_state())
        receipt = outcome.receipt if self._has_receipt() else None
        preview = ""
        if receipt is not None:
            preview = preview_text(receipt, paper=self.pos.options.paper, reprint=reprint)
        self.query_one("#preview", ReceiptPreview).show(preview)
        keys = "keys.outcome_waiting" if self.waiting and not self.cancelled else None
        if keys is None:
            keys = "keys.outcome_done" if self._has_receipt() else "keys.outcome_final"
        self.query_one("#keys", Plain).update(texts(keys))

    def _has_receipt(self) -> bool:
        outcome = self.outcome
        return outcome.receipt is not None and (outcome.confirmed or outcome.offline)

    def _headline(self) -> tuple[str, str, str]:
        outcome = self.outcome
        texts = self.pos.texts
        if outcome.confirmed:
            return self.t("outcome.confirmed"), "ok", ""
        if outcome.offline and outcome.waiting:
            return self.t("outcome.offline"), "ok", ""
        if outcome.state is PaymentState.REJECTED:
            reason = texts.body(outcome.error) if outcome.error else texts.state(outcome.state)
            return self.t("outcome.rejected", reason=reason), "error", self.t("outcome.give_back")
        if outcome.waiting:
            if self.cancelled:
                return self.t("outcome.reversal_waiting"), "warn", ""
            key = "outcome.unknown" if outcome.state is PaymentState.UNKNOWN else "outcome.pending"
            return self.t(key), "warn", self.t("outcome.waiting_hint")
        if outcome.state is PaymentState.REVERSED:
            return self.t("outcome.reversed"), "warn", ""
        return texts.state(outcome.state), "warn", ""

    def _print_state(self) -> str:
        outcome = self.outcome
        if not self._has_receipt():
            return ""
        if outcome.printed and outcome.print_error is None:
            return self.t("outcome.printed")
        reason = self.pos.texts.error(outcome.print_error) if outcome.print_error else ""
        return self.t("outcome.print_waits", reason=reason)

    # ---- keys ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.busy:
            self.pos.back_to_menu()

    def action_next(self) -> None:
        if not self.busy and not (self.waiting and not self.cancelled):
            self.pos.next_customer()

    def action_ask(self) -> None:
        """1: ask the server again now (one pass of the forwarder)."""
        if not self.waiting or self.cancelled:
            return
        terminal = self.pos.terminal

        def ask() -> PaymentOutcome:
            terminal.resolve_pending(budget=ASK_BUDGET)
            return self._settled()

        self.call(ask, self._asked)

    def action_second(self) -> None:
        """2: reverse a waiting payment, or reprint a receipt."""
        if self.busy:
            return
        if self.waiting and not self.cancelled:
            self.app.push_screen(YesNoScreen(self.t("outcome.reverse_confirm")), self._reverse)
        elif self._has_receipt():
            txn_id = self.outcome.txn_id
            self.call(lambda: self.pos.terminal.reprint(txn_id), self._reprinted)

    # ---- results ------------------------------------------------------------------------------

    def _settled(self) -> PaymentOutcome:
        """The payment as it stands, its receipt printed now if it was confirmed meanwhile."""
        terminal = self.pos.terminal
        outcome = terminal.payment(self.outcome.txn_id)
        if not outcome.confirmed:
            return outcome
        for printed in terminal.print_waiting():
            if printed.txn_id == outcome.txn_id:
                return printed
        return dataclasses.replace(outcome, printed=True)

    def _asked(self, outcome: PaymentOutcome) -> None:
        self.outcome = outcome
        self.show_outcome()
        if self.waiting:
            self.say(self.t("outcome.still_waiting"), kind="warn")

    def _reverse(self, yes: bool | None) -> None:
        if not yes:
            return
        txn_id = self.outcome.txn_id
        self.call(lambda: self.pos.terminal.cancel_unknown(txn_id), self._reversed)

    def _reversed(self, outcome: PaymentOutcome) -> None:
        self.cancelled = True
        self.outcome = outcome
        self.show_outcome()

    def _reprinted(self, reprinted: ReprintOutcome) -> None:
        if reprinted.printed and reprinted.print_error is None:
            self.print_note = self.t("reprint.done", trace=f"{reprinted.receipt.trace_no:06d}")
        else:
            reason = self.pos.texts.error(reprinted.print_error) if reprinted.print_error else ""
            self.print_note = self.t("outcome.print_waits", reason=reason)
        self.outcome = dataclasses.replace(self.outcome, receipt=reprinted.receipt)
        self.show_outcome(reprint=True)

    def _watch_journal(self) -> None:
        """A waiting payment the forwarder resolved: show it and print its receipt."""
        if self.busy or not self.waiting:
            return
        state = self.pos.journal_view.state_of(self.outcome.txn_id)
        if state is None or state in _WAITING:
            return
        self.call(self._settled, self._asked)
