"""Sign-in: each wrong credential its own code, lockout, the offline hold; sign-out releases it."""

from __future__ import annotations

from sqlalchemy import select

from gridpos.adapters.db.tables import agents, holds
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountQuery
from gridpos.protocol.terminal.payments import PayRequest
from gridpos.protocol.terminal.session import SignInRequest, SignOutRequest

from .support import DAY, FLOAT, County


def _request(**changes: object) -> SignInRequest:
    values: dict[str, object] = {
        "agent_account": "A001",
        "password": "pw-A001",
        "organisation_code": "3408280101",
    }
    values.update(changes)
    return SignInRequest(**values)  # type: ignore[arg-type]


def _float(county: County) -> tuple[int, int]:
    with county.services.engine.connect() as conn:
        row = conn.execute(select(agents).where(agents.c.id == county.ids["agent"])).one()
    return int(row.float_available), int(row.float_held)


def test_wrong_account_password_and_organisation_each_have_their_code(county: County) -> None:
    client = county.client()
    assert (
        client.refused(routes.SIGN_IN, _request(agent_account="A999"))["code"]
        == "agent_account_unknown"
    )
    wrong = client.refused(routes.SIGN_IN, _request(password="nope"))
    assert wrong["code"] == "password_wrong"
    assert wrong["details"]["attempts_left"] == 4
    assert (
        client.refused(routes.SIGN_IN, _request(organisation_code="34080001"))["code"]
        == "organisation_wrong"
    )
    # the county's code is an organisation above the collector's: accepted
    answer = client.ok(routes.SIGN_IN, _request(organisation_code="340828"))
    assert answer.business_date == DAY
    assert answer.batch_no == 1
    assert answer.params.company == "岳西县供电公司"
    assert answer.float_available == FLOAT


def test_five_wrong_passwords_lock_the_collector(county: County) -> None:
    client = county.client()
    for left in (4, 3, 2, 1, 0):
        assert (
            client.refused(routes.SIGN_IN, _request(password="x"))["details"]["attempts_left"]
            == left
        )
    assert client.refused(routes.SIGN_IN, _request())["code"] == "operator_locked"
    county.clock.advance(minutes=16)
    client.ok(routes.SIGN_IN, _request())


def test_a_collector_of_another_point_cannot_sign_in_here(county: County) -> None:
    client = county.client()
    refused = client.refused(
        routes.SIGN_IN,
        _request(agent_account="A002", password="pw-A002", organisation_code="3408280102"),
    )
    assert refused["code"] == "organisation_wrong"


def test_the_offline_allowance_is_held_and_sign_out_releases_it(county: County) -> None:
    client = county.client()
    answer = client.ok(routes.SIGN_IN, _request(offline_allowance=30_000))
    assert (answer.offline_allowance, answer.float_available, answer.float_held) == (
        30_000,
        70_000,
        30_000,
    )
    assert _float(county) == (70_000, 30_000)
    # signing in again with a larger allowance holds only the difference
    again = client.ok(routes.SIGN_IN, _request(offline_allowance=40_000))
    assert (again.offline_allowance, again.float_held) == (40_000, 40_000)
    short = client.refused(routes.SIGN_IN, _request(offline_allowance=FLOAT + 1))
    assert (short["code"], short["field"]) == ("float_insufficient", "off")
    over_max = client.refused(routes.SIGN_IN, _request(offline_allowance=2_000_001))
    assert over_max["code"] == "offline_allowance_exceeded"
    out = client.ok(routes.SIGN_OUT, SignOutRequest(batch_no=1))
    assert (out.released, out.float_available, out.float_held) == (40_000, FLOAT, 0)
    with county.services.engine.connect() as conn:
        assert conn.execute(select(holds.c.state)).scalars().all() == ["closed"]
    assert client.refused(routes.SIGN_OUT, SignOutRequest(batch_no=1))["code"] == "not_signed_in"
    county.verify()


def test_sign_out_keeps_the_hold_while_offline_payments_wait(county: County) -> None:
    client = county.client()
    client.ok(routes.SIGN_IN, _request(offline_allowance=20_000))
    assert client.refused(routes.SIGN_OUT, SignOutRequest(batch_no=2))["code"] == "batch_mismatch"
    out = client.ok(routes.SIGN_OUT, SignOutRequest(batch_no=1, offline_pending=3))
    assert out.released == 0
    assert out.float_held == 20_000
    county.verify()


def test_an_old_sign_in_expires_and_a_past_day_is_closed(county: County) -> None:
    client = county.client()
    client.ok(routes.SIGN_IN, _request())
    county.clock.advance(hours=16)  # 00:30 the next day in the county
    pay = PayRequest(
        txn_id=client.txn_id(),
        trace_no=1,
        account_no="0100000003",
        cash=100,
        amount_due=0,
        cash_time=county.clock.now(),
    )
    assert client.refused(routes.PAY, pay)["code"] == "session_expired"
    client.ok(routes.SIGN_IN, _request())
    county.clock.advance(hours=1)
    client.ok(routes.ACCOUNT, AccountQuery(account_no="0100000001"))
