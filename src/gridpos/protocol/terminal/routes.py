"""The terminal API's routes: method, versioned path, what is sent and what is answered.

Server and terminal both take paths from here, so they cannot drift apart. A ``POST`` sends its
message as the JSON body; a ``GET`` sends it as path and query parameters (``{acct}`` in the path
template is filled from the field whose wire name is ``acct``, the other fields become the query
string, in field order, defaults left out) and an empty body. :meth:`Route.target` writes the
exact path-and-query the terminal signs and sends; the server reads it back with
:func:`gridpos.protocol.codec.decode_params`.

| route            | method and path                | sends               | answers             |
| ---------------- | ------------------------------ | ------------------- | ------------------- |
| ENROL (unsigned) | POST /t/v1/enrol               | EnrolRequest        | EnrolAnswer         |
| SIGN_IN          | POST /t/v1/sign-in             | SignInRequest       | SignInAnswer        |
| SIGN_OUT         | POST /t/v1/sign-out            | SignOutRequest      | SignOutAnswer       |
| HEARTBEAT        | POST /t/v1/heartbeat           | Heartbeat           | HeartbeatAnswer     |
| ACCOUNT          | GET  /t/v1/acct/{acct}         | AccountQuery        | AccountAnswer       |
| ARREARS          | GET  /t/v1/arrears             | ArrearsQuery        | ArrearsAnswer       |
| PAY              | POST /t/v1/pay                 | PayRequest          | PayAnswer           |
| PAYMENT_STATUS   | GET  /t/v1/pay/{txn}           | PaymentStatusQuery  | PaymentStatusAnswer |
| REVERSE          | POST /t/v1/reverse             | ReverseRequest      | UndoAnswer          |
| VOID             | POST /t/v1/void                | VoidRequest         | UndoAnswer          |
| REPRINT          | GET  /t/v1/reprint             | ReprintQuery        | ReprintAnswer       |
| OFFLINE_UPLOAD   | POST /t/v1/offline             | OfflineUploadRequest| OfflineUploadAnswer |
| CLOSE_BATCH      | POST /t/v1/batch/close         | CloseBatchRequest   | CloseBatchAnswer    |
| UPLOAD_BATCH     | POST /t/v1/batch/upload        | UploadBatchRequest  | UploadBatchAnswer   |
| STATISTICS       | GET  /t/v1/stats               | StatisticsQuery     | StatisticsAnswer    |
| RECONCILE        | GET  /t/v1/reconcile           | ReconcileQuery      | ReconcileAnswer     |
| JOURNAL_UPLOAD   | POST /t/v1/journal             | JournalUploadRequest| JournalUploadAnswer |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from gridpos.protocol.messages import WireAnswer, WireParams, WireRequest
from gridpos.protocol.terminal import (
    accounts,
    batches,
    enrolment,
    journal_upload,
    payments,
    session,
)

API_VERSION = "v1"
API_PREFIX = f"/t/{API_VERSION}"

Q = TypeVar("Q", bound=BaseModel)
A = TypeVar("A", bound=WireAnswer)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Route(Generic[Q, A]):
    """One operation of the terminal API."""

    name: str
    method: Literal["GET", "POST"]
    path: str
    request: type[Q]
    answer: type[A]
    signed: bool = True

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The wire names filled into the path template."""
        return tuple(_PLACEHOLDER.findall(self.path))

    def target(self, params: WireParams | None = None) -> str:
        """The path and query string to sign and send for ``params`` (a ``GET``'s message).

        Raises:
            ValueError: ``params`` is missing for a path with placeholders, or is not the route's
                parameters type.
        """
        if params is None:
            if self.placeholders:
                raise ValueError(f"{self.name} needs {self.request.__name__} to fill its path")
            return self.path
        if not isinstance(params, self.request):
            raise ValueError(f"{self.name} takes {self.request.__name__}")
        values = params.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
        )
        path = self.path
        for name in self.placeholders:
            path = path.replace("{" + name + "}", quote(_text_of(values.pop(name)), safe=""))
        if not values:
            return path
        query = "&".join(
            f"{key}={quote(_text_of(value), safe='')}" for key, value in values.items()
        )
        return f"{path}?{query}"


ENROL = Route(
    "enrol", "POST", f"{API_PREFIX}/enrol", enrolment.EnrolRequest, enrolment.EnrolAnswer, False
)
SIGN_IN = Route(
    "sign_in", "POST", f"{API_PREFIX}/sign-in", session.SignInRequest, session.SignInAnswer
)
SIGN_OUT = Route(
    "sign_out", "POST", f"{API_PREFIX}/sign-out", session.SignOutRequest, session.SignOutAnswer
)
HEARTBEAT = Route(
    "heartbeat", "POST", f"{API_PREFIX}/heartbeat", session.Heartbeat, session.HeartbeatAnswer
)
ACCOUNT = Route(
    "account", "GET", f"{API_PREFIX}/acct/{{acct}}", accounts.AccountQuery, accounts.AccountAnswer
)
ARREARS = Route(
    "arrears", "GET", f"{API_PREFIX}/arrears", accounts.ArrearsQuery, accounts.ArrearsAnswer
)
PAY = Route("pay", "POST", f"{API_PREFIX}/pay", payments.PayRequest, payments.PayAnswer)
PAYMENT_STATUS = Route(
    "payment_status",
    "GET",
    f"{API_PREFIX}/pay/{{txn}}",
    payments.PaymentStatusQuery,
    payments.PaymentStatusAnswer,
)
REVERSE = Route(
    "reverse", "POST", f"{API_PREFIX}/reverse", payments.ReverseRequest, payments.UndoAnswer
)
VOID = Route("void", "POST", f"{API_PREFIX}/void", payments.VoidRequest, payments.UndoAnswer)
REPRINT = Route(
    "reprint", "GET", f"{API_PREFIX}/reprint", payments.ReprintQuery, payments.ReprintAnswer
)
OFFLINE_UPLOAD = Route(
    "offline_upload",
    "POST",
    f"{API_PREFIX}/offline",
    payments.OfflineUploadRequest,
    payments.OfflineUploadAnswer,
)
CLOSE_BATCH = Route(
    "close_batch",
    "POST",
    f"{API_PREFIX}/batch/close",
    batches.CloseBatchRequest,
    batches.CloseBatchAnswer,
)
UPLOAD_BATCH = Route(
    "upload_batch",
    "POST",
    f"{API_PREFIX}/batch/upload",
    batches.UploadBatchRequest,
    batches.UploadBatchAnswer,
)
STATISTICS = Route(
    "statistics", "GET", f"{API_PREFIX}/stats", batches.StatisticsQuery, batches.StatisticsAnswer
)
RECONCILE = Route(
    "reconcile", "GET", f"{API_PREFIX}/reconcile", batches.ReconcileQuery, batches.ReconcileAnswer
)

JOURNAL_UPLOAD = Route(
    "journal_upload",
    "POST",
    f"{API_PREFIX}/journal",
    journal_upload.JournalUploadRequest,
    journal_upload.JournalUploadAnswer,
)

ROUTES: tuple[Route[Any, Any], ...] = (
    ENROL,
    SIGN_IN,
    SIGN_OUT,
    HEARTBEAT,
    ACCOUNT,
    ARREARS,
    PAY,
    PAYMENT_STATUS,
    REVERSE,
    VOID,
    REPRINT,
    OFFLINE_UPLOAD,
    CLOSE_BATCH,
    UPLOAD_BATCH,
    STATISTICS,
    RECONCILE,
    JOURNAL_UPLOAD,
)
"""Every route, for a server to mount and a test to walk."""


def _check_routes() -> None:
    # a POST sends a body (a WireRequest), a GET sends parameters (WireParams)
    for route in ROUTES:
        expected = WireRequest if route.method == "POST" else WireParams
        if not issubclass(route.request, expected):
            raise TypeError(f"{route.name}: {route.method} sends a {expected.__name__}")


_check_routes()
