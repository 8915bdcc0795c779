"""The console's ASGI app, and the routes that mount it in the server's app under ``/console``.

app = create_app(services, extra_routes=console_routes(console_services, ConsoleConfig()))
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gridpos.application.console import ConsoleServices
from gridpos.interfaces.console.assets import asset_routes
from gridpos.interfaces.console.config import ConsoleConfig
from gridpos.interfaces.console.errors import EXCEPTION_HANDLERS, ErrorPages
from gridpos.interfaces.console.live import EventBroker
from gridpos.interfaces.console.registry import ConsoleModule, PageRegistry
from gridpos.interfaces.console.rendering import Renderer
from gridpos.interfaces.console.routes import (
    agents,
    audit,
    auth,
    batches,
    customers,
    mis_postings,
    monitoring,
    operators,
    organisations,
    parameters,
    payments,
    receipt_check,
    reconciliation,
    reconciliation_files,
    reconciliation_floats,
    reports,
    terminals,
)
from gridpos.interfaces.console.web import Runtime

MOUNT_PATH = "/console"


def default_modules() -> list[ConsoleModule]:
    """The parts of the console there are (later pages add theirs here)."""
    return [
        auth.module(),
        organisations.module(),
        operators.module(),
        agents.module(),
        terminals.module(),
        customers.module(),
        payments.module(),
        batches.module(),
        mis_postings.module(),
        reports.module(),
        reconciliation.module(),
        monitoring.module(),
        audit.module(),
        parameters.module(),
        receipt_check.module(),
        reconciliation_floats.module(),
        reconciliation_files.module(),
    ]


def create_console_app(
    services: ConsoleServices,
    config: ConsoleConfig | None = None,
    *,
    modules: Sequence[ConsoleModule] | None = None,
    broker: EventBroker | None = None,
) -> Starlette:
    """The console on ``services``: every module's routes and menu pages, the assets, the error
    pages. ``app.state.console`` holds the shared :class:`Runtime`, ``app.state.events`` the
    :class:`EventBroker` of live pages.

    Raises ``ValueError`` when two modules register the same page.
    """
    config = config or ConsoleConfig.from_env()
    modules = default_modules() if modules is None else list(modules)
    registry = PageRegistry()
    routes: list[BaseRoute] = []
    for module in modules:
        registry.register(module.pages)
        routes.extend(module.routes)
    routes.extend(asset_routes(config.node_modules))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ErrorPages)],
        exception_handlers=dict(EXCEPTION_HANDLERS),
    )
    app.state.console = Runtime(
        services=services, config=config, renderer=Renderer(), registry=registry
    )
    app.state.events = broker or EventBroker()
    return app


def console_routes(
    services: ConsoleServices,
    config: ConsoleConfig | None = None,
    *,
    modules: Sequence[ConsoleModule] | None = None,
) -> list[BaseRoute]:
    """The console mounted at ``/console``, and ``/`` sending browsers there."""
    console = create_console_app(services, config, modules=modules)

    async def to_console(_request: Request) -> Response:
        return RedirectResponse(f"{MOUNT_PATH}/", status_code=307)

    return [
        Route("/", to_console, methods=["GET"]),
        Route(MOUNT_PATH, to_console, methods=["GET"]),
        Mount(MOUNT_PATH, app=console),
    ]
