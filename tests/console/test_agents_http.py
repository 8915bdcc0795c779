"""The agent, terminal and customer pages over HTTP (Starlette's test client, SQLite): every
POST refused without the CSRF token and nothing changed, refusals next to their field in the
user's language, another station's things refused by editing the URL or the form, and the
enrolment code shown once and kept out of caches."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import agents, audit_log, float_topups, terminals
from gridpos.application.console import ConsoleServices
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes

from .seed import Tree
from .signing_in import sign_in as _sign_in

CONFIG = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)


@pytest.fixture
def database_kind() -> str:
    return "sqlite"  # the HTTP layer is the same on both; the use cases are tested on both


@pytest.fixture
def client(services: ConsoleServices, tree: Tree) -> Iterator[TestClient]:
    del tree
    app = Starlette(routes=console_routes(services, CONFIG))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _form_token(html: str, form_id: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html[html.index(f'id="{form_id}"') :])
    assert found is not None
    return found.group(1)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_every_post_of_these_pages_needs_the_csrf_token(
    client: TestClient, tree: Tree, engine: Engine
) -> None:
    _sign_in(client, "admin@340828")
    agent = tree.agent["A0101"]
    posts = [
        "/console/agents/new",
        f"/console/agents/{agent}/edit",
        f"/console/agents/{agent}/status",
        f"/console/agents/{agent}/topups",
        f"/console/agents/{agent}/topups/1/decision",
        "/console/terminals/new",
        "/console/terminals/1/enrol",
        "/console/terminals/1/status",
    ]
    tables = (audit_log, agents, float_topups, terminals)
    before = [_count(engine, table) for table in tables]
    form = {"form_token": "x" * 20, "name": "x", "amount": "10", "disabled": "1"}
    for path in posts:
        for token in (None, "wrong-token"):
            data = form if token is None else {**form, "csrf_token": token}
            answer = client.post(path, data=data)
            assert answer.status_code == 403, path
    assert [_count(engine, table) for table in tables] == before


def test_refusals_are_next_to_their_field_in_the_users_language(
    client: TestClient, tree: Tree
) -> None:
    agent = tree.agent["A0101"]
    csrf = _sign_in(client, "staff@34082801", lang="en")
    page = client.get(f"/console/agents/{agent}").text
    answer = client.post(
        f"/console/agents/{agent}/topups",
        data={
            "csrf_token": csrf,
            "form_token": _form_token(page, "topup-form"),
            "amount": "2000000",
        },
    )
    assert answer.status_code == 422
    assert re.search(
        r'data-field="amount">The amount cannot exceed 1,000,000.00 yuan<', answer.text
    )
    assert 'value="2000000"' in answer.text  # what was typed stays in the form
    csrf = _sign_in(client, "head@34082801")
    page = client.get("/console/terminals/new").text
    answer = client.post(
        "/console/terminals/new",
        data={
            "csrf_token": csrf,
            "form_token": _form_token(page, "terminal-form"),
            "terminal_no": "34080001",
            "org_code": "3408280201",
        },
    )
    assert answer.status_code == 422
    assert "您的管辖范围内没有编码为 3408280201 的机构" in answer.text
    _sign_in(client, "admin@340828")  # a county's customers: too many to read through
    answer = client.get("/console/customers?field=name&mode=contains&q=张")
    assert answer.status_code == 422
    assert 'data-field="q">按名称或地址中的任意文字查找须先选定一个供电所' in answer.text


def test_another_stations_agent_is_refused_by_url_and_by_form(
    client: TestClient, tree: Tree, engine: Engine
) -> None:
    other = tree.agent["A0201"]
    csrf = _sign_in(client, "head@34082801")
    for path in (
        f"/console/agents/{other}",
        f"/console/agents/{other}/statement",
        f"/console/agents/{other}/statement?format=pdf",
        f"/console/agents/{other}/collections",
    ):
        assert client.get(path).status_code == 403, path
    page = client.get(f"/console/agents/{tree.agent['A0101']}").text
    answer = client.post(  # a form of one's own agent, sent to the other agent's URL
        f"/console/agents/{other}/status",
        data={"csrf_token": csrf, "form_token": _form_token(page, "status-form"), "disabled": "1"},
    )
    assert answer.status_code == 403
    with engine.connect() as conn:
        assert not conn.execute(select(agents.c.disabled).where(agents.c.id == other)).scalar_one()
    csrf = _sign_in(client, "auditor@340828")
    assert client.get(f"/console/agents/{other}").status_code == 200
    answer = client.post(
        f"/console/agents/{other}/status",
        data={"csrf_token": csrf, "form_token": "a" * 20, "disabled": "1"},
    )
    assert answer.status_code == 403  # read-only


def test_the_enrolment_code_is_shown_once_and_not_cached(client: TestClient, tree: Tree) -> None:
    csrf = _sign_in(client, "head@34082801")
    page = client.get("/console/terminals/new").text
    created = client.post(
        "/console/terminals/new",
        data={
            "csrf_token": csrf,
            "form_token": _form_token(page, "terminal-form"),
            "terminal_no": "34080001",
            "org_code": "3408280101",
        },
    )
    assert created.status_code == 303
    path = created.headers["location"].split("?")[0]
    form = {"csrf_token": csrf, "form_token": _form_token(client.get(path).text, "enrol-form")}
    first = client.post(f"{path}/enrol", data=form)
    assert first.headers["cache-control"] == "no-store"
    code = re.search(r'id="enrolment-code"[^>]*>(\d{12})<', first.text)
    assert code is not None
    assert "<svg" in first.text
    second = client.post(f"{path}/enrol", data=form)  # the same form again
    assert 'id="enrolment-repeated"' in second.text
    assert code.group(1) not in second.text
    assert code.group(1) not in client.get(path).text
