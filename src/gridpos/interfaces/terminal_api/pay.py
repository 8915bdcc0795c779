"""The pay route (缴费) on PostgreSQL, answered in the event loop.

Every other route — and this one on SQLite — runs its use case on a worker thread
(:class:`~gridpos.interfaces.terminal_api.app._Handler`). A payment is the one request a busy
county sends thousands of times an hour, so on PostgreSQL it is answered without a thread: the
body read, the signature checked once with the key the process keeps (no database), the message
decoded, :func:`~gridpos.application.payments.collect_postgresql.collect_payment_postgresql` run on
the loop's own connections (two database round trips) and the answer written as the use case
encoded it. Refusals, logs and metrics are the generic handler's.

The route is a plain ASGI app (:class:`PayEndpoint`): it reads the request's headers and body
from the ASGI scope and messages and writes its answer as two ASGI messages, without building
a request and a response object per payment. Its answer is byte for byte what the generic
handler's response would be (status, ``content-length``, ``content-type``, ``x-request-id``).

What still needs a worker thread, rarely: checking the signature of a terminal this process has
not seen yet, or whose cached key no longer verifies (its key is read from the database then), and
keeping the counter of a refused request, as elsewhere. A request carrying a piggybacked heartbeat
goes the generic way, which keeps the heartbeat.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gridpos.adapters.db.engine import DatabaseUnreachableError
from gridpos.adapters.db.payment_store.postgresql import LoopConnections
from gridpos.application.context import Services
from gridpos.application.payments.collect_postgresql import collect_payment_postgresql
from gridpos.application.terminals.authentication import (
    SignedRequest,
    authenticate,
    authenticate_cached,
    keep_counter,
)
from gridpos.domain.errors import DomainError
from gridpos.interfaces.http.metrics import observe, observe_duration
from gridpos.interfaces.terminal_api.app import (
    _SIGNING_CODES,
    Endpoint,
    _Handler,
    _refusal_body,
    error_response,
)
from gridpos.protocol.codec import JSON_CONTENT_TYPE, MAX_BODY_BYTES, decode
from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError, error_body, internal_error
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import PayRequest

_log = structlog.get_logger("gridpos.terminal_api")
_CONTENT_TYPE = JSON_CONTENT_TYPE.encode("latin-1")


def pay_endpoints(services: Services) -> dict[str, Endpoint]:
    """The endpoints answered in the event loop on ``services``' database: the pay route on
    PostgreSQL, none elsewhere."""
    if services.engine.dialect.name != "postgresql":
        return {}
    return {routes.PAY.name: PayEndpoint(services)}


class _Disconnected(Exception):  # noqa: N818 - not an error: the terminal went away
    """The client closed the connection before its request was read whole."""


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the first of repeated ones, as Starlette's
    ``Headers.get``)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def _target(scope: Scope) -> str:
    """The request target as signed: the raw path and the query string."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string") or b""
    target = raw_path.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


async def _read_body(headers: Mapping[str, str], receive: Receive) -> bytes:
    """The body, up to the protocol's limit. Raises ``body_too_large``, or
    :class:`_Disconnected`."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProtocolError.of(ErrorCode.BODY_TOO_LARGE, details={"max": MAX_BODY_BYTES})
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProtocolError.of(ErrorCode.BODY_TOO_LARGE, details={"max": MAX_BODY_BYTES})
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class PayEndpoint:
    """缴费 on PostgreSQL, an ASGI app (see the module docstring)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generic = _Handler(services, routes.PAY)
        self.connections = LoopConnections(services.engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers = _headers(scope)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex[:16]
        structlog.contextvars.bind_contextvars(
            request_id=request_id, route=routes.PAY.name, terminal_no=None, txn_id=None
        )
        try:
            try:
                body = await _read_body(headers, receive)
            except _Disconnected:
                return
            except ProtocolError as exc:
                await _respond(send, error_response(exc.body), request_id)
                return
            answer = await self._pay(headers=headers, target=_target(scope), body=body)
            if isinstance(answer, Response):
                await _respond(send, answer, request_id)
            else:
                await _respond_ok(send, answer, request_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "route", "terminal_no", "txn_id")
            observe_duration(routes.PAY.name, time.perf_counter() - started)

    async def _pay(self, *, headers: Mapping[str, str], target: str, body: bytes) -> Any:
        """The body of the receipt, or the response of a refusal."""
        services = self.services
        signed: SignedRequest | None = None
        method = routes.PAY.method
        try:
            signed = authenticate_cached(
                services, headers=headers, method=method, target=target, body=body
            )
            if signed is None:
                # a terminal this process has not seen, or a key that no longer verifies
                signed = await run_in_threadpool(
                    authenticate, services, headers=headers, method=method, target=target, body=body
                )
            structlog.contextvars.bind_contextvars(terminal_no=signed.terminal.terminal_no)
            if signed.heartbeat is not None:
                return await run_in_threadpool(
                    self.generic._handle, headers=headers, target=target, body=body, params={}
                )
            message = decode(PayRequest, body)
            structlog.contextvars.bind_contextvars(txn_id=message.txn_id)
            collected = await collect_payment_postgresql(
                services, signed, message, connections=self.connections.current()
            )
        except ProtocolError as exc:
            return await self._refused(exc.body, signed)
        except DatabaseUnreachableError as exc:
            _log.error("database_unreachable", problem=exc.problem)
            return self.generic._refused(error_body(ErrorCode.SERVER_BUSY))
        except DomainError as exc:
            return await self._refused(_refusal_body(exc), signed)
        except Exception:
            reference = uuid.uuid4().hex[:12]
            _log.exception("request_failed", reference=reference)
            return self.generic._refused(internal_error(reference=reference))
        observe(routes.PAY.name, None)
        _log.info("request_answered", status=200)
        return collected.body

    async def _refused(self, body: ErrorBody, signed: SignedRequest | None) -> Response:
        """The refusal's answer, the request's counter kept first (as the generic handler does)
        unless the refusal is about the signature itself."""
        if signed is not None and body.code not in _SIGNING_CODES:
            try:
                await run_in_threadpool(keep_counter, self.services, signed)
            except Exception:  # the refusal stands; the counter is kept next time
                _log.exception("counter_not_kept")
        return self.generic._refused(body)


async def _respond(send: Send, response: Response, request_id: str) -> None:
    """Send a response built the generic way, with the request's id."""
    response.headers["X-Request-Id"] = request_id
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})


async def _respond_ok(send: Send, body: bytes, request_id: str) -> None:
    """Send a receipt: the headers a ``Response(body, media_type=JSON)`` has, in its order."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"content-type", _CONTENT_TYPE),
                (b"x-request-id", request_id.encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
