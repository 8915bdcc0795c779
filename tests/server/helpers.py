"""Steps the payment tests share: sign in, build a payment."""

from __future__ import annotations

from typing import Any

from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import PayRequest
from gridpos.protocol.terminal.session import SignInAnswer, SignInRequest

from .support import START, SignedClient

COLLECTORS = {"A001": ("pw-A001", "3408280101"), "A002": ("pw-A002", "3408280102")}


def sign_in(client: SignedClient, agent: str = "A001", **extra: Any) -> SignInAnswer:
    password, org = COLLECTORS[agent]
    answer: SignInAnswer = client.ok(
        routes.SIGN_IN,
        SignInRequest(agent_account=agent, password=password, organisation_code=org, **extra),
    )
    return answer


def payment(client: SignedClient, account_no: str, cash: int, due: int, **extra: Any) -> PayRequest:
    return PayRequest(
        txn_id=extra.pop("txn_id", None) or client.txn_id(),
        trace_no=extra.pop("trace_no", 1),
        account_no=account_no,
        cash=cash,
        amount_due=due,
        cash_time=extra.pop("cash_time", START),
        **extra,
    )
