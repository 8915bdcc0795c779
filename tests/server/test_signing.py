"""Enrolment with a one-time code, and every way a request's signing is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gridpos.adapters.db.tables import terminals
from gridpos.application.terminals.admin import add_terminal, set_terminal_disabled
from gridpos.application.terminals.enrolment import issue_enrolment_code
from gridpos.protocol.codec import encode
from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountQuery
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.session import Heartbeat

from .support import TERMINAL, County

HEARTBEAT = Heartbeat(queue_depth=0, version="1.0.0")


def _enrol(county: County, code: str):  # type: ignore[no-untyped-def]
    body = encode(EnrolRequest(code=code, device_serial="SN-9", version="1.0.0"))
    return county.http.post(routes.ENROL.path, content=body)


def test_enrolment_gives_a_key_once_and_refuses_wrong_used_and_expired_codes(
    county: County,
) -> None:
    services = county.services
    add_terminal(
        services, terminal_no="34089999", org_code="3408280101", agent_code="A001", actor="t"
    )
    issue_enrolment_code(services, terminal_no="34089999", code="123456789012", actor="t")
    assert _enrol(county, "000000000000").json()["code"] == "enrolment_code_invalid"
    first = _enrol(county, "123456789012")
    assert first.status_code == 200
    answer = routes.ENROL.answer.model_validate_json(first.content)
    assert answer.terminal_no == "34089999"
    assert answer.collection_point == "天堂镇便民超市"
    assert len(answer.key_bytes) == 32
    again = _enrol(county, "123456789012")
    assert (again.status_code, again.json()["code"]) == (409, "enrolment_code_used")
    issue_enrolment_code(
        services,
        terminal_no="34089999",
        code="210987654321",
        actor="t",
        valid_for=timedelta(hours=1),
    )
    county.clock.advance(hours=2)
    late = _enrol(county, "210987654321")
    assert (late.status_code, late.json()["code"]) == (403, "enrolment_code_expired")
    county.verify()


def test_unsigned_stale_replayed_wrongly_signed_unknown_and_disabled_are_refused(
    county: County,
) -> None:
    client = county.client()
    assert client.refused(routes.HEARTBEAT, HEARTBEAT, sign=False)["code"] == "unsigned"
    client.ok(routes.HEARTBEAT, HEARTBEAT, counter=10)
    replay = client.refused(routes.HEARTBEAT, HEARTBEAT, counter=10)
    assert replay["code"] == "replayed_counter"
    assert replay["details"]["last"] == 10
    assert client.refused(routes.HEARTBEAT, HEARTBEAT, counter=9)["code"] == "replayed_counter"
    # a signature over another body
    body = encode(HEARTBEAT)
    headers = sign_request(
        key=client.key,
        method="POST",
        target=routes.HEARTBEAT.path,
        body=b"{}",
        terminal_no=TERMINAL,
        counter=11,
        now=county.clock.now(),
    )
    wrong = county.http.post(routes.HEARTBEAT.path, content=body, headers=headers)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "bad_signature")
    # a clock six minutes off
    stale = sign_request(
        key=client.key,
        method="POST",
        target=routes.HEARTBEAT.path,
        body=body,
        terminal_no=TERMINAL,
        counter=12,
        now=county.clock.now() + timedelta(minutes=6),
    )
    refused = county.http.post(routes.HEARTBEAT.path, content=body, headers=stale)
    assert refused.json()["code"] == "stale_timestamp"
    assert "server_time" in refused.json()["details"]
    unknown = county.client()
    unknown.terminal_no = "34081234"
    assert unknown.refused(routes.HEARTBEAT, HEARTBEAT)["code"] == "unknown_terminal"
    # none of the refused requests moved the counter
    with county.services.engine.connect() as conn:
        last = conn.execute(
            select(terminals.c.last_counter).where(terminals.c.terminal_no == TERMINAL)
        ).scalar_one()
    assert last == 10
    set_terminal_disabled(county.services, terminal_no=TERMINAL, disabled=True, actor="t")
    assert client.refused(routes.HEARTBEAT, HEARTBEAT)["code"] == "terminal_disabled"
    county.verify()


def test_a_refused_operation_keeps_its_counter_so_it_cannot_be_replayed(county: County) -> None:
    client = county.client()
    assert (
        client.refused(routes.ACCOUNT, AccountQuery(account_no="0100000001"), counter=5)["code"]
        == "not_signed_in"
    )
    assert (
        client.refused(routes.ACCOUNT, AccountQuery(account_no="0100000001"), counter=5)["code"]
        == "replayed_counter"
    )


def test_the_heartbeat_is_kept_also_when_piggybacked(county: County) -> None:
    client = county.client()
    answer = client.ok(
        routes.HEARTBEAT,
        Heartbeat(signal_dbm=-71, battery_percent=83, queue_depth=2, version="1.4.2"),
    )
    assert answer.signed_in is False
    assert answer.server_time == county.clock.now().replace(microsecond=0)
    client.ok(routes.HEARTBEAT, HEARTBEAT, headers={"X-GP-H": "s=-90,b=20,q=7,v=1.4.3"})
    with county.services.engine.connect() as conn:
        row = conn.execute(select(terminals).where(terminals.c.terminal_no == TERMINAL)).one()
    # the body's heartbeat is written after the header's
    assert (row.signal, row.battery, row.queue_depth, row.program_version) == (-90, 20, 0, "1.0.0")
    client.ok(routes.HEARTBEAT, HEARTBEAT, headers={"X-GP-H": "garbage"})
