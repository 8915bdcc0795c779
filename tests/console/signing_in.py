"""Signing in to the console through a Starlette test client, as a browser would: the sign-in form's
CSRF token, the account, organisation and the seed's password; the language by its cookie."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from .seed import PASSWORD


def csrf(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, who: str, lang: str = "zh_CN") -> str:
    """Sign ``account@org_code`` in (any earlier session dropped); the token of its pages' forms."""
    client.cookies.clear()
    client.cookies.set("gp_lang", lang)
    account, org_code = who.split("@")
    token = csrf(client.get("/console/sign-in").text)
    answer = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "org_code": org_code, "account": account, "password": PASSWORD},
    )
    assert answer.status_code == 303
    return csrf(client.get("/console/").text)
