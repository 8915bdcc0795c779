"""POS terminals in the console: the list, adding one, its enrolment code (made by the server's
enrolment use case and usable by a terminal), key rotation, disable / enable, and every access
rule — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from gridpos.adapters.db.tables import audit_log, terminals
from gridpos.application.console import AccessDeniedError, ConsoleServices, InvalidFormError
from gridpos.application.console.terminals import (
    TerminalQuery,
    create_terminal,
    issue_terminal_code,
    set_terminal_disabled,
    terminal_detail,
    terminal_list,
)
from gridpos.application.context import Services
from gridpos.application.parameters import ParameterCache
from gridpos.application.ports import ReplicaOnly
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import authenticate, claim
from gridpos.application.terminals.directory import TerminalDirectory
from gridpos.application.terminals.enrolment import enrol
from gridpos.domain.penalty import default_penalty_rules
from gridpos.interfaces.console.rendering import COUNTY_TIME
from gridpos.protocol.signing import sign_request
from gridpos.protocol.terminal.enrolment import EnrolRequest

from .conftest import SettableClock
from .helpers import signed_in, token
from .seed import FAST_HASHER, Tree


def make_services(engine: Engine, clock: SettableClock) -> Services:
    """The terminal API's collaborators, as one server process has them (its own directory)."""
    return Services(
        engine=engine,
        clock=clock,
        county_tz=COUNTY_TIME,
        refresher=ReplicaOnly(),
        penalty_rules=default_penalty_rules(),
        parameters=ParameterCache(now=clock.now, seconds=0),
        passwords=FAST_HASHER,
        directory=TerminalDirectory(),
    )


def _add(services: ConsoleServices, who: str, number: str, org: str, agent: str = "") -> int:
    actor = signed_in(services, who).actor
    done = create_terminal(
        services, actor, form_token=token(), terminal_no=number, org_code=org, agent_code=agent
    )
    return int(done.subject.split(":")[1])


def _fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def _numbers(services: ConsoleServices, who: str, **query: object) -> list[str]:
    actor = signed_in(services, who).actor
    listed = terminal_list(services, actor, TerminalQuery(**query))  # type: ignore[arg-type]
    return [row.terminal_no for row in listed.items]


def test_the_list_shows_the_subtree_and_an_agent_only_their_own(
    services: ConsoleServices, tree: Tree, engine: Engine, clock: SettableClock
) -> None:
    _add(services, "admin@340828", "34080001", "3408280101", "A0101")
    _add(services, "admin@340828", "34080002", "3408280201", "A0201")
    _add(services, "admin@340828", "34080003", "34082801")
    assert _numbers(services, "admin@340828") == ["34080001", "34080002", "34080003"]
    assert _numbers(services, "head@34082801") == ["34080001", "34080003"]
    assert _numbers(services, "agent01@3408280101") == ["34080001"]
    assert _numbers(services, "admin@340826") == []  # another county
    assert _numbers(services, "admin@340828", search="A0201") == ["34080002"]
    assert _numbers(services, "admin@340828", search="3408000") == [
        "34080001",
        "34080002",
        "34080003",
    ]
    assert _numbers(services, "admin@340828", org_code="34082802") == ["34080002"]
    assert _numbers(services, "admin@340828", sort="number", descending=True)[0] == "34080003"
    with engine.begin() as conn:
        conn.execute(
            update(terminals)
            .where(terminals.c.terminal_no == "34080002")
            .values(last_seen_at=clock.now() - timedelta(minutes=5), signal=-71, battery=80)
        )
        conn.execute(
            update(terminals)
            .where(terminals.c.terminal_no == "34080001")
            .values(last_seen_at=clock.now() - timedelta(hours=2))
        )
    # silent: not heard from for 30 minutes, or never
    assert _numbers(services, "admin@340828", silent=True) == ["34080001", "34080003"]
    # most recently seen first, never seen last
    assert _numbers(services, "admin@340828", sort="last_seen", descending=True) == [
        "34080002",
        "34080001",
        "34080003",
    ]
    head = signed_in(services, "head@34082801").actor
    with pytest.raises(InvalidFormError) as refused:
        terminal_list(services, head, TerminalQuery(org_code="34082802"))
    assert _fields(refused.value) == {"org_code": "organisation_unknown"}


def test_bad_terminal_forms_name_every_field_and_save_nothing(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    _add(services, "admin@340828", "34080001", "3408280101")
    head = signed_in(services, "head@34082801").actor
    with pytest.raises(InvalidFormError) as refused:
        create_terminal(services, head, form_token=token(), terminal_no="3408", org_code="")
    assert _fields(refused.value) == {
        "terminal_no": "terminal_no_malformed",
        "org_code": "field_required",
    }
    with pytest.raises(InvalidFormError) as refused:
        create_terminal(
            services,
            head,
            form_token=token(),
            terminal_no="34080001",
            org_code="3408280201",  # another station's collection point
            agent_code="A0201",
        )
    assert _fields(refused.value) == {
        "org_code": "organisation_unknown",
        "agent_code": "agent_unknown",
        "terminal_no": "terminal_no_taken",
    }
    with pytest.raises(InvalidFormError) as refused:
        create_terminal(
            services,
            signed_in(services, "admin@340828").actor,
            form_token=token(),
            terminal_no="34080009",
            org_code="340828",  # a county company: no terminal stands there
        )
    assert _fields(refused.value) == {"org_code": "terminal_place_invalid"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(terminals)).scalar_one() == 1


def test_who_may_see_and_change_a_terminal(services: ConsoleServices, tree: Tree) -> None:
    other_station = _add(services, "admin@340828", "34080002", "3408280201", "A0201")
    for who in ("head@34082801", "staff@34082801", "agent01@3408280101", "admin@340826"):
        actor = signed_in(services, who).actor
        with pytest.raises(AccessDeniedError):
            terminal_detail(services, actor, other_station)
    for who in ("staff@34082801", "auditor@340828", "finance@340828", "agent01@3408280101"):
        actor = signed_in(services, who).actor
        with pytest.raises(AccessDeniedError):
            set_terminal_disabled(
                services, actor, form_token=token(), terminal_id=other_station, disabled=True
            )
        with pytest.raises(AccessDeniedError):
            issue_terminal_code(
                services, actor, form_token=token(), terminal_id=other_station, code="1" * 12
            )
    head = signed_in(services, "head@34082801").actor
    with pytest.raises(AccessDeniedError):  # the URL of another station's terminal
        set_terminal_disabled(
            services, head, form_token=token(), terminal_id=other_station, disabled=True
        )
    auditor = signed_in(services, "auditor@340828").actor
    seen = terminal_detail(services, auditor, other_station)
    assert seen.terminal.terminal_no == "34080002"
    assert not seen.may_manage


def _request(services: Services, number: str, key: bytes, counter: int) -> None:
    """A signed request of the terminal, authenticated and its counter claimed."""
    headers = sign_request(
        key=key,
        method="POST",
        target="/t/heartbeat",
        body=b"{}",
        terminal_no=number,
        counter=counter,
        now=services.clock.now(),
    )
    signed = authenticate(
        services, headers=headers, method="POST", target="/t/heartbeat", body=b"{}"
    )
    with services.writing() as uow:
        claim(uow, signed, services)
        uow.commit()


def test_an_enrolment_code_enrols_the_terminal_and_a_new_one_rotates_its_key(
    services: ConsoleServices, tree: Tree, engine: Engine, clock: SettableClock
) -> None:
    terminal_id = _add(services, "head@34082801", "34080001", "3408280101", "A0101")
    head = signed_in(services, "head@34082801").actor
    assert not terminal_detail(services, head, terminal_id).silent  # issued: not expected yet
    form = token()
    first = issue_terminal_code(
        services, head, form_token=form, terminal_id=terminal_id, code="123456789012", hours="2"
    )
    assert (first.code, first.rotation) == ("123456789012", False)
    assert first.expires_at == clock.now() + timedelta(hours=2)
    again = issue_terminal_code(  # the same form sent twice: no second code
        services, head, form_token=form, terminal_id=terminal_id, code="999999999999"
    )
    assert again.repeated
    assert again.code is None

    server = make_services(engine, clock)
    other_process = make_services(engine, clock)
    old_key = uuid.uuid4().bytes * 2
    answer = enrol(
        server, EnrolRequest(code="123456789012", sn="SN-1", ver="1.0.0"), new_key=old_key
    )
    assert answer.terminal_no == "34080001"
    _request(server, "34080001", old_key, 1)
    _request(other_process, "34080001", old_key, 2)  # the other process caches the old key

    # rotation: a new code; the old key still works until the terminal enrols with it
    rotated = issue_terminal_code(
        services, head, form_token=token(), terminal_id=terminal_id, code="210987654321"
    )
    assert rotated.rotation
    _request(server, "34080001", old_key, 3)
    with pytest.raises(RefusalError) as spent:
        enrol(server, EnrolRequest(code="123456789012", sn="SN-1", ver="1.0.0"), new_key=old_key)
    assert spent.value.code == "enrolment_code_invalid"  # the first code was replaced
    new_key = uuid.uuid4().bytes * 2
    enrol(server, EnrolRequest(code="210987654321", sn="SN-1", ver="1.0.1"), new_key=new_key)
    _request(server, "34080001", new_key, 1)  # the counter starts again with the new key
    with pytest.raises(RefusalError) as refused:
        _request(server, "34080001", old_key, 50)
    assert refused.value.code == "bad_signature"
    # a process that cached the old key before the enrolment refuses it too
    with pytest.raises(RefusalError) as refused:
        _request(other_process, "34080001", old_key, 60)
    assert refused.value.code == "unknown_terminal"
    detail = terminal_detail(services, head, terminal_id)
    assert (detail.terminal.state, detail.terminal.key_version) == ("active", 2)
    assert detail.terminal.program_version == "1.0.1"
    assert not detail.silent  # heard from just now
    clock.advance(timedelta(hours=1))
    assert terminal_detail(services, head, terminal_id).silent  # active, and quiet an hour


def test_disable_refuses_the_terminal_and_enable_brings_it_back(
    services: ConsoleServices, tree: Tree, engine: Engine, clock: SettableClock
) -> None:
    terminal_id = _add(services, "admin@340828", "34080001", "3408280101", "A0101")
    head = signed_in(services, "head@34082801").actor
    issue_terminal_code(
        services, head, form_token=token(), terminal_id=terminal_id, code="123456789012"
    )
    server = make_services(engine, clock)
    key = uuid.uuid4().bytes * 2
    enrol(server, EnrolRequest(code="123456789012", sn="SN-1", ver="1.0.0"), new_key=key)
    _request(server, "34080001", key, 1)
    set_terminal_disabled(
        services, head, form_token=token(), terminal_id=terminal_id, disabled=True
    )
    with pytest.raises(RefusalError) as refused:
        _request(server, "34080001", key, 2)
    assert refused.value.code == "terminal_disabled"
    with pytest.raises(InvalidFormError) as no_code:
        issue_terminal_code(
            services, head, form_token=token(), terminal_id=terminal_id, code="123456789013"
        )
    assert _fields(no_code.value) == {"enrol": "terminal_disabled"}
    set_terminal_disabled(
        services, head, form_token=token(), terminal_id=terminal_id, disabled=False
    )
    assert terminal_detail(services, head, terminal_id).terminal.state == "active"
    _request(server, "34080001", key, 3)
    with pytest.raises(InvalidFormError) as bad_hours:
        issue_terminal_code(
            services, head, form_token=token(), terminal_id=terminal_id, code="1" * 12, hours="0"
        )
    assert _fields(bad_hours.value) == {"hours": "hours_invalid"}
    with engine.connect() as conn:
        actions = list(
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.subject == "terminal:34080001")
                .order_by(audit_log.c.id)
            ).scalars()
        )
    assert actions == [
        "terminal.add",
        "terminal.enrolment_code",
        "terminal.enrol",
        "terminal.disable",
        "terminal.enable",
    ]
