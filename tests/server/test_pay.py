"""Paying, exactly once: worked examples with hand-computed figures, repeats, refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from gridpos.adapters.db.tables import agents, outbox, payments, receivables
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountQuery
from gridpos.protocol.terminal.payments import PaymentStatusQuery, PayRequest
from gridpos.protocol.terminal.session import SignInRequest

from .support import FLOAT, START, County, SignedClient


def sign_in(client: SignedClient, **extra: object) -> object:
    return client.ok(
        routes.SIGN_IN,
        SignInRequest(
            agent_account="A001", password="pw-A001", organisation_code="3408280101", **extra
        ),
    )


def pay(client: SignedClient, account_no: str, cash: int, due: int, **extra: object) -> PayRequest:
    return PayRequest(
        txn_id=extra.pop("txn_id", None) or client.txn_id(),
        trace_no=extra.pop("trace_no", 1),
        account_no=account_no,
        cash=cash,
        amount_due=due,
        cash_time=START,
        **extra,
    )


def test_a_residential_customer_pays_two_months_with_the_minimum_penalty(county: County) -> None:
    client = county.client()
    sign_in(client)
    account = client.ok(routes.ACCOUNT, AccountQuery(account_no="0100000001"))
    # March: 80.00 due 2024-04-20, 11 days late at 1‰ = 0.88 yuan → the 1-yuan minimum
    assert [(line.period, line.principal, line.penalty) for line in account.lines] == [
        ("202403", 8000, 100),
        ("202404", 9000, 0),
    ]
    assert account.total_due == 17100
    assert account.round_up == 0
    request = pay(client, "0100000001", 17100, 17100)
    receipt = client.ok(routes.PAY, request)
    assert receipt.cash == 17100
    assert [(line.period, line.principal, line.penalty) for line in receipt.lines] == [
        ("202403", 8000, 100),
        ("202404", 9000, 0),
    ]
    assert receipt.prepaid_after == 0
    assert receipt.float_available == FLOAT - 17100
    assert receipt.company == "岳西县供电公司"
    assert receipt.station == "天堂供电所"
    with county.services.engine.connect() as conn:
        assert (
            conn.execute(
                select(agents.c.float_available).where(agents.c.id == county.ids["agent"])
            ).scalar_one()
            == FLOAT - 17100
        )
        states = (
            conn.execute(
                select(receivables.c.settle_state).where(
                    receivables.c.customer_id == county.ids["c1"]
                )
            )
            .scalars()
            .all()
        )
        assert states == ["settled", "settled"]
        assert (
            conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.topic == "mis.post")
            ).scalar_one()
            == 1
        )
    county.verify()


def test_a_repeat_answers_the_stored_receipt_and_moves_no_money(county: County) -> None:
    client = county.client()
    sign_in(client)
    request = pay(client, "0100000001", 17100, 17100)
    first = client.ok(routes.PAY, request)
    second = client.ok(routes.PAY, request)
    assert second.model_copy(update={"float_available": None}) == first.model_copy(
        update={"float_available": None}
    )
    status = client.ok(routes.PAYMENT_STATUS, PaymentStatusQuery(txn_id=request.txn_id))
    assert status.state == "confirmed"
    assert status.receipt.verification_code == first.verification_code
    with county.services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 1
    refused = client.refused(
        routes.PAY, request.model_copy(update={"cash": 17200, "amount_due": 17100})
    )
    assert refused["code"] == "txn_id_reused"
    county.verify()


def test_a_non_residential_customer_rounds_up_and_keeps_the_rounding_credit(county: County) -> None:
    client = county.client()
    sign_in(client)
    account = client.ok(routes.ACCOUNT, AccountQuery(account_no="0100000002"))
    # 123.45 due 2024-03-31; 31 days at 2‰ = 765.39 fen → 765; due 131.10, round up 0.90
    assert account.lines[0].penalty == 765
    assert (account.total_due, account.round_up) == (13110, 90)
    receipt = client.ok(routes.PAY, pay(client, "0100000002", 13200, 13110, round_up=90))
    assert (receipt.rounding_credit_before, receipt.rounding_credit_after) == (0, 90)
    assert receipt.prepaid_after == 0
    wrong = client.refused(routes.PAY, pay(client, "0100000002", 13200, 13110, round_up=50))
    assert wrong["code"] == "amount_due_changed"  # the first payment settled everything
    county.verify()


def test_refusals_change_nothing(county: County) -> None:
    client = county.client()
    assert (
        client.refused(routes.PAY, pay(client, "0100000001", 17100, 17100))["code"]
        == "not_signed_in"
    )
    sign_in(client)
    cases = {
        "account_unknown": pay(client, "0999999999", 100, 0),
        "account_other_county": pay(client, "0200000001", 5000, 5000),
        "amount_due_changed": pay(client, "0100000001", 17100, 17000),
        "amount_below_due": pay(client, "0100000001", 17000, 17100),
    }
    for code, request in cases.items():
        assert client.refused(routes.PAY, request)["code"] == code
    with county.services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 0
        assert (
            conn.execute(
                select(agents.c.float_available).where(agents.c.id == county.ids["agent"])
            ).scalar_one()
            == FLOAT
        )
    county.verify()


def test_the_float_cannot_go_below_zero(county: County) -> None:
    client = county.client()
    sign_in(client)
    refused = client.refused(routes.PAY, pay(client, "0100000003", FLOAT + 1, 0))
    assert refused["code"] == "float_insufficient"
    assert "1000.00" in refused["message_en"]
    receipt = client.ok(routes.PAY, pay(client, "0100000003", FLOAT, 0))
    assert receipt.prepaid_after == FLOAT
    assert receipt.float_available == 0
    county.verify()
