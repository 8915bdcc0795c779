"""The terminal API: every route of :mod:`gridpos.protocol.terminal.routes`, signed, as ASGI."""

from starlette.routing import BaseRoute

from gridpos.application.context import Services
from gridpos.interfaces.terminal_api import app
from gridpos.interfaces.terminal_api.pay import pay_endpoints

__all__ = ["terminal_routes"]


def terminal_routes(services: Services) -> list[BaseRoute]:
    """Every route of the terminal API and its OpenAPI document; on PostgreSQL the pay route is
    answered in the event loop (:mod:`.pay`), every other on a worker thread (:mod:`.app`)."""
    return app.terminal_routes(services, endpoints=pay_endpoints(services))
