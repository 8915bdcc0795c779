"""Account query (欠费查询) and the offline arrears download of an area.

The account answer gives the terminal everything it shows before taking cash: name, address,
category, every open receivable with its principal and its penalty as of the business date, the
prepaid balance and rounding credit, the total due and the round-up. ``total_due`` is what the
customer must pay now (arrears less prepaid balance and rounding credit, never below zero);
``round_up`` is the 角/分 to add to reach the next whole yuan (0–99), so rounding up means paying
``total_due + round_up``, and the ``round_up`` part becomes the new rounding credit.

When the MIS cannot be reached the server answers from its replica, sets ``synced_at`` to the
replica's last sync and adds the ``mis_unavailable`` notice.

The arrears download fills the terminal's offline store at sign-in: page by page (``after`` = the
last customer number received), the open receivables of the customers of an area (a village or
台区 code; the collection point's own area when left out). Penalties are as of the business date;
the terminal recomputes them on the cash date from ``due_date`` when it collects offline.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from gridpos.protocol.errors import ErrorBody
from gridpos.protocol.fields import (
    AccountNo,
    Address,
    Code,
    Count,
    Fen,
    FromDigits,
    Name,
    Period,
    RoundUpFen,
    TotalFen,
    UnixTime,
    WireCategory,
    WireDate,
)
from gridpos.protocol.messages import WireAnswer, WireParams

MAX_ARREARS_PAGE = 100
"""Customers per arrears page: a page with a year of arrears each stays under 128 KB."""
BillingRun = Annotated[int, Field(strict=True, ge=1, le=99)]


class AccountQuery(WireParams):
    """``GET /t/v1/acct/{acct}``: the customer number in the path."""

    account_no: AccountNo = Field(alias="acct")


class ReceivableLine(WireAnswer):
    """One open receivable: billing month and run, kWh, principal still owed, penalty today."""

    period: Period
    run: BillingRun = 1
    kwh: Count
    principal: Fen = Field(alias="prin")
    penalty: Fen = Field(default=0, alias="pen")
    due_date: WireDate = Field(alias="dd")


class AccountAnswer(WireAnswer):
    """What the terminal shows before it takes cash."""

    account_no: AccountNo = Field(alias="acct")
    name: Name
    address: Address = Field(alias="addr")
    category: WireCategory = Field(alias="cat")
    business_date: WireDate = Field(alias="bd")
    lines: tuple[ReceivableLine, ...] = ()
    # balances as the replica holds them: the MIS keeps what it keeps (a rounding credit of more
    # than 99 fen, carried over several months, is not refused here)
    prepaid: TotalFen = Field(default=0, alias="pre")
    rounding_credit: TotalFen = Field(default=0, alias="rc")
    total_due: Fen = Field(alias="due")
    round_up: RoundUpFen = Field(default=0, alias="round")
    synced_at: UnixTime | None = Field(default=None, alias="sync")
    notices: tuple[ErrorBody, ...] = Field(default=(), alias="note")


class ArrearsQuery(WireParams):
    """``GET /t/v1/arrears?area=&after=&n=``: one page of an area's arrears."""

    area: Code | None = None
    after: AccountNo | None = None
    limit: Annotated[int, FromDigits, Field(strict=True, ge=1, le=MAX_ARREARS_PAGE)] = Field(
        default=50, alias="n"
    )


class OfflineAccount(WireAnswer):
    """A customer as the terminal keeps it for offline collection."""

    account_no: AccountNo = Field(alias="acct")
    name: Name
    address: Address = Field(alias="addr")
    category: WireCategory = Field(alias="cat")
    lines: tuple[ReceivableLine, ...] = ()
    prepaid: TotalFen = Field(default=0, alias="pre")
    rounding_credit: TotalFen = Field(default=0, alias="rc")


class ArrearsAnswer(WireAnswer):
    """A page of arrears in customer-number (string) order; ``next`` is the ``after`` of the next
    page, absent on the last."""

    business_date: WireDate = Field(alias="bd")
    area: Code
    accounts: tuple[OfflineAccount, ...] = Field(default=(), alias="accts")
    next_after: AccountNo | None = Field(default=None, alias="next")
