"""Reversal (冲正) and void (撤销): same day, own terminal, float and allocation put back."""

from __future__ import annotations

from sqlalchemy import func, select

from gridpos.adapters.db.tables import agents, outbox, payment_undos, receivables
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import PaymentStatusQuery, ReverseRequest, VoidRequest

from .helpers import payment, sign_in
from .support import DAY, FLOAT, TERMINAL_B, County


def _float(county: County) -> int:
    with county.services.engine.connect() as conn:
        return int(
            conn.execute(
                select(agents.c.float_available).where(agents.c.id == county.ids["agent"])
            ).scalar_one()
        )


def test_a_reversal_puts_the_float_and_the_receivables_back(county: County) -> None:
    client = county.client()
    sign_in(client)
    pay = payment(client, "0100000001", 17100, 17100, trace_no=7)
    client.ok(routes.PAY, pay)
    assert _float(county) == FLOAT - 17100
    reverse = ReverseRequest(
        txn_id=pay.txn_id, trace_no=7, business_date=DAY, cash=17100, reversal_trace_no=8
    )
    mismatch = client.refused(routes.REVERSE, reverse.model_copy(update={"cash": 17000}))
    assert mismatch["code"] == "reversal_mismatch"
    answer = client.ok(routes.REVERSE, reverse)
    assert (answer.state, answer.tombstone, answer.float_available) == ("reversed", False, FLOAT)
    again = client.ok(routes.REVERSE, reverse)
    assert again.undone_at == answer.undone_at
    assert (
        client.ok(routes.PAYMENT_STATUS, PaymentStatusQuery(txn_id=pay.txn_id)).state == "reversed"
    )
    # the repeat of the payment answers its receipt, now reversed, and takes nothing
    assert client.ok(routes.PAY, pay).state == "reversed"
    assert _float(county) == FLOAT
    with county.services.engine.connect() as conn:
        paid = conn.execute(
            select(receivables.c.principal_paid, receivables.c.settle_state).where(
                receivables.c.customer_id == county.ids["c1"]
            )
        ).all()
        assert [tuple(row) for row in paid] == [(0, "unpaid"), (0, "unpaid")]
        assert (
            conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.topic == "mis.reverse")
            ).scalar_one()
            == 1
        )
    county.verify()


def test_a_reversal_before_its_payment_leaves_a_tombstone_and_the_late_payment_is_refused(
    county: County,
) -> None:
    client = county.client()
    sign_in(client)
    pay = payment(client, "0100000001", 17100, 17100, trace_no=3)
    reverse = ReverseRequest(
        txn_id=pay.txn_id, trace_no=3, business_date=DAY, cash=17100, reversal_trace_no=4
    )
    answer = client.ok(routes.REVERSE, reverse)
    assert (answer.state, answer.tombstone, answer.float_available) == ("reversed", True, FLOAT)
    assert client.ok(routes.REVERSE, reverse).tombstone is True
    assert client.refused(routes.PAY, pay)["code"] == "payment_already_reversed"
    assert (
        client.ok(routes.PAYMENT_STATUS, PaymentStatusQuery(txn_id=pay.txn_id)).state == "reversed"
    )
    assert _float(county) == FLOAT
    county.verify()


def test_another_terminals_payment_cannot_be_reversed_or_voided(county: County) -> None:
    client = county.client()
    other = county.client(TERMINAL_B)
    sign_in(client)
    sign_in(other, "A002")
    pay = payment(other, "0100000001", 17100, 17100)
    other.ok(routes.PAY, pay)
    reverse = ReverseRequest(
        txn_id=pay.txn_id, trace_no=1, business_date=DAY, cash=17100, reversal_trace_no=2
    )
    assert client.refused(routes.REVERSE, reverse)["code"] == "reversal_other_terminal"
    void = VoidRequest(
        txn_id=pay.txn_id,
        trace_no=1,
        business_date=DAY,
        cash=17100,
        void_trace_no=2,
        supervisor="zhang",
        supervisor_password="sup-pw",
    )
    assert client.refused(routes.VOID, void)["code"] == "reversal_other_terminal"
    assert (
        client.refused(routes.PAYMENT_STATUS, PaymentStatusQuery(txn_id=pay.txn_id))["code"]
        == "payment_not_found"
    )
    county.verify()


def test_a_void_needs_a_supervisor_of_the_station_with_the_right_password(county: County) -> None:
    client = county.client()
    sign_in(client)
    pay = payment(client, "0100000002", 13110, 13110, trace_no=5)
    client.ok(routes.PAY, pay)
    void = VoidRequest(
        txn_id=pay.txn_id,
        trace_no=5,
        business_date=DAY,
        cash=13110,
        void_trace_no=6,
        supervisor="zhang",
        supervisor_password="wrong",
    )
    assert client.refused(routes.VOID, void)["code"] == "supervisor_credential_wrong"
    other_station = void.model_copy(update={"supervisor": "wu", "supervisor_password": "sup-pw"})
    assert client.refused(routes.VOID, other_station)["code"] == "supervisor_credential_wrong"
    yesterday = void.model_copy(
        update={"business_date": DAY.replace(day=1, month=4), "supervisor_password": "sup-pw"}
    )
    assert client.refused(routes.VOID, yesterday)["code"] == "void_not_same_day"
    answer = client.ok(routes.VOID, void.model_copy(update={"supervisor_password": "sup-pw"}))
    assert (answer.state, answer.float_available) == ("voided", FLOAT)
    by_admin = void.model_copy(update={"supervisor": "admin", "supervisor_password": "admin-pw"})
    assert client.ok(routes.VOID, by_admin).state == "voided"  # answered again, not voided twice
    with county.services.engine.connect() as conn:
        undo = conn.execute(select(payment_undos)).one()
    assert (undo.kind, undo.approved_by, undo.requested_by) == (
        "void",
        county.ids["head"],
        county.ids["collector"],
    )
    reverse = ReverseRequest(
        txn_id=pay.txn_id, trace_no=5, business_date=DAY, cash=13110, reversal_trace_no=9
    )
    assert client.refused(routes.REVERSE, reverse)["code"] == "payment_state_conflict"
    county.verify()
