"""Every access rule of the console's pages, as a browser meets them (HTTP status per role)."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.application.console import ConsoleServices
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes

from .seed import PASSWORD, Tree

ROLES = [
    "admin@340828",
    "finance@340828",
    "auditor@340828",
    "head@34082801",
    "staff@34082801",
    "agent01@3408280101",
]
# page → the roles that may open it (everyone else gets 403)
PAGES = {
    "/organisations": {"admin", "finance", "auditor", "head", "staff"},
    "/organisations/new": {"admin"},
    "/organisations/{own_station}": {"admin", "finance", "auditor", "head", "staff"},
    "/organisations/{other_county_station}": set(),
    "/organisations/{other_station}": {"admin", "finance", "auditor"},
    "/operators": {"admin", "finance", "auditor", "head"},
    "/operators/new": {"admin", "head"},
    "/operators/{staff}": {"admin", "finance", "auditor", "head"},
    "/operators/{other_county_admin}": set(),
}


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


def _signed_in(services: ConsoleServices, who: str) -> tuple[TestClient, str]:
    app = Starlette(
        routes=console_routes(
            services, ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
        )
    )
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    account, org_code = who.split("@")
    token = re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/console/sign-in").text)
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf_token": token[0],
            "org_code": org_code,
            "account": account,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303
    home = client.get("/console/").text
    return client, re.findall(r'"X-CSRF-Token": "([^"]+)"', home)[0]


@pytest.mark.parametrize("who", ROLES)
def test_who_may_open_which_page(services: ConsoleServices, tree: Tree, who: str) -> None:
    ids = {
        "own_station": tree.org["34082801"],
        "other_station": tree.org["34082802"],
        "other_county_station": tree.org["34082601"],
        "staff": tree.operator["staff@34082801"],
        "other_county_admin": tree.operator["admin@340826"],
    }
    client, _ = _signed_in(services, who)
    role_account = who.split("@", maxsplit=1)[0]
    seen = {}
    for pattern, allowed in PAGES.items():
        path = "/console" + pattern.format(**ids)
        seen[pattern] = client.get(path).status_code
        expected = 200 if role_account in allowed else 403
        assert seen[pattern] == expected, (who, pattern)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin@340828", 303),
        ("finance@340828", 403),
        ("auditor@340828", 403),
        ("head@34082801", 403),
        ("staff@34082801", 403),
        ("agent01@3408280101", 403),
    ],
)
def test_who_may_change_the_tree(
    services: ConsoleServices, tree: Tree, who: str, expected: int
) -> None:
    client, csrf = _signed_in(services, who)
    answer = client.post(
        f"/console/organisations/{tree.org['3408280101']}/rename",
        data={
            "csrf_token": csrf,
            "name": "改名",
            "form_token": "rename-token-" + who.replace("@", "-").replace(".", "-"),
        },
    )
    assert answer.status_code == expected


@pytest.mark.parametrize(
    ("who", "target", "expected"),
    [
        ("admin@340828", "staff@34082801", 303),
        ("head@34082801", "staff@34082801", 303),
        ("head@34082801", "head2@34082802", 403),  # another station
        ("head@34082801", "finance@340828", 403),  # above the station
        ("admin@340828", "admin@340826", 403),  # another county
        ("admin@340828", "admin@340828", 403),  # oneself
        ("auditor@340828", "staff@34082801", 403),  # read-only
    ],
)
def test_who_may_disable_whom(
    services: ConsoleServices, tree: Tree, who: str, target: str, expected: int
) -> None:
    client, csrf = _signed_in(services, who)
    answer = client.post(
        f"/console/operators/{tree.operator[target]}/status",
        data={
            "csrf_token": csrf,
            "disabled": "1",
            "form_token": ("disable-" + who + "-" + target).replace("@", "-"),
        },
    )
    assert answer.status_code == expected


def test_a_malformed_form_token_is_named_not_a_failure(
    services: ConsoleServices, tree: Tree
) -> None:
    client, csrf = _signed_in(services, "admin@340828")
    for path in (
        f"/console/operators/{tree.operator['staff@34082801']}/status",
        f"/console/organisations/{tree.org['3408280101']}/status",
    ):
        answer = client.post(path, data={"csrf_token": csrf, "disabled": "1", "form_token": "x@"})
        assert answer.status_code == 422
        assert "表单已失效，请刷新页面后重新提交" in answer.text
