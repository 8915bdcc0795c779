"""Which use case answers each route of the terminal API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gridpos.application import accounts, batches
from gridpos.application.context import Services
from gridpos.application.payments import collect, collect_postgresql, offline, status, undo
from gridpos.application.terminals import session
from gridpos.application.terminals.authentication import SignedRequest
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest

SignedOperation = Callable[[Any, Any, Any], Any]
"""``(services, signed request, message) -> answer``"""


def pay(services: Services, signed: SignedRequest, request: PayRequest) -> PayAnswer:
    """缴费: on PostgreSQL in two database round trips, elsewhere statement by statement — the
    same rules and answers either way. A request carrying a piggybacked heartbeat takes the
    generic path, which keeps the heartbeat as every other operation does."""
    if signed.heartbeat is None and services.engine.dialect.name == "postgresql":
        return collect_postgresql.collect_payment_postgresql(services, signed, request)
    return collect.collect_payment(services, signed, request)


OPERATIONS: Mapping[str, SignedOperation] = {
    routes.SIGN_IN.name: session.sign_in,
    routes.SIGN_OUT.name: session.sign_out,
    routes.HEARTBEAT.name: session.heartbeat,
    routes.ACCOUNT.name: accounts.query_account,
    routes.ARREARS.name: accounts.download_arrears,
    routes.PAY.name: pay,
    routes.PAYMENT_STATUS.name: status.payment_status,
    routes.REVERSE.name: undo.reverse_payment,
    routes.VOID.name: undo.void_payment,
    routes.REPRINT.name: status.reprint,
    routes.OFFLINE_UPLOAD.name: offline.upload_offline,
    routes.CLOSE_BATCH.name: batches.close_batch,
    routes.UPLOAD_BATCH.name: batches.upload_batch,
    routes.STATISTICS.name: batches.statistics,
    routes.RECONCILE.name: batches.reconcile,
}


def _check() -> None:
    signed = {route.name for route in routes.ROUTES if route.signed}
    if signed != set(OPERATIONS):
        raise RuntimeError(f"routes without an operation: {sorted(signed ^ set(OPERATIONS))}")


_check()
