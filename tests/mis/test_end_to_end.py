"""From the MIS to the terminal and back: a county imported and synced from the reference MIS, a
demo collection point, a signed terminal paying through the terminal API (its account queries
refreshed from the MIS, or from the replica while the MIS is down), a reversal, and the outbox
delivered to the MIS exactly once when it is back."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from gridpos.adapters.db.tables import outbox, receivables
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.account_refresh import MisAccountRefresher
from gridpos.application.audit_verify import verify_database
from gridpos.application.demo_setup import demo_password, set_up_demo
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.organisation_import import import_organisation
from gridpos.application.outbox_delivery import deliver_due
from gridpos.application.terminals.enrolment import enrol, issue_enrolment_code
from gridpos.cli import app
from gridpos.interfaces.http.app import create_app
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountAnswer, AccountQuery
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest, ReverseRequest
from gridpos.protocol.terminal.session import SignInRequest
from server.support import FakeClock, SignedClient, make_services

from .county import add_worked_customers, bill
from .harness import RunningMis
from .test_demo_setup import CHEAP

A, C, D = "0100100001", "0200100001", "0200100002"
TERMINAL, AGENT, POINT = "28010001", "A340828011", "3408280101"


def _open_principal(engine: Engine) -> dict[str, tuple[int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                receivables.c.mis_receivable_id,
                receivables.c.principal,
                receivables.c.principal_paid,
            )
        )
        return {row.mis_receivable_id: (row.principal, row.principal_paid) for row in rows}


def test_terminal_payments_reach_the_mis_once_through_an_outage(
    server_engine: Engine, mis: RunningMis
) -> None:
    clock = FakeClock(datetime(2026, 4, 10, 1, 0, tzinfo=UTC))  # 09:00 in the county
    add_worked_customers(mis)
    bill(mis, "202601")
    bill(mis, "202602")
    with mis.client() as client:
        import_organisation(server_engine, client, clock=clock)
        sync_from_mis(server_engine, client, clock=clock)
        set_up_demo(server_engine, clock=clock, hasher=CHEAP)
        bill(mis, "202603")  # after the sync: only a refresh can show it
        services = dataclasses.replace(
            make_services(server_engine, clock),
            refresher=MisAccountRefresher(
                engine=server_engine, client=client, clock=clock, timeout_s=2.0
            ),
        )
        code = f"{uuid.uuid4().int % 10**12:012d}"
        issue_enrolment_code(services, terminal_no=TERMINAL, code=code, actor="test")
        key = uuid.uuid4().bytes + uuid.uuid4().bytes
        enrol(services, EnrolRequest(code=code, device_serial="SN-9", version="1.0.0"), new_key=key)

        with TestClient(create_app(services)) as http:
            pos = SignedClient(http=http, terminal_no=TERMINAL, key=key, clock=clock)  # type: ignore[arg-type]
            pos.ok(
                routes.SIGN_IN,
                SignInRequest(
                    agent_account=AGENT,
                    password=demo_password("gridpos-demo", AGENT),
                    organisation_code=POINT,
                ),
            )
            # refreshed from the MIS: the March bill billed after the sync is there
            a: AccountAnswer = pos.ok(routes.ACCOUNT, AccountQuery(account_no=A))
            assert [line.period for line in a.lines] == ["202601", "202602", "202603"]
            assert a.total_due == 8480 + 110234 + 18159
            assert not a.notices
            paid_a: PayAnswer = pos.ok(routes.PAY, _pay(pos, A, a.total_due, trace=1))

            mis.set_faults("down")  # collection goes on from the replica
            c: AccountAnswer = pos.ok(routes.ACCOUNT, AccountQuery(account_no=C))
            assert c.total_due == 77600 + 38800  # March is not in the replica yet
            assert [n.code for n in c.notices] == ["mis_unavailable"]
            pos.ok(routes.PAY, _pay(pos, C, c.total_due, trace=2))
            d: AccountAnswer = pos.ok(routes.ACCOUNT, AccountQuery(account_no=D))
            d_pay = _pay(pos, D, d.total_due, trace=3)
            pos.ok(routes.PAY, d_pay)
            pos.ok(
                routes.REVERSE,
                ReverseRequest(
                    txn_id=d_pay.txn_id,
                    trace_no=3,
                    business_date=a.business_date,
                    cash=d.total_due,
                    reversal_trace_no=4,
                ),
            )
        report = deliver_due(server_engine, client, clock=clock, jitter=lambda: 0.0)
        assert report.mis_unavailable
        assert report.sent == 0
        assert mis.posting_counts() == {}

        mis.set_faults("normal")
        for _ in range(10):
            clock.advance(seconds=30)
            if deliver_due(server_engine, client, clock=clock, jitter=lambda: 0.0).claimed == 0:
                break
        sync_from_mis(server_engine, client, clock=clock)

    assert set(mis.posting_counts().values()) == {1}
    assert sorted(mis.posting_states().values()) == ["posted", "posted", "reversed"]
    with server_engine.connect() as connection:
        states = connection.execute(select(outbox.c.topic, outbox.c.state)).all()
    assert sorted(states) == [
        ("mis.post", "sent"),
        ("mis.post", "sent"),
        ("mis.post", "sent"),
        ("mis.reverse", "sent"),
    ]
    replica = _open_principal(server_engine)
    # ours, posted, and recognised as ours: nothing taken for a payment elsewhere
    assert replica[f"{A}-202603-1"] == (18159, 18159)
    assert replica[f"{C}-202601-1"] == (77600, 77600)
    # D's payment was reversed: its bills are open again, in full
    assert replica[f"{D}-202601-1"] == (19490, 0)
    assert paid_a.cash == 136873
    report_db = verify_database(SqlUnitOfWork(server_engine, write=False))
    assert report_db.ok, [b.describe() for b in report_db.breaks]
    url = server_engine.url.render_as_string(hide_password=False)
    verified = CliRunner().invoke(app, ["audit", "verify", "--database-url", url])
    assert verified.exit_code == 0, verified.output
    assert "all checks pass" in verified.output


def _pay(pos: SignedClient, account_no: str, due: int, *, trace: int) -> PayRequest:
    return PayRequest(
        txn_id=pos.txn_id(),
        trace_no=trace,
        account_no=account_no,
        cash=due,
        amount_due=due,
        cash_time=pos.clock.now(),
    )
