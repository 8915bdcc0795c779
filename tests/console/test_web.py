"""The console over HTTP (Starlette's test client, SQLite): every route guarded, CSRF on every
POST, cookie flags, the failure page and its logged reference, 404, redirects kept on site,
a double-submitted form acting once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, func, select
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from gridpos.adapters.db.tables import audit_log, organisations
from gridpos.application.console import ConsoleServices
from gridpos.interfaces.console import (
    ConsoleConfig,
    CookieSecurity,
    console_routes,
    create_console_app,
)

from .seed import FAST_HASHER, PASSWORD, Tree

CONFIG = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)


@pytest.fixture
def database_kind() -> str:
    return "sqlite"  # the HTTP layer is the same on both; the use cases are tested on both


def _client(services: ConsoleServices, config: ConsoleConfig = CONFIG, **kw: object) -> TestClient:
    app = Starlette(routes=console_routes(services, config))
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False, **kw)  # type: ignore[arg-type]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _signed_in(client: TestClient, who: str = "admin@340828") -> str:
    """Sign the client in; the session's CSRF token."""
    account, org_code = who.split("@")
    token = _csrf(client.get("/console/sign-in").text)
    answer = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "org_code": org_code, "account": account, "password": PASSWORD},
    )
    assert answer.status_code == 303
    return _csrf(client.get("/console/organisations").text)


@pytest.fixture
def client(services: ConsoleServices, tree: Tree) -> Iterator[TestClient]:
    del tree
    with _client(services) as client:
        yield client


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_every_console_route_is_made_by_console_page(services: ConsoleServices) -> None:
    app = create_console_app(services, CONFIG)
    unguarded = [
        route.path
        for route in app.routes
        if isinstance(route, Route) and not getattr(route.endpoint, "console_guarded", False)
    ]
    assert unguarded == ["/vendor/{name}"]  # static files only
    assert any(isinstance(route, Mount) and route.path == "/static" for route in app.routes)


def test_every_post_is_refused_without_the_csrf_token(
    client: TestClient, tree: Tree, engine: Engine
) -> None:
    _signed_in(client)
    before = (_count(engine, audit_log), _count(engine, organisations))
    org, op = tree.org["34082801"], tree.operator["staff@34082801"]
    posts = [
        "/console/sign-out",
        "/console/organisations/new",
        f"/console/organisations/{org}/rename",
        f"/console/organisations/{org}/move",
        f"/console/organisations/{org}/status",
        "/console/operators/new",
        f"/console/operators/{op}/role",
        f"/console/operators/{op}/status",
        f"/console/operators/{op}/password",
    ]
    form = {"name": "x", "code": "X", "parent_code": "34082802", "disabled": "1", "role": "agent"}
    for path in posts:
        for token in (None, "wrong-token"):
            data = form if token is None else {**form, "csrf_token": token}
            answer = client.post(path, data=data)
            assert answer.status_code == 403, path
            assert "表单已失效" in answer.text
    assert (_count(engine, audit_log), _count(engine, organisations)) == before
    # the session is still there: sign-out was refused too
    assert client.get("/console/").status_code == 200


def test_the_sign_in_form_needs_its_own_token(client: TestClient) -> None:
    client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"org_code": "340828", "account": "admin", "password": PASSWORD},
    )
    assert answer.status_code == 403


def test_htmx_sends_the_token_in_a_header(client: TestClient, engine: Engine) -> None:
    token = _signed_in(client)
    answer = client.post(
        "/console/organisations/new",
        data={
            "parent_code": "34082801",
            "code": "HX01",
            "name": "htmx 代收点",
            "level": "collection_point",
            "form_token": "htmx-form-token-000001",
        },
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert answer.status_code == 204
    assert answer.headers["HX-Redirect"].startswith("/console/organisations/")


def test_a_form_sent_twice_acts_once(client: TestClient, engine: Engine) -> None:
    token = _signed_in(client)
    form = {
        "csrf_token": token,
        "parent_code": "34082801",
        "code": "TWICE01",
        "name": "双击",
        "level": "collection_point",
        "form_token": "double-submit-token-0001",
    }
    first = client.post("/console/organisations/new", data=form)
    second = client.post("/console/organisations/new", data=form)
    assert first.headers["location"].endswith("?done=created")
    assert second.headers["location"] == first.headers["location"].replace("created", "repeated")
    with engine.connect() as conn:
        made = conn.execute(
            select(func.count()).where(organisations.c.code == "TWICE01")
        ).scalar_one()
    assert made == 1
    page = client.get(second.headers["location"])
    assert "该表单已经提交过，未重复处理。" in page.text


def test_session_cookie_flags(services: ConsoleServices, tree: Tree) -> None:
    del tree
    for security, base, secure in (
        (CookieSecurity.NEVER, "http://testserver", False),
        (CookieSecurity.ALWAYS, "http://testserver", True),
        (CookieSecurity.AUTO, "http://testserver", False),
        (CookieSecurity.AUTO, "https://testserver", True),
    ):
        config = ConsoleConfig(cookie_security=security, node_modules=None)
        with _client(services, config, base_url=base) as client:
            token = _csrf(client.get("/console/sign-in").text)
            client.cookies.set("gp_sign_in", token)  # a Secure cookie is not sent back over http
            answer = client.post(
                "/console/sign-in",
                data={
                    "csrf_token": token,
                    "org_code": "340828",
                    "account": "admin",
                    "password": PASSWORD,
                },
            )
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("gp_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert ("Secure" in cookie) is secure, (security, base)


def test_after_sign_in_the_visitor_never_leaves_the_site(client: TestClient) -> None:
    token = _csrf(client.get("/console/sign-in").text)
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf_token": token,
            "org_code": "340828",
            "account": "admin",
            "password": PASSWORD,
            "next": "//evil.example/phish",
        },
    )
    assert answer.headers["location"] == "/console/"
    answer = client.get("/console/lang/en", params={"next": "https://evil.example/"})
    assert answer.headers["location"] == "/console/"


def test_unknown_pages_answer_the_404_page_in_the_visitors_language(client: TestClient) -> None:
    zh = client.get("/console/no-such-page")
    assert zh.status_code == 404
    assert "页面不存在" in zh.text
    en = client.get("/console/no-such-page", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Page not found" in en.text
    assert '<html lang="en">' in en.text
    _signed_in(client)
    assert client.get("/console/organisations/999999").status_code == 404


def test_a_failure_shows_the_calm_page_with_a_reference_that_is_logged() -> None:
    # a database that refuses every connection
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/none")
    services = ConsoleServices(engine=engine, clock=_FixedClock(), passwords=FAST_HASHER)
    with _client(services) as client, capture_logs() as logs:
        client.cookies.set("gp_session", "some-session-token")
        answer = client.get("/console/organisations")
    assert answer.status_code == 500
    assert "操作异常" in answer.text
    assert "Traceback" not in answer.text
    assert "psycopg" not in answer.text
    reference = re.search(r'class="reference">([0-9A-F]{12})<', answer.text)
    assert reference is not None
    failures = [entry for entry in logs if entry["event"] == "console_request_failed"]
    assert len(failures) == 1
    assert failures[0]["reference"] == reference.group(1)
    assert failures[0]["path"] == "/console/organisations"
    assert failures[0]["error"] == "DatabaseUnreachableError"
    engine.dispose()


class _FixedClock:
    def now(self) -> datetime:
        return datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_the_root_sends_browsers_to_the_console(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/console/"
    assert client.get("/console").headers["location"] == "/console/"
    assert client.get("/console/").headers["location"] == "/console/sign-in?next=%2F"


def test_front_end_packages_come_from_node_modules(services: ConsoleServices, tmp_path) -> None:  # type: ignore[no-untyped-def]
    htmx = tmp_path / "htmx.org" / "dist"
    htmx.mkdir(parents=True)
    (htmx / "htmx.min.js").write_text("/* htmx */")
    config = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=tmp_path)
    with _client(services, config) as client:
        answer = client.get("/console/vendor/htmx.min.js")
        assert answer.status_code == 200
        assert answer.text == "/* htmx */"
        assert client.get("/console/vendor/echarts.min.js").status_code == 404  # not installed
        assert client.get("/console/vendor/..%2Fpackage.json").status_code == 404
        assert client.get("/console/static/console.css").status_code == 200


def test_signing_in_again_in_another_tab_ends_the_session_before(
    services: ConsoleServices, tree: Tree
) -> None:
    del tree
    with _client(services) as first:
        _signed_in(first, "admin@340828")
        session = first.cookies["gp_session"]
    with _client(services) as tab:
        token = _csrf(tab.get("/console/sign-in").text)
    with _client(services) as browser:
        # the sign-in form left open in another tab, sent while signed in
        answer = browser.post(
            "/console/sign-in",
            data={
                "csrf_token": token,
                "org_code": "340828",
                "account": "finance",
                "password": PASSWORD,
            },
            headers={"Cookie": f"gp_session={session}; gp_sign_in={token}"},
        )
        assert answer.status_code == 303
        new_session = browser.cookies["gp_session"]
    assert new_session != session
    with _client(services) as browser:
        home = browser.get("/console/", headers={"Cookie": f"gp_session={new_session}"})
        assert "李账务" in home.text
        ended = browser.get("/console/", headers={"Cookie": f"gp_session={session}"})
        assert ended.status_code == 303  # the session before has ended
