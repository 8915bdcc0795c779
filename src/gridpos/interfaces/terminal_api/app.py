"""The terminal API's routes: parse, authenticate, call one use case, render.

Each route of :data:`gridpos.protocol.terminal.routes.ROUTES` is mounted at its path. A request is
handled in a worker thread (the use cases are synchronous): the body is read up to the protocol's
limit, the signature checked (before anything else is said about the request), the message
decoded, the use case called, the answer encoded compactly. Every refusal is an error body with a
stable code; an unexpected failure is logged once with a reference id and answered as
``internal_error`` carrying that id.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gridpos.adapters.db.engine import DatabaseUnreachableError
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import authenticate, keep_counter
from gridpos.application.terminals.enrolment import enrol
from gridpos.domain.errors import DomainError
from gridpos.interfaces.http.metrics import observe, observe_duration
from gridpos.interfaces.terminal_api.openapi import openapi_document
from gridpos.interfaces.terminal_api.operations import OPERATIONS
from gridpos.protocol.codec import (
    JSON_CONTENT_TYPE,
    MAX_BODY_BYTES,
    decode,
    decode_params,
    encode,
    encode_error,
)
from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError, error_body, internal_error
from gridpos.protocol.signing import KEY_BYTES
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.enrolment import EnrolRequest

_log = structlog.get_logger("gridpos.terminal_api")

# refusals about the signature itself: the counter was never accepted, so nothing to keep
_SIGNING_CODES = frozenset(
    {
        ErrorCode.UNSIGNED,
        ErrorCode.BAD_SIGNATURE,
        ErrorCode.STALE_TIMESTAMP,
        ErrorCode.REPLAYED_COUNTER,
        ErrorCode.UNKNOWN_TERMINAL,
        ErrorCode.TERMINAL_DISABLED,
    }
)


def error_response(body: ErrorBody) -> Response:
    """The HTTP response of a refusal."""
    return Response(encode_error(body), status_code=body.status, media_type=JSON_CONTENT_TYPE)


def _refusal_body(error: DomainError) -> ErrorBody:
    try:
        code = ErrorCode(error.code)
    except ValueError:
        # a rule's own code the catalogue does not list: a named refusal of a field all the same
        return error_body(
            ErrorCode.INVALID_FIELD,
            field=error.field,
            details={**error.details, "reason": error.code},
            message_zh=error.message_zh,
            message_en=error.message_en,
        )
    return error_body(
        code,
        field=error.field,
        details=error.details or None,
        message_zh=error.message_zh,
        message_en=error.message_en,
    )


def _target(request: Request) -> str:
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    query = request.scope.get("query_string") or b""
    target = raw_path.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProtocolError.of(ErrorCode.BODY_TOO_LARGE, details={"max": MAX_BODY_BYTES})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProtocolError.of(ErrorCode.BODY_TOO_LARGE, details={"max": MAX_BODY_BYTES})
        chunks.append(chunk)
    return b"".join(chunks)


class _Handler:
    """The endpoint of one route."""

    def __init__(self, services: Services, route: routes.Route[Any, Any]) -> None:
        self.services = services
        self.route = route

    async def endpoint(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        structlog.contextvars.bind_contextvars(
            request_id=request_id, route=self.route.name, terminal_no=None, txn_id=None
        )
        try:
            try:
                body = await _read_body(request)
            except ProtocolError as exc:
                response = error_response(exc.body)
            else:
                response = await run_in_threadpool(
                    self._handle,
                    headers=request.headers,
                    target=_target(request),
                    body=body,
                    params={**request.query_params, **request.path_params},
                )
            response.headers["X-Request-Id"] = request_id
            return response
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "route", "terminal_no", "txn_id")
            observe_duration(self.route.name, time.perf_counter() - started)

    def _handle(
        self, *, headers: Mapping[str, str], target: str, body: bytes, params: Mapping[str, str]
    ) -> Response:
        try:
            answer = self._answer(headers=headers, target=target, body=body, params=params)
        except ProtocolError as exc:
            return self._refused(exc.body)
        except DatabaseUnreachableError as exc:  # a DomainError too: named before them
            _log.error("database_unreachable", problem=exc.problem)
            return self._refused(error_body(ErrorCode.SERVER_BUSY))
        except (RefusalError, DomainError) as exc:
            return self._refused(_refusal_body(exc))
        except OperationalError as exc:
            _log.error("database_busy", problem=str(exc.orig).splitlines()[0] if exc.orig else "")
            return self._refused(error_body(ErrorCode.SERVER_BUSY))
        except Exception:
            reference = uuid.uuid4().hex[:12]
            _log.exception("request_failed", reference=reference)
            return self._refused(internal_error(reference=reference))
        observe(self.route.name, None)
        _log.info("request_answered", status=200)
        return Response(encode(answer), media_type=JSON_CONTENT_TYPE)

    def _refused(self, body: ErrorBody) -> Response:
        observe(self.route.name, body.code)
        _log.info("request_refused", status=body.status, code=body.code, field=body.field)
        return error_response(body)

    def _answer(
        self, *, headers: Mapping[str, str], target: str, body: bytes, params: Mapping[str, str]
    ) -> Any:
        route = self.route
        services = self.services
        if not route.signed:
            request = decode(EnrolRequest, body)
            return enrol(services, request, new_key=secrets.token_bytes(KEY_BYTES))
        signed = authenticate(
            services, headers=headers, method=route.method, target=target, body=body
        )
        structlog.contextvars.bind_contextvars(terminal_no=signed.terminal.terminal_no)
        try:
            if route.method == "POST":
                message = decode(route.request, body)
            else:
                message = decode_params(route.request, params)
            txn_id = getattr(message, "txn_id", None)
            if txn_id is not None:
                structlog.contextvars.bind_contextvars(txn_id=txn_id)
            return OPERATIONS[route.name](services, signed, message)
        except (ProtocolError, DomainError) as exc:
            if exc.code not in _SIGNING_CODES:
                try:
                    keep_counter(services, signed)
                except Exception:  # the refusal stands; the counter is kept next time
                    _log.exception("counter_not_kept")
            raise


Endpoint = Callable[..., Awaitable[Any]]
"""A route's endpoint: a function of the request answering a response, or an ASGI app."""


def terminal_routes(
    services: Services, *, endpoints: Mapping[str, Endpoint] | None = None
) -> list[BaseRoute]:
    """Every route of the terminal API, and its OpenAPI document at ``/t/v1/openapi.json``;
    ``endpoints`` answers some routes (by name) otherwise than through a worker thread."""
    document = openapi_document()
    chosen = endpoints or {}

    async def openapi(_request: Request) -> Response:
        return Response(document, media_type=JSON_CONTENT_TYPE)

    mounted: list[BaseRoute] = [
        Route(
            route.path,
            chosen.get(route.name) or _Handler(services, route).endpoint,
            methods=[route.method],
            name=route.name,
        )
        for route in routes.ROUTES
    ]
    mounted.append(Route(f"{routes.API_PREFIX}/openapi.json", openapi, methods=["GET"]))
    return mounted
