"""Operators and roles: the list, create, role, disable, new password, and every access rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from gridpos.adapters.db.tables import operators
from gridpos.application.console import (
    AccessDeniedError,
    ConsoleServices,
    InvalidFormError,
    NotFoundError,
    SignInError,
    current_session,
    sign_in,
)
from gridpos.application.console.operators import (
    OperatorQuery,
    change_operator_role,
    create_operator,
    operator_detail,
    operator_list,
    reset_operator_password,
    set_operator_disabled,
)

from .conftest import SettableClock
from .helpers import signed_in, token
from .seed import PASSWORD, Tree


def _accounts(services: ConsoleServices, who: str, **query: object) -> list[str]:
    actor = signed_in(services, who).actor
    listed = operator_list(services, actor, OperatorQuery(**query))  # type: ignore[arg-type]
    return [f"{row.account}@{row.org_code}" for row in listed.operators.items]


def _fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def test_the_list_shows_the_subtree_searched_filtered_and_sorted(
    services: ConsoleServices, tree: Tree, engine: Engine, clock: SettableClock
) -> None:
    assert _accounts(services, "admin@340828") == [
        "admin@340828",
        "agent01@3408280101",
        "auditor@340828",
        "finance@340828",
        "head@34082801",
        "head2@34082802",
        "staff@34082801",
    ]
    assert _accounts(services, "head@34082801") == [
        "agent01@3408280101",
        "head@34082801",
        "staff@34082801",
    ]
    assert _accounts(services, "admin@340828", search="所长") == [
        "head@34082801",
        "head2@34082802",
    ]
    assert _accounts(
        services, "admin@340828", role="station_head", sort="account", descending=True
    ) == [
        "head2@34082802",
        "head@34082801",
    ]
    assert _accounts(services, "admin@340828", org_code="34082801") == [
        "agent01@3408280101",
        "head@34082801",
        "staff@34082801",
    ]
    with engine.begin() as conn:
        conn.execute(
            update(operators)
            .where(operators.c.id == tree.operator["staff@34082801"])
            .values(locked_until=clock.now() + timedelta(minutes=3))
        )
    assert _accounts(services, "admin@340828", status="locked") == ["staff@34082801"]
    assert "staff@34082801" not in _accounts(services, "admin@340828", status="active")
    # bad sort and role values fall back instead of failing
    assert len(_accounts(services, "admin@340828", sort="password_hash", role="root")) == 7
    with pytest.raises(InvalidFormError) as caught:
        _accounts(services, "admin@340828", org_code="340826")
    assert _fields(caught.value) == {"org_code": "organisation_unknown"}


def test_the_list_pages_twenty_at_a_time(services: ConsoleServices, tree: Tree) -> None:
    admin = signed_in(services, "admin@340828").actor
    for n in range(25):
        create_operator(
            services,
            admin,
            form_token=token(),
            org_code="34082802",
            account=f"clerk{n:02d}",
            name=f"员工{n}",
            role="station_staff",
            password="Clerk12345",
        )
    first = operator_list(services, admin, OperatorQuery(search="clerk")).operators
    last = operator_list(services, admin, OperatorQuery(search="clerk", page=2)).operators
    assert (first.total, first.pages, len(first.items), len(last.items)) == (25, 2, 20, 5)
    assert last.items[-1].account == "clerk24"


def test_who_may_manage_whom(services: ConsoleServices, tree: Tree) -> None:
    head = signed_in(services, "head@34082801").actor
    listed = operator_list(services, head, OperatorQuery())
    assert listed.manageable == {
        tree.operator["staff@34082801"],
        tree.operator["agent01@3408280101"],
    }
    admin = signed_in(services, "admin@340828").actor
    listed = operator_list(services, admin, OperatorQuery())
    assert tree.operator["admin@340828"] not in listed.manageable  # never oneself
    assert len(listed.manageable) == 6
    auditor = signed_in(services, "auditor@340828").actor
    assert operator_list(services, auditor, OperatorQuery()).manageable == frozenset()


def test_create_an_operator_who_then_signs_in(services: ConsoleServices, tree: Tree) -> None:
    admin = signed_in(services, "admin@340828").actor
    done = create_operator(
        services,
        admin,
        form_token=token(),
        org_code="34082802",
        account="zhang.san",
        name="张三",
        role="station_staff",
        password="Zhang12345",
    )
    created = operator_detail(services, admin, int(done.subject.split(":")[1]))
    assert (created.account, created.role, created.org_code) == (
        "zhang.san",
        "station_staff",
        "34082802",
    )
    session = sign_in(
        services,
        org_code="34082802",
        account="zhang.san",
        password="Zhang12345",
        session_token=token(),
        csrf_token=token(),
    )
    assert session.actor.name == "张三"


def test_an_agent_operator_is_placed_at_the_agents_node(
    services: ConsoleServices, tree: Tree
) -> None:
    head = signed_in(services, "head@34082801").actor
    done = create_operator(
        services,
        head,
        form_token=token(),
        org_code="",
        account="collector2",
        name="第二收费员",
        role="agent",
        password="Collect123",
        agent_code="A0101",
    )
    created = operator_detail(services, head, int(done.subject.split(":")[1]))
    assert (created.org_code, created.agent_code) == ("3408280101", "A0101")
    with pytest.raises(InvalidFormError) as caught:
        create_operator(
            services,
            head,
            form_token=token(),
            org_code="",
            account="collector3",
            name="越界",
            role="agent",
            password="Collect123",
            agent_code="A0201",  # the other station's agent
        )
    assert _fields(caught.value) == {"agent_code": "agent_unknown"}


def test_bad_create_forms_name_every_field(services: ConsoleServices, tree: Tree) -> None:
    head = signed_in(services, "head@34082801").actor
    with pytest.raises(InvalidFormError) as caught:
        create_operator(
            services,
            head,
            form_token=token(),
            org_code="34082801",
            account="x",
            name="",
            role="admin",  # a station head may not make admins
            password="short",
        )
    assert _fields(caught.value) == {
        "account": "account_malformed",
        "name": "field_required",
        "role": "choice_invalid",
        "password": "password_weak",
    }
    with pytest.raises(InvalidFormError) as caught:
        create_operator(
            services,
            head,
            form_token=token(),
            org_code="34082801",
            account="staff",  # taken at this station
            name="重名",
            role="station_staff",
            password="Another123",
        )
    assert _fields(caught.value) == {"account": "operator_account_taken"}
    with pytest.raises(InvalidFormError) as caught:
        create_operator(
            services,
            head,
            form_token=token(),
            org_code="34082802",  # another station
            account="staff9",
            name="越界",
            role="station_staff",
            password="Another123",
        )
    assert _fields(caught.value) == {"org_code": "organisation_unknown"}
    with pytest.raises(InvalidFormError) as caught:
        create_operator(
            services,
            head,
            form_token=token(),
            org_code="",
            account="agent9",
            name="无代理商",
            role="agent",
            password="Another123",
        )
    assert _fields(caught.value) == {"agent_code": "field_required"}


def test_disable_and_new_password_end_sessions(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    admin = signed_in(services, "admin@340828").actor
    staff_id = tree.operator["staff@34082801"]
    set_operator_disabled(services, admin, form_token=token(), operator_id=staff_id, disabled=True)
    with pytest.raises(SignInError) as caught:
        signed_in(services, "staff@34082801")
    assert caught.value.code == "operator_disabled"
    set_operator_disabled(services, admin, form_token=token(), operator_id=staff_id, disabled=False)
    assert signed_in(services, "staff@34082801").actor.operator_id == staff_id

    # a new password lifts a lock and ends the sessions signed in with the old one
    head_token = token()
    sign_in(
        services,
        org_code="34082801",
        account="head",
        password=PASSWORD,
        session_token=head_token,
        csrf_token=token(),
    )
    with engine.begin() as conn:
        conn.execute(
            update(operators)
            .where(operators.c.id == tree.operator["head@34082801"])
            .values(failed_attempts=5, locked_until=services.clock.now() + timedelta(minutes=9))
        )
    reset_operator_password(
        services,
        admin,
        form_token=token(),
        operator_id=tree.operator["head@34082801"],
        password="NewHead2024",
    )
    assert current_session(services, session_token=head_token) is None
    session = sign_in(
        services,
        org_code="34082801",
        account="head",
        password="NewHead2024",
        session_token=token(),
        csrf_token=token(),
    )
    assert session.actor.account == "head"
    with pytest.raises(InvalidFormError) as caught:
        reset_operator_password(
            services, admin, form_token=token(), operator_id=staff_id, password="abcdefgh"
        )
    assert _fields(caught.value) == {"password": "password_weak"}


def test_a_disabled_operators_open_session_ends(services: ConsoleServices, tree: Tree) -> None:
    session_token = token()
    sign_in(
        services,
        org_code="34082801",
        account="staff",
        password=PASSWORD,
        session_token=session_token,
        csrf_token=token(),
    )
    assert current_session(services, session_token=session_token) is not None
    admin = signed_in(services, "admin@340828").actor
    set_operator_disabled(
        services,
        admin,
        form_token=token(),
        operator_id=tree.operator["staff@34082801"],
        disabled=True,
    )
    assert current_session(services, session_token=session_token) is None


def test_change_role(services: ConsoleServices, tree: Tree, engine: Engine) -> None:
    admin = signed_in(services, "admin@340828").actor
    staff_id = tree.operator["staff@34082801"]
    change_operator_role(
        services, admin, form_token=token(), operator_id=staff_id, role="station_head"
    )
    assert operator_detail(services, admin, staff_id).role == "station_head"
    with pytest.raises(InvalidFormError) as caught:
        change_operator_role(
            services, admin, form_token=token(), operator_id=staff_id, role="agent"
        )
    assert _fields(caught.value) == {"agent_code": "field_required"}
    change_operator_role(
        services,
        admin,
        form_token=token(),
        operator_id=staff_id,
        role="agent",
        agent_code="A0101",
    )
    with engine.connect() as conn:
        row = conn.execute(
            select(operators.c.role, operators.c.agent_id).where(operators.c.id == staff_id)
        ).one()
    assert (row.role, row.agent_id) == ("agent", tree.agent["A0101"])


def test_managing_is_refused_outside_ones_reach(services: ConsoleServices, tree: Tree) -> None:
    head = signed_in(services, "head@34082801").actor
    admin = signed_in(services, "admin@340828").actor
    other_admin = signed_in(services, "admin@340826").actor
    auditor = signed_in(services, "auditor@340828").actor
    finance = signed_in(services, "finance@340828").actor
    agent = signed_in(services, "agent01@3408280101").actor
    cases = [
        (head, tree.operator["head2@34082802"]),  # another station
        (head, tree.operator["finance@340828"]),  # above the station
        (head, tree.operator["head@34082801"]),  # oneself
        (admin, tree.operator["admin@340828"]),  # oneself
        (admin, tree.operator["admin@340826"]),  # another county
        (other_admin, tree.operator["staff@34082801"]),  # another county
        (auditor, tree.operator["staff@34082801"]),  # read-only
        (finance, tree.operator["staff@34082801"]),  # no operators.manage
        (agent, tree.operator["agent01@3408280101"]),
    ]
    for actor, target in cases:
        with pytest.raises(AccessDeniedError):
            set_operator_disabled(
                services, actor, form_token=token(), operator_id=target, disabled=True
            )
        with pytest.raises(AccessDeniedError):
            reset_operator_password(
                services, actor, form_token=token(), operator_id=target, password="Valid12345"
            )
        with pytest.raises(AccessDeniedError):
            change_operator_role(
                services, actor, form_token=token(), operator_id=target, role="station_staff"
            )
    # a station head may not lift a staff member to admin
    with pytest.raises(InvalidFormError) as caught:
        change_operator_role(
            services,
            head,
            form_token=token(),
            operator_id=tree.operator["staff@34082801"],
            role="admin",
        )
    assert _fields(caught.value) == {"role": "choice_invalid"}
    # seeing: outside the subtree is refused, an agent sees no operators
    with pytest.raises(AccessDeniedError):
        operator_detail(services, head, tree.operator["head2@34082802"])
    with pytest.raises(AccessDeniedError):
        operator_detail(services, other_admin, tree.operator["admin@340828"])
    with pytest.raises(AccessDeniedError):
        operator_list(services, agent, OperatorQuery())
    with pytest.raises(NotFoundError):
        operator_detail(services, admin, 999_999)
