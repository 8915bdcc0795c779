"""The pay route (缴费) on PostgreSQL, answered in the event loop.

Every other route — and this one on SQLite — runs its use case on a worker thread
(:class:`~gridpos.interfaces.terminal_api.app._Handler`). A payment is the one request a busy
county sends thousands of times an hour, so on PostgreSQL it is answered without a thread: the
body read, the signature checked with the key the process keeps (no database), the message
decoded, :func:`~gridpos.application.payments.collect_postgresql.collect_payment_postgresql` run on
the loop's own connections (two database round trips) and the answer written as the use case
encoded it. Refusals, logs and metrics are the generic handler's.

What still needs a worker thread, rarely: checking the signature of a terminal this process has
not seen yet, or whose cached key no longer verifies (its key is read from the database then), and
keeping the counter of a refused request, as elsewhere. A request carrying a piggybacked heartbeat
goes the generic way, which keeps the heartbeat.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from gridpos.adapters.db.engine import DatabaseUnreachableError
from gridpos.adapters.db.payment_store.postgresql import LoopConnections
from gridpos.application.context import Services
from gridpos.application.payments.collect_postgresql import collect_payment_postgresql
from gridpos.application.terminals.authentication import (
    SignedRequest,
    authenticate,
    keep_counter,
)
from gridpos.domain.errors import DomainError
from gridpos.interfaces.http.metrics import observe, observe_duration
from gridpos.interfaces.terminal_api.app import (
    _SIGNING_CODES,
    Endpoint,
    _Handler,
    _read_body,
    _refusal_body,
    _target,
    error_response,
)
from gridpos.protocol.codec import JSON_CONTENT_TYPE, decode
from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError, error_body, internal_error
from gridpos.protocol.signing import SignatureRefusal, read_signed_headers, verify_request
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import PayRequest

_log = structlog.get_logger("gridpos.terminal_api")


def pay_endpoints(services: Services) -> dict[str, Endpoint]:
    """The endpoints answered in the event loop on ``services``' database: the pay route on
    PostgreSQL, none elsewhere."""
    if services.engine.dialect.name != "postgresql":
        return {}
    return {routes.PAY.name: PayEndpoint(services).endpoint}


class PayEndpoint:
    """缴费 on PostgreSQL (see the module docstring)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generic = _Handler(services, routes.PAY)
        self.connections = LoopConnections(services.engine)

    async def endpoint(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        structlog.contextvars.bind_contextvars(
            request_id=request_id, route=routes.PAY.name, terminal_no=None, txn_id=None
        )
        try:
            try:
                body = await _read_body(request)
            except ProtocolError as exc:
                response = error_response(exc.body)
            else:
                response = await self._pay(
                    headers=request.headers, target=_target(request), body=body
                )
            response.headers["X-Request-Id"] = request_id
            return response
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "route", "terminal_no", "txn_id")
            observe_duration(routes.PAY.name, time.perf_counter() - started)

    async def _pay(self, *, headers: Mapping[str, str], target: str, body: bytes) -> Response:
        services = self.services
        signed: SignedRequest | None = None
        try:
            if self._needs_database(headers=headers, target=target, body=body):
                signed = await run_in_threadpool(
                    authenticate,
                    services,
                    headers=headers,
                    method=routes.PAY.method,
                    target=target,
                    body=body,
                )
            else:
                signed = authenticate(
                    services, headers=headers, method=routes.PAY.method, target=target, body=body
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
        return Response(collected.body, media_type=JSON_CONTENT_TYPE)

    def _needs_database(self, *, headers: Mapping[str, str], target: str, body: bytes) -> bool:
        """Whether checking the signature reads the database (a terminal this process has not
        seen, or a key that no longer verifies): then it is done on a worker thread, never in
        the event loop — a flood of badly signed requests must not stall the payments."""
        signed = read_signed_headers(headers)
        if isinstance(signed, SignatureRefusal):
            return False  # refused from the headers alone
        terminal = self.services.directory.cached(signed.terminal_no)
        if terminal is None:
            return True
        refused = verify_request(
            signed=signed,
            key=terminal.key,
            method=routes.PAY.method,
            target=target,
            body=body,
            now=self.services.clock.now(),
            last_counter=None,
            allowed_skew_s=self.services.allowed_skew_s,
        )
        return refused is not None and refused.code == ErrorCode.BAD_SIGNATURE

    async def _refused(self, body: ErrorBody, signed: SignedRequest | None) -> Response:
        """The refusal's answer, the request's counter kept first (as the generic handler does)
        unless the refusal is about the signature itself."""
        if signed is not None and body.code not in _SIGNING_CODES:
            try:
                await run_in_threadpool(keep_counter, self.services, signed)
            except Exception:  # the refusal stands; the counter is kept next time
                _log.exception("counter_not_kept")
        return self.generic._refused(body)
