"""What the confirm step and the status bar compute and write, with hand-worked numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.money import MoneyError
from gridpos.terminal import AccountView, LinkState, LinkStatus
from gridpos.terminal.accounts import ReceivableView
from gridpos.terminal.ui.draft import PaymentDraft
from gridpos.terminal.ui.figures import (
    capital,
    link_text,
    local_time,
    read_amount,
    read_count,
    yuan,
)
from gridpos.terminal.ui.strings import Language, Texts

ZH, EN = Texts(Language.ZH), Texts(Language.EN)
NOW = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


def _view(*, total_due: int, round_up: int) -> AccountView:
    return AccountView(
        account_no="0300000001",
        name="程小梅",
        address="天堂镇黄尾村5组",
        category=CustomerCategory.RESIDENTIAL,
        business_date=date(2024, 5, 1),
        lines=(ReceivableView("202403", 1, 159, 9000, 180, date(2024, 4, 11)),),
        prepaid=0,
        rounding_credit=0,
        total_due=total_due,
        round_up=round_up,
        offline=False,
        as_of=date(2024, 5, 1),
    )


def test_rounding_up_with_a_100_yuan_note() -> None:
    # due 91.80, 取整 → 92.00: 调尾 0.20, nothing to prepaid, 100.00 handed over → 8.00 change
    draft = PaymentDraft(
        _view(total_due=9180, round_up=20), cash=9200, round_up=True, tendered=10000
    )
    assert (draft.due, draft.rounding, draft.prepay, draft.change, draft.still_owed) == (
        9180,
        20,
        0,
        800,
        0,
    )


def test_paying_more_than_due_goes_to_prepaid() -> None:
    # due 91.80, pays 100.00 without 取整: 8.20 to prepaid, no rounding credit, no change
    draft = PaymentDraft(_view(total_due=9180, round_up=20), cash=10000, round_up=False)
    assert (draft.rounding, draft.prepay, draft.change) == (0, 820, 0)


def test_rounding_up_and_prepaying_together() -> None:
    # due 91.80 rounded to 92.00 (调尾 0.20) and 100.00 paid: 8.00 to prepaid
    draft = PaymentDraft(_view(total_due=9180, round_up=20), cash=10000, round_up=True)
    assert (draft.rounding, draft.prepay) == (20, 800)


def test_a_partial_payment_leaves_the_rest_owed() -> None:
    draft = PaymentDraft(_view(total_due=9180, round_up=20), cash=5000, round_up=False)
    assert (draft.still_owed, draft.prepay, draft.rounding) == (4180, 0, 0)


def test_amounts_are_written_from_integer_fen() -> None:
    assert yuan(123456) == "1,234.56"
    assert yuan(5) == "0.05"
    assert capital(9200) == "玖拾贰元整"
    assert capital(9180) == "玖拾壹元捌角"
    assert local_time(NOW) == "08:30:00"


def test_typed_amounts_are_read_as_fen_or_refused_by_name() -> None:
    assert read_amount("92", field="cash") == 9200
    assert read_amount("１２.５", field="cash") == 1250  # full-width from an input method
    assert read_amount("  ", field="tendered", optional=True) is None
    assert read_count("0", field="cash_counted") == 0
    with pytest.raises(MoneyError) as refused:
        read_amount("12ab", field="cash")
    assert (refused.value.code, refused.value.field) == ("money_invalid", "cash")
    with pytest.raises(MoneyError) as refused:
        read_amount("0", field="cash")
    assert refused.value.code == "money_zero"


@pytest.mark.parametrize(
    ("state", "zh", "en", "style"),
    [
        (
            LinkState(LinkStatus.OFFLINE, None, None, 0),
            "○ 未联络",
            "○ not checked yet",
            "link-offline",
        ),
        (LinkState(LinkStatus.OFFLINE, 480, NOW, 2), "○ 脱机", "○ offline", "link-offline"),
        (
            LinkState(LinkStatus.ONLINE, 480, NOW, 0),
            "● 在线 480毫秒",
            "● online 480 ms",
            "link-online",
        ),
        (
            LinkState(LinkStatus.SLOW, 3600, NOW, 0),
            "◐ 慢速 3600毫秒",
            "◐ slow 3600 ms",
            "link-slow",
        ),
    ],
)
def test_the_link_indicator(state: LinkState, zh: str, en: str, style: str) -> None:
    assert link_text(state, ZH).text == zh
    assert link_text(state, EN).text == en
    assert link_text(state, ZH).style == style
