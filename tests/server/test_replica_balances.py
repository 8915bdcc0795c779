"""Balances the replica holds beyond what a payment makes: answered and paid, never a failure.

A rounding credit (调尾) made by our own payments stays under one yuan, but the MIS keeps what it
keeps — 1.50 yuan carried over months, say — and the account answer and the receipt say so.
"""

from __future__ import annotations

from sqlalchemy import update

from gridpos.adapters.db.tables import customers
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountQuery

from .helpers import payment, sign_in
from .support import County


def test_a_rounding_credit_above_one_yuan_is_shown_and_kept(county: County) -> None:
    with county.services.engine.begin() as conn:
        conn.execute(
            update(customers)
            .where(customers.c.id == county.ids["c3"])
            .values(rounding_credit=150, prepaid=120_000_000_000)
        )
    client = county.client()
    sign_in(client)
    account = client.ok(routes.ACCOUNT, AccountQuery(account_no="0100000003"))
    assert (account.rounding_credit, account.prepaid, account.total_due) == (
        150,
        120_000_000_000,
        0,
    )
    receipt = client.ok(routes.PAY, payment(client, "0100000003", 500, 0))
    assert (receipt.rounding_credit_before, receipt.rounding_credit_after) == (150, 150)
    assert (receipt.prepaid_before, receipt.prepaid_after) == (120_000_000_000, 120_000_000_500)
