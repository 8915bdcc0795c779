"""Paying: the customer number, the arrears and the amount (取整, prepay), then the confirm step.

Nothing is journalled before the collector confirms; the journal is checked for room before the
confirm step (``ready_to_collect``), so no cash is taken that could not be recorded.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from gridpos.domain.errors import DomainError
from gridpos.terminal import AccountView, OfflineLimits, PaymentOutcome
from gridpos.terminal.ui.base import PosScreen
from gridpos.terminal.ui.draft import PaymentDraft
from gridpos.terminal.ui.figures import read_amount, yuan
from gridpos.terminal.ui.screens.outcome import OutcomeScreen
from gridpos.terminal.ui.widgets import AmountPanel, Plain, arrears_lines

Looked = tuple[AccountView, OfflineLimits | None]


class CustomerScreen(PosScreen):
    """户号 entry: Enter looks the customer up (online, or offline from the download)."""

    TITLE_KEY = "customer.title"
    KEYS_KEY = "keys.customer"

    def body(self) -> ComposeResult:
        yield Plain(self.t("customer.hint"), classes="hint")
        yield Plain(self.t("customer.account_no"))
        yield Input(id="account-no", max_length=24)

    def on_mount(self) -> None:
        self.query_one("#account-no", Input).focus()

    def on_screen_resume(self) -> None:
        self.query_one("#account-no", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        number = event.value
        terminal = self.pos.terminal

        def look_up() -> Looked:
            view = terminal.query_account(number)
            return view, terminal.offline_limits() if view.offline else None

        self.call(look_up, self._found)

    def _found(self, found: Looked) -> None:
        view, limits = found
        self.query_one("#account-no", Input).value = ""
        self.app.push_screen(AmountScreen(view, limits))


class AmountScreen(PosScreen):
    """The customer's arrears with penalties, and the amount: F3 rounds up (取整)."""

    TITLE_KEY = "amount.title"
    KEYS_KEY = "keys.amount"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f3", "round_up", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]

    def __init__(self, view: AccountView, limits: OfflineLimits | None) -> None:
        super().__init__()
        self.view = view
        self.limits = limits
        self.round_up = False

    def body(self) -> ComposeResult:
        view = self.view
        texts = self.pos.texts
        if view.offline:
            yield Plain(self.t("account.offline", date=view.as_of), classes="offline-banner")
            if self.limits is not None:
                yield Plain(
                    self.t(
                        "offline.limits",
                        per_payment=yuan(self.limits.per_payment),
                        day_left=yuan(max(self.limits.day_left, 0)),
                        allowance_left=yuan(max(self.limits.allowance_left, 0)),
                    ),
                    id="offline-limits",
                )
        yield Plain(self.t("account.customer", no=view.account_no, name=view.name), id="customer")
        yield Plain(
            self.t("account.address", address=view.address, category=texts.category(view.category))
        )
        for notice in view.notices:
            yield Plain(texts.body(notice), classes="notice")
        yield Plain(arrears_lines(view, texts), id="lines", classes="table")
        yield Plain(
            self.t(
                "account.totals",
                principal=yuan(view.principal_total),
                penalty=yuan(view.penalty_total),
            )
        )
        yield Plain(
            self.t(
                "account.balances",
                prepaid=yuan(view.prepaid),
                rounding=yuan(view.rounding_credit),
            )
        )
        with Horizontal(id="amount-row"):
            yield AmountPanel(self.t("account.total_due"), view.total_due, texts, id="due")
            with Vertical(id="amount-inputs"):
                if view.round_up:
                    yield Plain(
                        self.t(
                            "account.round_up",
                            amount=yuan(view.rounded_total),
                            part=yuan(view.round_up),
                        ),
                        id="round-hint",
                    )
                yield Plain(self.t("amount.round_off"), id="round-state")
                yield Plain(self.t("amount.cash"))
                yield Input(
                    yuan(view.total_due) if view.total_due else "", id="cash", max_length=16
                )
                yield Plain(self.t("amount.tendered"))
                yield Input(id="tendered", max_length=16)

    def on_mount(self) -> None:
        self.query_one("#cash", Input).focus()

    def action_move(self, step: int) -> None:
        target = "#tendered" if step > 0 else "#cash"
        self.query_one(target, Input).focus()

    def action_round_up(self) -> None:
        """Toggle 取整: the amount becomes the next whole yuan (or back to the amount due)."""
        if self.busy or not self.view.round_up:
            return
        self.round_up = not self.round_up
        amount = self.view.rounded_total if self.round_up else self.view.total_due
        self.query_one("#cash", Input).value = yuan(amount)
        key = "amount.round_on" if self.round_up else "amount.round_off"
        self.query_one("#round-state", Plain).update(self.t(key))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "cash":
            self.query_one("#tendered", Input).focus()
            return
        self.submit()

    def submit(self) -> None:
        try:
            cash = read_amount(self.query_one("#cash", Input).value, field="cash")
            tendered = read_amount(
                self.query_one("#tendered", Input).value, field="tendered", optional=True
            )
        except DomainError as exc:
            self.say_error(exc)
            self.query_one("#tendered" if exc.field == "tendered" else "#cash", Input).focus()
            return
        assert cash is not None  # noqa: S101 - not optional
        if tendered is not None and tendered < cash:
            self.say(self.t("amount.tendered_short"), kind="error")
            self.query_one("#tendered", Input).focus()
            return
        draft = PaymentDraft(view=self.view, cash=cash, round_up=self.round_up, tendered=tendered)
        # never take cash the journal could not record: check before the confirm step
        self.call(self.pos.terminal.ready_to_collect, lambda _: self._confirm(draft))

    def _confirm(self, draft: PaymentDraft) -> None:
        self.app.push_screen(ConfirmScreen(draft))


class ConfirmScreen(PosScreen):
    """确认: 实收 large with 大写, 应缴, 预存, 调尾, 找零; Enter takes the payment."""

    TITLE_KEY = "confirm.title"
    KEYS_KEY = "keys.confirm"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "pay", show=False)]

    def __init__(self, draft: PaymentDraft) -> None:
        super().__init__()
        self.draft = draft

    def body(self) -> ComposeResult:
        draft = self.draft
        view = draft.view
        if view.offline:
            yield Plain(self.t("confirm.offline"), classes="offline-banner")
        yield Plain(self.t("account.customer", no=view.account_no, name=view.name))
        yield AmountPanel(self.t("confirm.cash"), draft.cash, self.pos.texts, id="cash")
        yield Plain(self.t("confirm.due", amount=yuan(draft.due)), id="confirm-due")
        yield Plain(self.t("confirm.prepay", amount=yuan(draft.prepay)), id="confirm-prepay")
        yield Plain(self.t("confirm.rounding", amount=yuan(draft.rounding)), id="confirm-rounding")
        yield Plain(self.t("confirm.change", amount=yuan(draft.change)), id="confirm-change")
        if draft.still_owed:
            yield Plain(self.t("confirm.partial", amount=yuan(draft.still_owed)), classes="notice")
        session = self.pos.terminal.session
        if not view.offline and session is not None and draft.cash > session.float_available:
            # the server decides (a top-up may have come since); the collector is warned first
            yield Plain(
                self.t("confirm.float_short", available=yuan(session.float_available)),
                classes="notice",
                id="confirm-float-short",
            )

    def action_pay(self) -> None:
        draft = self.draft
        terminal = self.pos.terminal

        def pay() -> PaymentOutcome:
            return terminal.pay(draft.view, draft.cash, round_up=draft.round_up)

        self.call(pay, self._paid)

    def _paid(self, outcome: PaymentOutcome) -> None:
        self.app.switch_screen(OutcomeScreen(outcome))
