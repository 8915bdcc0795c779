"""Which use case answers each route of the terminal API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gridpos.application import accounts, batches
from gridpos.application.payments import collect, offline, status, undo
from gridpos.application.terminals import journal_upload, session
from gridpos.protocol.terminal import routes

SignedOperation = Callable[[Any, Any, Any], Any]
"""``(services, signed request, message) -> answer``"""


OPERATIONS: Mapping[str, SignedOperation] = {
    routes.SIGN_IN.name: session.sign_in,
    routes.SIGN_OUT.name: session.sign_out,
    routes.HEARTBEAT.name: session.heartbeat,
    routes.ACCOUNT.name: accounts.query_account,
    routes.ARREARS.name: accounts.download_arrears,
    # on PostgreSQL the pay route is answered by ``pay.PayEndpoint`` (the same rules, in the
    # event loop); this generic path serves SQLite and requests with a piggybacked heartbeat
    routes.PAY.name: collect.collect_payment,
    routes.PAYMENT_STATUS.name: status.payment_status,
    routes.REVERSE.name: undo.reverse_payment,
    routes.VOID.name: undo.void_payment,
    routes.REPRINT.name: status.reprint,
    routes.OFFLINE_UPLOAD.name: offline.upload_offline,
    routes.CLOSE_BATCH.name: batches.close_batch,
    routes.UPLOAD_BATCH.name: batches.upload_batch,
    routes.STATISTICS.name: batches.statistics,
    routes.RECONCILE.name: batches.reconcile,
    routes.JOURNAL_UPLOAD.name: journal_upload.upload_journal,
}


def _check() -> None:
    signed = {route.name for route in routes.ROUTES if route.signed}
    if signed != set(OPERATIONS):
        raise RuntimeError(f"routes without an operation: {sorted(signed ^ set(OPERATIONS))}")


_check()
