"""The menu shows registered pages only, and only to roles allowed them; later pages plug in."""

from __future__ import annotations

import pytest
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gridpos.application.console import Actor, ConsoleServices, Permission, Role
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, create_console_app
from gridpos.interfaces.console.registry import ConsoleModule, Page, PageRegistry, Section
from gridpos.interfaces.console.routes import auth, operators, organisations
from gridpos.interfaces.console.web import Visit, console_page

from .seed import PASSWORD, Tree


def _actor(role: Role) -> Actor:
    return Actor(
        operator_id=1,
        account="a",
        name="n",
        role=role,
        org_id=1,
        org_code="c",
        org_name="o",
        org_path="/1/",
        agent_id=7 if role is Role.AGENT else None,
    )


def _foundation() -> list[ConsoleModule]:
    """The modules of the foundation only (the menu grows as later pages register)."""
    return [auth.module(), organisations.module(), operators.module()]


def _registry() -> PageRegistry:
    registry = PageRegistry()
    for module in _foundation():
        registry.register(module.pages)
    return registry


def test_the_menu_of_each_role() -> None:
    registry = _registry()
    menus = {
        role: [page.key for section in registry.navigation(_actor(role)) for page in section.pages]
        for role in Role
    }
    assert menus == {
        Role.ADMIN: ["organisations", "operators"],
        Role.FINANCE: ["organisations", "operators"],
        Role.STATION_HEAD: ["organisations", "operators"],
        Role.STATION_STAFF: ["organisations"],
        Role.AUDITOR: ["organisations", "operators"],
        Role.AGENT: [],
    }


def test_a_page_registered_twice_is_refused() -> None:
    registry = _registry()
    again = Page(
        key="organisations",
        path="/elsewhere",
        label="x",
        section=Section.SYSTEM,
        permission=Permission.ORGANISATIONS_VIEW,
    )
    with pytest.raises(ValueError, match="registered twice"):
        registry.register([again])
    same_path = Page(
        key="other",
        path="/organisations",
        label="x",
        section=Section.SYSTEM,
        permission=Permission.ORGANISATIONS_VIEW,
    )
    with pytest.raises(ValueError, match="registered twice"):
        registry.register([same_path])


@console_page(Permission.MONITORING_VIEW)
async def _probe(visit: Visit) -> Response:
    return PlainTextResponse(f"probe for {visit.actor.account}")


def test_a_later_module_plugs_in_with_its_menu_entry_and_checks(
    services: ConsoleServices, tree: Tree
) -> None:
    del tree
    probe = ConsoleModule(
        name="probe",
        routes=[Route("/probe", _probe, methods=["GET"])],
        pages=[
            Page(
                key="probe",
                path="/probe",
                label="Monitoring",
                section=Section.MONITORING,
                permission=Permission.MONITORING_VIEW,
                order=1,
            )
        ],
    )
    app = create_console_app(
        services,
        ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None),
        modules=[*_foundation(), probe],
    )
    for who, allowed in (("finance@340828", True), ("agent01@3408280101", False)):
        account, org_code = who.split("@")
        with TestClient(app, follow_redirects=False) as client:
            page = client.get("/sign-in").text
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            client.post(
                "/sign-in",
                data={
                    "csrf_token": token,
                    "org_code": org_code,
                    "account": account,
                    "password": PASSWORD,
                },
            )
            home = client.get("/").text
            answer = client.get("/probe")
        assert ('data-page="probe"' in home) is allowed
        assert answer.status_code == (200 if allowed else 403)
