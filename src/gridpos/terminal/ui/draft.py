"""A payment as the collector is about to take it: what the confirm step shows.

应缴, 实收, 找零/预存 and 调尾, computed in fen from the account view and what was typed.

The terminal library checks the payment again when it is taken (limits, partial payment,
rounding); this only tells the collector what will happen.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.terminal.accounts import AccountView


@dataclass(frozen=True, slots=True)
class PaymentDraft:
    """``cash`` the customer pays; ``tendered`` the notes handed over (``None``: exactly cash)."""

    view: AccountView
    cash: int
    round_up: bool
    tendered: int | None = None

    @property
    def due(self) -> int:
        """应缴: what settles everything now."""
        return self.view.total_due

    @property
    def rounding(self) -> int:
        """调尾: the 角/分 taken to the next whole yuan, kept as a rounding credit."""
        return self.view.round_up if self.round_up else 0

    @property
    def prepay(self) -> int:
        """预存: what goes to the prepaid balance beyond the arrears and the rounding."""
        return max(0, self.cash - self.due - self.rounding)

    @property
    def still_owed(self) -> int:
        """What a partial payment leaves owed (0 when it settles everything)."""
        return max(0, self.due - self.cash)

    @property
    def change(self) -> int:
        """找零: the notes handed over less the amount paid."""
        return 0 if self.tendered is None else max(0, self.tendered - self.cash)
