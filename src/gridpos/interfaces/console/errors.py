"""What the user sees when something goes wrong: never a stack trace.

- anything unanticipated (the database down, a bug): a calm "操作异常" page with a reference id,
  and one log line (``console_request_failed``) carrying that id, the request and the traceback;
- a page that does not exist: the 404 page; a refusal of access or of a stale form: the 403 page;
- a signed-out visitor: the sign-in page, coming back afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridpos.application.console import AccessDeniedError, NotFoundError
from gridpos.interfaces.console.i18n import HTML_LANG, message_of
from gridpos.interfaces.console.web import (
    CsrfRefusedError,
    SignInRequiredError,
    locale_of,
    runtime_of,
    sign_in_location,
)

_log = structlog.get_logger(__name__)


def _page(request: Request, template: str, status: int, **context: Any) -> Response:
    locale = locale_of(request)
    root = request.scope.get("root_path", "")
    html = runtime_of(request).renderer.render(
        locale,
        template,
        {
            "locale": locale,
            "html_lang": HTML_LANG[locale],
            "url": lambda path: f"{root}{path}",
            "current_path": request.url.path,
            **context,
        },
    )
    return HTMLResponse(html, status_code=status)


async def not_found(request: Request, exc: Exception) -> Response:
    """The 404 page (a 405 reads the same: there is no such page to send to)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    detail = message_of(exc, locale_of(request)) if isinstance(exc, NotFoundError) else ""
    return _page(request, "not_found.html", 404 if status in (404, 405) else status, detail=detail)


async def access_denied(request: Request, exc: Exception) -> Response:
    """The 403 page for a refusal of access."""
    detail = message_of(exc, locale_of(request)) if isinstance(exc, AccessDeniedError) else ""
    _log.info("console_access_denied", path=request.url.path, method=request.method)
    return _page(request, "forbidden.html", 403, detail=detail, stale_form=False)


async def csrf_refused(request: Request, _exc: Exception) -> Response:
    """The 403 page for a form without the right CSRF token (stale, or sent from elsewhere)."""
    _log.info("console_csrf_refused", path=request.url.path)
    return _page(request, "forbidden.html", 403, detail="", stale_form=True)


async def sign_in_required(request: Request, _exc: Exception) -> Response:
    """Send a signed-out visitor to the sign-in page (htmx: by ``HX-Redirect``)."""
    location = sign_in_location(request)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


EXCEPTION_HANDLERS = {
    404: not_found,
    405: not_found,
    NotFoundError: not_found,
    AccessDeniedError: access_denied,
    CsrfRefusedError: csrf_refused,
    SignInRequiredError: sign_in_required,
}


class ErrorPages:
    """ASGI middleware: an unanticipated failure becomes the "操作异常" page with a reference
    id that is in the log line of the failure."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            reference = uuid.uuid4().hex[:12].upper()
            request = Request(scope)
            _log.error(
                "console_request_failed",
                reference=reference,
                method=request.method,
                path=request.url.path,
                error=type(exc).__name__,
                exc_info=exc,
            )
            if started:  # the answer is half sent: nothing better to do than to stop
                return
            response = _page(request, "failed.html", 500, reference=reference)
            await response(scope, receive, send)
