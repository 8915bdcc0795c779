"""The server's HTTP client of the MIS interface (``gridpos.protocol.mis``).

Every call has a timeout (the client's default, or a shorter one per call — the account refresh
on a terminal's query uses one of a second or two) and answers a typed message or raises one of
the named errors of :mod:`gridpos.adapters.mis.errors`; nothing else escapes. The client is
thread-safe (one ``httpx.Client`` and its connection pool); close it when done.
"""

from __future__ import annotations

from datetime import date
from types import TracebackType
from typing import Any, Final, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from gridpos.adapters.mis.errors import (
    MisMalformedError,
    MisRefusedError,
    MisUnreachableError,
)
from gridpos.protocol.mis import (
    API_KEY_HEADER,
    API_PREFIX,
    Arrears,
    ChangesPage,
    CustomerRecord,
    ErrorResponse,
    Organisation,
    PostingReport,
    PostingRequest,
    PostingResult,
    UndoKind,
    UndoRequest,
    UndoResult,
)

DEFAULT_TIMEOUT_S: Final[float] = 10.0
_USER_AGENT: Final[str] = "gridpos-server"
_MessageT = TypeVar("_MessageT", bound=BaseModel)
_UNDO_PATHS: Final[dict[str, str]] = {"reversal": "reversal", "cancellation": "cancellation"}


class MisClient:
    """Calls of the MIS interface at ``base_url`` (e.g. ``http://127.0.0.1:8700``)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("the MIS timeout must be above zero")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={API_KEY_HEADER: api_key, "User-Agent": _USER_AGENT},
            timeout=timeout_s,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # ---- reading -----------------------------------------------------------------------------

    def organisation(self, *, timeout_s: float | None = None) -> Organisation:
        """The county company and its supply stations (``GET /organisation``).

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call("organisation", "GET", "/organisation", Organisation, timeout_s=timeout_s)

    def changes(self, *, since: int, limit: int, timeout_s: float | None = None) -> ChangesPage:
        """Customers and receivables changed after the watermark ``since`` (``GET /changes``).

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call(
            "changes",
            "GET",
            "/changes",
            ChangesPage,
            params={"since": since, "limit": limit},
            timeout_s=timeout_s,
        )

    def customer(self, account_no: str, *, timeout_s: float | None = None) -> CustomerRecord:
        """One customer (``GET /customers/{account_no}``); ``account_not_found`` is a refusal.

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call(
            "customer",
            "GET",
            f"/customers/{_segment(account_no)}",
            CustomerRecord,
            timeout_s=timeout_s,
        )

    def arrears(self, account_no: str, *, as_of: date, timeout_s: float | None = None) -> Arrears:
        """One account's open receivables and credits as of a day (``GET …/arrears``).

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call(
            "arrears",
            "GET",
            f"/customers/{_segment(account_no)}/arrears",
            Arrears,
            params={"as_of": as_of.isoformat()},
            timeout_s=timeout_s,
        )

    def find_posting(
        self, payment_id: str, *, timeout_s: float | None = None
    ) -> PostingResult | None:
        """The posting made under ``payment_id``, or None when the MIS has none.

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError` (any refusal but
        ``posting_not_found``), :class:`MisMalformedError`.
        """
        try:
            return self._call(
                "find_posting",
                "GET",
                f"/postings/{_segment(payment_id)}",
                PostingResult,
                timeout_s=timeout_s,
            )
        except MisRefusedError as exc:
            if exc.status == httpx.codes.NOT_FOUND and exc.mis_code == "posting_not_found":
                return None
            raise

    def posting_report(
        self, business_date: date, *, timeout_s: float | None = None
    ) -> PostingReport:
        """The daily posting report (进账日报) of a business date.

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call(
            "posting_report",
            "GET",
            "/reports/postings",
            PostingReport,
            params={"business_date": business_date.isoformat()},
            timeout_s=timeout_s,
        )

    def reconciliation_file(self, business_date: date, *, timeout_s: float | None = None) -> bytes:
        """The 银电联网 reconciliation file (对账文件) of a business date, as the MIS sent it (GBK
        text: read it with :func:`gridpos.protocol.bank_file.parse_reconciliation_file`).

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        operation = "reconciliation_file"
        response = self._send(
            operation, "GET", f"/reconciliation-files/{business_date:%Y%m%d}", timeout_s=timeout_s
        )
        _raise_for_status(operation, response)
        return response.content

    # ---- writing -----------------------------------------------------------------------------

    def post_payment(
        self, request: PostingRequest, *, timeout_s: float | None = None
    ) -> PostingResult:
        """Post a payment (进账). The MIS answers a repeat of the same request with the first
        result, and refuses the same ``payment_id`` with other content (``payment_id_reused``).

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call(
            "post_payment",
            "POST",
            "/postings",
            PostingResult,
            json=request.model_dump(mode="json"),
            timeout_s=timeout_s,
        )

    def undo_posting(
        self,
        payment_id: str,
        request: UndoRequest,
        *,
        kind: UndoKind,
        timeout_s: float | None = None,
    ) -> UndoResult:
        """Reverse (冲正, same business day) or cancel (冲销, later) the posting of ``payment_id``.
        Repeating an undo answers the same result.

        Raises :class:`MisUnreachableError`, :class:`MisRefusedError`, :class:`MisMalformedError`.
        """
        return self._call(
            f"undo_posting.{kind}",
            "POST",
            f"/postings/{_segment(payment_id)}/{_UNDO_PATHS[kind]}",
            UndoResult,
            json=request.model_dump(mode="json"),
            timeout_s=timeout_s,
        )

    # ---- the one place HTTP happens ----------------------------------------------------------

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        answer: type[_MessageT],
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        timeout_s: float | None = None,
    ) -> _MessageT:
        response = self._send(
            operation, method, path, params=params, json=json, timeout_s=timeout_s
        )
        return _read_answer(operation, response, answer)

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            return self._http.request(
                method, API_PREFIX + path, params=params, json=json, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            raise MisUnreachableError(
                operation=operation,
                code="mis_timeout",
                message_zh=f"营销系统在 {timeout:g} 秒内没有应答",
                message_en=f"the MIS did not answer within {timeout:g} s",
                details={"timeout_s": str(timeout), "problem": type(exc).__name__},
            ) from exc
        except httpx.HTTPError as exc:
            raise MisUnreachableError(
                operation=operation,
                message_zh="无法连接营销系统",
                message_en=f"cannot reach the MIS at {self.base_url}",
                details={"problem": type(exc).__name__, "url": self.base_url},
            ) from exc


def _segment(value: str) -> str:
    """A path segment, escaped so no value can change the path."""
    return quote(value, safe="")


def _read_answer(operation: str, response: httpx.Response, answer: type[_MessageT]) -> _MessageT:
    _raise_for_status(operation, response)
    try:
        return answer.model_validate_json(response.content)
    except ValidationError as exc:
        errors = exc.errors()
        where = ".".join(str(part) for part in errors[0]["loc"]) if errors else ""
        where = where or "body"
        raise MisMalformedError(
            operation=operation,
            code="mis_malformed",
            message_zh=f"营销系统的应答格式不正确（{where}）",
            message_en=f"the MIS answered a malformed {answer.__name__} ({where})",
            details={"status": response.status_code, "where": where},
        ) from exc


def _raise_for_status(operation: str, response: httpx.Response) -> None:
    status = response.status_code
    if status >= httpx.codes.INTERNAL_SERVER_ERROR:
        error = _error_body(response)
        mis_code = error.error.code if error else f"http_{status}"
        raise MisUnreachableError(
            operation=operation,
            code="mis_unavailable",
            message_zh=f"营销系统暂不可用（HTTP {status}）",
            message_en=f"the MIS is unavailable (HTTP {status}, {mis_code})",
            details={"status": status, "mis_code": mis_code},
        )
    if status >= httpx.codes.BAD_REQUEST:
        error = _error_body(response)
        if error is None:
            raise MisMalformedError(
                operation=operation,
                code="mis_malformed",
                message_zh=f"营销系统的拒绝应答格式不正确（HTTP {status}）",
                message_en=f"the MIS refused with an unreadable answer (HTTP {status})",
                details={"status": status},
            )
        body = error.error
        raise MisRefusedError(
            operation=operation,
            status=status,
            mis_code=body.code,
            mis_field=body.field,
            mis_message_zh=body.message_zh,
            mis_message_en=body.message_en,
            mis_details=dict(body.details),
        )


def _error_body(response: httpx.Response) -> ErrorResponse | None:
    try:
        return ErrorResponse.model_validate_json(response.content)
    except ValidationError:
        return None
