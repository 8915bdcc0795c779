"""Failure on purpose, so tests and demos can watch the server cope with a bad MIS.

Modes (``gridpos.protocol.mis.FaultSettings``), applied by :class:`FaultMiddleware` to every request
except ``/admin/…`` (the switch itself stays reachable):

- ``normal``: nothing;
- ``slow``: wait ``delay_ms`` before handling the request (the work is then done as usual);
- ``error``: answer 503 ``mis_unavailable`` without doing anything, to ``error_percent`` of the
  requests, spread evenly (request ``n`` fails when ``n × percent`` crosses a multiple of 100), so
  a test knows exactly which requests fail;
- ``down``: answer every request 503 ``mis_down`` at once and close the connection
  (``Connection: close``). We chose an answer over dropping the socket because an ASGI app cannot
  drop it cleanly; to see connection refusals, stop the process — it loses nothing.

The settings start from ``GRIDPOS_REFMIS_FAULTS`` (``normal``, ``slow:2000``, ``error:50``,
``down``) or ``--faults`` and change at run time through ``POST /admin/faults``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import orjson
from pydantic import ValidationError

from gridpos.protocol.mis import ErrorBody, ErrorResponse, FaultSettings
from gridpos.refmis.errors import refusal

ADMIN_PREFIX = "/admin"


def parse_fault_setting(text: str) -> FaultSettings:
    """``"slow:2000"`` → slow with 2000 ms; ``"error:50"`` → half the requests fail.

    Raises :class:`~gridpos.refmis.errors.MisError` ``faults_invalid`` for anything else.
    """
    mode, _, argument = text.strip().partition(":")
    try:
        if mode == "slow":
            return FaultSettings(mode="slow", delay_ms=int(argument or "1000"))
        if mode == "error":
            return FaultSettings(mode="error", error_percent=int(argument or "100"))
        if mode in {"normal", "down", ""}:
            return FaultSettings(mode="down" if mode == "down" else "normal")
    except (ValueError, ValidationError):
        pass
    raise refusal(
        "faults_invalid",
        "faults",
        "故障设置应为 normal、slow:毫秒、error:百分比 或 down",
        "faults are normal, slow:<ms>, error:<percent> or down",
        given=text,
    )


class FaultState:
    """The current fault settings and the count of requests they applied to (thread-safe)."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or FaultSettings()
        self._requests = 0

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    def set(self, settings: FaultSettings) -> FaultSettings:
        with self._lock:
            self._settings = settings
            self._requests = 0
            return settings

    def next_request(self) -> tuple[FaultSettings, bool]:
        """The settings for the next request and whether an ``error`` mode fails it."""
        with self._lock:
            self._requests += 1
            n, percent = self._requests, self._settings.error_percent
            fails = (n * percent) // 100 != ((n - 1) * percent) // 100
            return self._settings, fails


def _error_body(code: str, zh: str, en: str) -> bytes:
    body = ErrorResponse(error=ErrorBody(code=code, message_zh=zh, message_en=en))
    return orjson.dumps(body.model_dump(mode="json"))


_UNAVAILABLE = _error_body(
    "mis_unavailable",
    "营销系统暂时无法处理请求（故障演练）",
    "the MIS is unavailable (fault drill)",
)
_DOWN = _error_body("mis_down", "营销系统已停机（故障演练）", "the MIS is down (fault drill)")


class FaultMiddleware:
    """Pure ASGI middleware applying a :class:`FaultState` to HTTP requests."""

    def __init__(self, app: Any, *, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        settings, fails = self.state.next_request()
        if settings.mode == "slow" and settings.delay_ms:
            await asyncio.sleep(settings.delay_ms / 1000)
        elif settings.mode == "error" and fails:
            await _answer(send, _UNAVAILABLE, close=False)
            return
        elif settings.mode == "down":
            await _answer(send, _DOWN, close=True)
            return
        await self.app(scope, receive, send)


async def _answer(send: Any, body: bytes, *, close: bool) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"retry-after", b"5"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
