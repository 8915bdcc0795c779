"""``create_app``: the server's ASGI app — the terminal API, ``/healthz`` and ``/metrics``.

Unknown paths and wrong methods under the terminal API answer its error bodies
(``route_unknown``, ``method_not_allowed``); the console mounts itself with ``extra_routes``.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gridpos.adapters.db.engine import DatabaseUnreachableError
from gridpos.adapters.db.migrate import SchemaNotCurrentError, require_current_schema
from gridpos.application.context import Services
from gridpos.interfaces.http import metrics
from gridpos.interfaces.terminal_api import terminal_routes
from gridpos.interfaces.terminal_api.app import error_response
from gridpos.protocol.errors import ErrorCode, error_body
from gridpos.protocol.terminal.routes import API_PREFIX

_JSON = "application/json"


def _health(services: Services) -> tuple[int, dict[str, object]]:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            require_current_schema(connection)
    except SchemaNotCurrentError as exc:
        return 503, {"ok": False, "database": "reachable", "schema": exc.message_en}
    except (DBAPIError, DatabaseUnreachableError) as exc:
        return 503, {"ok": False, "database": str(exc).splitlines()[0]}
    return 200, {"ok": True, "database": "reachable", "schema": "current"}


def create_app(services: Services, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The server's app on ``services``; ``extra_routes`` (the console) are mounted beside."""

    async def healthz(_request: Request) -> Response:
        status, body = await run_in_threadpool(_health, services)
        return Response(orjson.dumps(body), status_code=status, media_type=_JSON)

    async def metrics_page(_request: Request) -> Response:
        page = await run_in_threadpool(metrics.render, services.engine, services.clock.now)
        return Response(page, media_type="text/plain; version=0.0.4")

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if request.url.path.startswith(API_PREFIX) or status == 405:
            code = ErrorCode.METHOD_NOT_ALLOWED if status == 405 else ErrorCode.ROUTE_UNKNOWN
            return error_response(error_body(code))
        return Response(orjson.dumps({"detail": "not found"}), status_code=status, media_type=_JSON)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        *terminal_routes(services),
        *extra_routes,
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
