"""Amounts, dates and the link as the screen writes them: integer fen in, text out.

Amounts come from :mod:`gridpos.domain.money` (``format_yuan``, ``capital_numerals``,
``parse_yuan``); a float never appears. Typed amounts are read with ``parse_yuan``, which names
what is wrong with them in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridpos.domain.money import capital_numerals, format_yuan, parse_yuan
from gridpos.terminal.client import LinkState, LinkStatus
from gridpos.terminal.config import CHINA_TIME
from gridpos.terminal.ui.strings import Texts


def yuan(fen: int) -> str:
    """``123456 -> "1,234.56"`` (thousands grouped, two decimals)."""
    return format_yuan(fen, grouping=True)


def capital(fen: int) -> str:
    """大写 of an amount: ``9200 -> "玖拾贰元整"``."""
    return capital_numerals(fen)


def read_amount(text: str, *, field: str, optional: bool = False) -> int | None:
    """A typed amount of yuan in fen; ``None`` for an empty optional field.

    Raises:
        MoneyError: ``money_invalid``, ``money_negative``, ``money_zero``,
            ``money_too_many_decimals``, ``money_over_ceiling`` — named for ``field``.
    """
    if optional and not text.strip():
        return None
    return parse_yuan(text, field=field)


def read_count(text: str, *, field: str) -> int:
    """A counted amount of cash in fen: zero is allowed (an empty drawer).

    Raises:
        MoneyError: as :func:`read_amount`, except ``money_zero``.
    """
    return parse_yuan(text, field=field, allow_zero=True)


def local_time(moment: datetime) -> str:
    """An instant as the county reads it: ``"08:30:05"``."""
    return moment.astimezone(CHINA_TIME).strftime("%H:%M:%S")


@dataclass(frozen=True, slots=True)
class LinkText:
    """The link indicator: its words and the style class it is drawn with."""

    text: str
    style: str


def link_text(state: LinkState, texts: Texts) -> LinkText:
    """The indicator for a link state: online / slow with the round trip, or offline."""
    if state.status is LinkStatus.OFFLINE:
        if state.checked_at is None:
            return LinkText(texts("link.unchecked"), "link-offline")
        return LinkText(texts("link.offline"), "link-offline")
    rtt = state.rtt_ms if state.rtt_ms is not None else 0
    if state.status is LinkStatus.SLOW:
        return LinkText(texts("link.slow", rtt=rtt), "link-slow")
    return LinkText(texts("link.online", rtt=rtt), "link-online")
