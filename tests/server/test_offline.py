"""Offline payments uploaded against the hold: cash date honoured, never refused for money."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from gridpos.adapters.db.tables import agents, customers, holds, payments
from gridpos.protocol.signing import receipt_code
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import OfflinePayment, OfflineUploadRequest
from gridpos.protocol.terminal.session import SignOutRequest

from .helpers import payment, sign_in
from .support import FLOAT, TERMINAL2, County, SignedClient


def _offline(
    client: SignedClient, account_no: str, cash: int, at: datetime, seq: int, **extra: object
) -> OfflinePayment:
    txn = client.txn_id()
    return OfflinePayment(
        txn_id=txn,
        trace_no=seq,
        account_no=account_no,
        cash=cash,
        amount_due=extra.pop("due", cash),
        cash_time=at,
        offline_seq=seq,
        verification_code=receipt_code(
            key=client.key, txn_id=txn, account_no=account_no, cash=cash
        ),
        **extra,
    )


def test_offline_upload_after_the_receivable_was_paid_elsewhere_becomes_prepaid(
    county: County,
) -> None:
    offline = county.client()
    online = county.client(TERMINAL2)  # the same agent's other terminal, with a link
    sign_in(offline, offline_allowance=50_000)
    sign_in(online)
    # offline at 08:00 county time on 2024-04-25: March 5 days late → 0.40 yuan → 1 yuan minimum
    at = datetime(2024, 4, 25, 0, 0, tzinfo=UTC)
    cash_payment = _offline(offline, "0100000001", 8100, at, 1, due=17100)
    # meanwhile the customer paid everything at the other terminal
    online.ok(routes.PAY, payment(online, "0100000001", 17100, 17100))
    answer = offline.ok(routes.OFFLINE_UPLOAD, OfflineUploadRequest(payments=(cash_payment,)))
    assert [(r.txn_id, r.state) for r in answer.results] == [(cash_payment.txn_id, "confirmed")]
    assert (answer.float_available, answer.float_held) == (50_000 - 17100, 50_000 - 8100)
    with county.services.engine.connect() as conn:
        prepaid = conn.execute(
            select(customers.c.prepaid).where(customers.c.id == county.ids["c1"])
        ).scalar_one()
        row = conn.execute(select(payments).where(payments.c.txn_id == cash_payment.txn_id)).one()
        used = conn.execute(select(holds.c.used)).scalar_one()
    assert prepaid == 8100
    assert row.offline
    assert row.business_date.isoformat() == "2024-04-25"
    assert used == 8100
    # uploading again answers the same result, nothing twice
    again = offline.ok(routes.OFFLINE_UPLOAD, OfflineUploadRequest(payments=(cash_payment,)))
    assert again.results[0].state == "confirmed"
    assert again.float_held == 50_000 - 8100
    out = offline.ok(routes.SIGN_OUT, SignOutRequest(batch_no=1))
    assert out.released == 50_000 - 8100
    county.verify()


def test_the_penalty_stops_on_the_cash_date(county: County) -> None:
    client = county.client()
    sign_in(client, offline_allowance=20_000)
    # 2024-04-10: 10 days late for 123.45 at 2‰ → 246.9 → 247 fen
    at = datetime(2024, 4, 10, 2, 0, tzinfo=UTC)
    upload = _offline(client, "0100000002", 12345 + 247, at, 1)
    answer = client.ok(routes.OFFLINE_UPLOAD, OfflineUploadRequest(payments=(upload,)))
    assert answer.results[0].state == "confirmed"
    with county.services.engine.connect() as conn:
        row = conn.execute(select(payments).where(payments.c.txn_id == upload.txn_id)).one()
    assert (row.penalty_total, row.principal_total, row.prepaid_added) == (247, 12345, 0)
    county.verify()


def test_limits_and_forged_codes_are_refused_one_by_one(county: County) -> None:
    client = county.client()
    sign_in(client, offline_allowance=10_000)
    at = datetime(2024, 5, 1, 0, 10, tzinfo=UTC)
    good = _offline(client, "0100000003", 3000, at, 1)
    forged = _offline(client, "0100000003", 3000, at, 2).model_copy(
        update={"verification_code": "00000000"}
    )
    beyond = _offline(client, "0100000003", 9000, at, 3)
    answer = client.ok(routes.OFFLINE_UPLOAD, OfflineUploadRequest(payments=(good, forged, beyond)))
    assert [r.state for r in answer.results] == ["confirmed", "rejected", "rejected"]
    assert answer.results[1].error.field == "pays.1.vc"
    assert answer.results[2].error.code == "offline_allowance_exceeded"
    with county.services.engine.connect() as conn:
        assert (
            conn.execute(
                select(agents.c.float_held).where(agents.c.id == county.ids["agent"])
            ).scalar_one()
            == 7000
        )
        assert (
            conn.execute(
                select(agents.c.float_available).where(agents.c.id == county.ids["agent"])
            ).scalar_one()
            == FLOAT - 10_000
        )
    county.verify()
