"""Sign-in, lockout, sessions and sign-out, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from gridpos.adapters.db.tables import (
    audit_log,
    console_form_submissions,
    console_sessions,
    operators,
    organisations,
)
from gridpos.application.console import (
    ConsoleServices,
    InvalidFormError,
    Role,
    SignInError,
    current_session,
    sign_in,
    sign_out,
)
from gridpos.application.console.organisations import rename_organisation
from gridpos.application.console.sessions import session_id_of

from .conftest import SettableClock
from .helpers import token
from .seed import PASSWORD, Tree


def _attempt(services: ConsoleServices, *, org: str, account: str, password: str) -> str:
    session_token = token()
    sign_in(
        services,
        org_code=org,
        account=account,
        password=password,
        session_token=session_token,
        csrf_token=token(),
    )
    return session_token


def _refusal(services: ConsoleServices, **fields: str) -> SignInError:
    with pytest.raises(SignInError) as caught:
        _attempt(services, **fields)
    return caught.value


def test_each_role_signs_in_and_is_known_on_the_next_request(
    services: ConsoleServices, tree: Tree
) -> None:
    seen = {}
    for who in (
        "admin@340828",
        "finance@340828",
        "auditor@340828",
        "head@34082801",
        "staff@34082801",
        "agent01@3408280101",
    ):
        account, org = who.split("@")
        session_token = _attempt(services, org=org, account=account, password=PASSWORD)
        session = current_session(services, session_token=session_token)
        assert session is not None
        assert session.actor.operator_id == tree.operator[who]
        assert session.actor.org_code == org
        seen[who] = session.actor.role
    assert seen["agent01@3408280101"] is Role.AGENT
    assert seen["head@34082801"] is Role.STATION_HEAD


def test_the_same_account_in_two_counties_is_told_apart_by_the_code(
    services: ConsoleServices, tree: Tree
) -> None:
    session_token = _attempt(services, org="340826", account="admin", password=PASSWORD)
    session = current_session(services, session_token=session_token)
    assert session is not None
    assert session.actor.operator_id == tree.operator["admin@340826"]
    assert session.actor.org_name == "宿松县供电公司"


def test_a_code_above_ones_own_node_is_accepted(services: ConsoleServices, tree: Tree) -> None:
    # the station head signs in with the county's code, as a collector may with the terminal's
    session_token = _attempt(services, org="340828", account="head", password=PASSWORD)
    session = current_session(services, session_token=session_token)
    assert session is not None
    assert session.actor.operator_id == tree.operator["head@34082801"]


def test_wrong_account_wrong_organisation_and_wrong_password_each_say_so(
    services: ConsoleServices, tree: Tree
) -> None:
    unknown = _refusal(services, org="340828", account="nobody", password=PASSWORD)
    assert (unknown.code, unknown.field) == ("account_unknown", "account")
    assert unknown.message_zh == "账号不存在"

    no_org = _refusal(services, org="999999", account="admin", password=PASSWORD)
    assert (no_org.code, no_org.field) == ("organisation_unknown", "org_code")

    elsewhere = _refusal(services, org="34082802", account="staff", password=PASSWORD)
    assert (elsewhere.code, elsewhere.field) == ("organisation_wrong", "org_code")

    wrong = _refusal(services, org="340828", account="admin", password="Wrong0000")
    assert (wrong.code, wrong.field) == ("password_wrong", "password")
    assert wrong.details == {"attempts_left": 4}
    assert "还可再试 4 次" in wrong.message_zh


def test_empty_fields_are_each_named(services: ConsoleServices, tree: Tree) -> None:
    with pytest.raises(InvalidFormError) as caught:
        _attempt(services, org=" ", account="", password="")
    assert [e.field for e in caught.value.errors] == ["org_code", "account", "password"]


def test_five_wrong_passwords_lock_for_fifteen_minutes(
    services: ConsoleServices, tree: Tree, clock: SettableClock, engine: Engine
) -> None:
    lefts = []
    for _ in range(4):
        lefts.append(
            _refusal(services, org="340828", account="finance", password="bad-1234").details
        )
    assert lefts == [{"attempts_left": n} for n in (4, 3, 2, 1)]
    fifth = _refusal(services, org="340828", account="finance", password="bad-1234")
    assert fifth.code == "operator_locked"
    assert fifth.details == {"minutes": 15}

    # locked: even the right password is refused, without counting
    clock.advance(timedelta(minutes=10))
    locked = _refusal(services, org="340828", account="finance", password=PASSWORD)
    assert (locked.code, locked.details) == ("operator_locked", {"minutes": 5})
    with engine.connect() as conn:
        row = conn.execute(
            select(operators.c.failed_attempts).where(
                operators.c.id == tree.operator["finance@340828"]
            )
        ).one()
    assert row.failed_attempts == 5

    # after the lock the right password works, and the count starts again
    clock.advance(timedelta(minutes=5, seconds=1))
    _attempt(services, org="340828", account="finance", password=PASSWORD)
    with engine.connect() as conn:
        row = conn.execute(
            select(operators.c.failed_attempts, operators.c.locked_until).where(
                operators.c.id == tree.operator["finance@340828"]
            )
        ).one()
    assert (row.failed_attempts, row.locked_until) == (0, None)


def test_disabled_operator_and_disabled_organisation_are_refused(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(operators)
            .where(operators.c.id == tree.operator["staff@34082801"])
            .values(disabled=True)
        )
        conn.execute(
            update(organisations)
            .where(organisations.c.id == tree.org["34082802"])
            .values(disabled=True)
        )
    refused = _refusal(services, org="34082801", account="staff", password=PASSWORD)
    assert (refused.code, refused.field) == ("operator_disabled", "account")
    refused = _refusal(services, org="34082802", account="head2", password=PASSWORD)
    assert refused.code == "organisation_disabled"
    assert "34082802" in refused.message_zh


def test_a_session_ends_on_sign_out_idle_and_lifetime(
    services: ConsoleServices, tree: Tree, clock: SettableClock, engine: Engine
) -> None:
    first = _attempt(services, org="340828", account="admin", password=PASSWORD)
    sign_out(services, session_token=first)
    assert current_session(services, session_token=first) is None
    with engine.connect() as conn:
        revoked = conn.execute(
            select(console_sessions.c.revoked_at).where(
                console_sessions.c.id == session_id_of(first)
            )
        ).scalar_one()
        actions = list(conn.execute(select(audit_log.c.action).order_by(audit_log.c.id)).scalars())
    assert revoked == clock.now()
    assert actions == ["console.sign_in", "console.sign_out"]

    idle = _attempt(services, org="340828", account="admin", password=PASSWORD)
    clock.advance(timedelta(hours=1, minutes=59))
    assert current_session(services, session_token=idle) is not None  # touched now
    clock.advance(timedelta(hours=1, minutes=59))
    assert current_session(services, session_token=idle) is not None
    clock.advance(timedelta(hours=2, minutes=1))
    assert current_session(services, session_token=idle) is None  # idle past 2 h

    busy = _attempt(services, org="340828", account="admin", password=PASSWORD)
    for _ in range(11):
        clock.advance(timedelta(hours=1))
        assert current_session(services, session_token=busy) is not None
    clock.advance(timedelta(hours=1))
    assert current_session(services, session_token=busy) is None  # 12 h since sign-in


def test_only_the_hash_of_the_session_token_is_stored(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    session_token = _attempt(services, org="340828", account="admin", password=PASSWORD)
    with engine.connect() as conn:
        ids = list(conn.execute(select(console_sessions.c.id)).scalars())
    assert ids == [session_id_of(session_token)]
    assert session_token not in ids
    assert current_session(services, session_token="not-a-session") is None
    assert current_session(services, session_token="") is None


def test_ended_sessions_and_old_form_tokens_are_deleted_at_a_later_sign_in(
    services: ConsoleServices, tree: Tree, clock: SettableClock, engine: Engine
) -> None:
    ended = _attempt(services, org="340828", account="admin", password=PASSWORD)
    sign_out(services, session_token=ended)
    live = _attempt(services, org="340828", account="finance", password=PASSWORD)
    admin = current_session(
        services, session_token=_attempt(services, org="340828", account="admin", password=PASSWORD)
    )
    assert admin is not None
    rename_organisation(
        services, admin.actor, form_token=token(), org_id=tree.org["34082801"], name="天堂所"
    )

    def counts() -> tuple[int, int]:
        with engine.connect() as conn:
            sessions = conn.execute(select(func.count()).select_from(console_sessions))
            forms = conn.execute(select(func.count()).select_from(console_form_submissions))
            return int(sessions.scalar_one()), int(forms.scalar_one())

    assert counts() == (3, 1)
    clock.advance(timedelta(days=3))
    _attempt(services, org="34082801", account="head", password=PASSWORD)
    assert counts() == (4, 0)  # the form token is gone; every session ended < 30 days ago
    clock.advance(timedelta(days=28))
    _attempt(services, org="34082801", account="head", password=PASSWORD)
    # the signed-out and the two expired ones are gone; the two head sessions are kept
    assert counts() == (2, 0)
    assert current_session(services, session_token=live) is None
