"""Each console request: its language, its session, its CSRF check, and answering it.

Every console endpoint is made with :func:`console_page`, which opens the :class:`Visit`
(language, session), sends a signed-out visitor to the sign-in page, checks the CSRF token of
every POST (form field ``csrf_token`` or header ``X-CSRF-Token``, as htmx sends it) and the
page's permission, then calls the handler. Nothing reaches a handler unchecked.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gridpos.application.console import (
    AccessDeniedError,
    Actor,
    ConsoleServices,
    CurrentSession,
    Permission,
    current_session,
)
from gridpos.domain.errors import DomainError
from gridpos.interfaces.console.config import ConsoleConfig, CookieSecurity
from gridpos.interfaces.console.i18n import (
    HTML_LANG,
    LANGUAGE_COOKIE,
    choose_locale,
    field_messages,
    message_of,
)
from gridpos.interfaces.console.labels import level_label, role_label
from gridpos.interfaces.console.registry import PageRegistry
from gridpos.interfaces.console.rendering import Renderer

SESSION_COOKIE = "gp_session"
SIGN_IN_COOKIE = "gp_sign_in"  # the CSRF token of the sign-in form, before there is a session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_token() -> str:
    """A fresh random token (session, CSRF, form): 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What every console request shares: use-case services, settings, templates, menu."""

    services: ConsoleServices
    config: ConsoleConfig
    renderer: Renderer
    registry: PageRegistry


class CsrfRefusedError(Exception):
    """A POST without the right CSRF token."""


class SignInRequiredError(Exception):
    """A signed-out visitor asked for a page that needs a session."""


@dataclass(slots=True)
class Visit:
    """One request to the console, with its language and (maybe) its session."""

    request: Request
    runtime: Runtime
    locale: str
    session: CurrentSession | None
    form: FormData | None = None
    _cookies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        """The signed-in actor. Raises :class:`SignInRequiredError` when signed out."""
        if self.session is None:
            raise SignInRequiredError()
        return self.session.actor

    @property
    def services(self) -> ConsoleServices:
        return self.runtime.services

    def url(self, path: str) -> str:
        """The absolute path of ``path`` (``/organisations``) under the console's mount."""
        return f"{self.request.scope.get('root_path', '')}{path}"

    def field(self, name: str, default: str = "") -> str:
        """A text field of the posted form (``default`` if absent)."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else default

    def query(self, name: str, default: str = "") -> str:
        """A query parameter (``default`` if absent)."""
        return self.request.query_params.get(name, default)

    def query_int(self, name: str, default: int = 1) -> int:
        """A whole-number query parameter; ``default`` when absent or not a number."""
        raw = self.request.query_params.get(name, "")
        return int(raw) if raw.isdigit() and len(raw) < 9 else default

    def query_with(self, **changes: object) -> str:
        """The current query string with ``changes`` made (a None value removes the key)."""
        params = dict(self.request.query_params)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = str(value)
        return urlencode(params)

    def message(self, error: DomainError) -> str:
        """A refusal's message in the visitor's language."""
        return message_of(error, self.locale)

    def field_errors(self, errors: tuple[DomainError, ...]) -> Mapping[str, str]:
        return field_messages(errors, self.locale)

    def gettext(self, message: str) -> str:
        return self.runtime.renderer.gettext(self.locale, message)

    @property
    def secure_cookies(self) -> bool:
        setting = self.runtime.config.cookie_security
        if setting is CookieSecurity.ALWAYS:
            return True
        if setting is CookieSecurity.NEVER:
            return False
        return self.request.url.scheme == "https"

    def set_cookie(self, name: str, value: str, *, http_only: bool = True, **kw: Any) -> None:
        """Set a cookie on the answer (HttpOnly, SameSite=Lax, Secure as configured)."""
        self._cookies.append((name, value, {"httponly": http_only, **kw}))

    def delete_cookie(self, name: str) -> None:
        self._cookies.append((name, "", {"httponly": True, "max_age": 0}))

    def finish(self, response: Response) -> Response:
        """``response`` with the cookies this visit set."""
        for name, value, options in self._cookies:
            response.set_cookie(
                name,
                value,
                path=options.pop("path", "/"),
                samesite="lax",
                secure=self.secure_cookies,
                **options,
            )
        return response

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        """The template rendered in the visitor's language, inside the console's shell."""
        session = self.session
        base = {
            "visit": self,
            "locale": self.locale,
            "html_lang": HTML_LANG[self.locale],
            "actor": session.actor if session else None,
            "csrf_token": session.csrf_token if session else "",
            "nav": self.runtime.registry.navigation(session.actor) if session else [],
            "url": self.url,
            "current_path": self.request.url.path,
            "errors": {},
            "role_label": role_label,
            "level_label": level_label,
        }
        html = self.runtime.renderer.render(self.locale, template, {**base, **context})
        return self.finish(HTMLResponse(html, status_code=status_code))

    def redirect(self, path: str) -> Response:
        """See Other to ``path`` under the console (htmx follows it with ``HX-Redirect``)."""
        target = self.url(path)
        if self.request.headers.get("hx-request") == "true":
            return self.finish(Response(status_code=204, headers={"HX-Redirect": target}))
        return self.finish(RedirectResponse(target, status_code=303))


def runtime_of(request: Request) -> Runtime:
    """The console's :class:`Runtime` (kept in the app's state)."""
    runtime: Runtime = request.app.state.console
    return runtime


def locale_of(request: Request) -> str:
    """The language to answer ``request`` in (no database needed)."""
    return choose_locale(
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


async def open_visit(request: Request) -> Visit:
    """The :class:`Visit` of ``request``: its language and its live session, if any.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the session
    cannot be read.
    """
    runtime = runtime_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    session = (
        await run_in_threadpool(current_session, runtime.services, session_token=token)
        if token
        else None
    )
    return Visit(request=request, runtime=runtime, locale=locale_of(request), session=session)


def _tokens_match(expected: str, given: str | None) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected, given)


async def check_csrf(visit: Visit, *, sign_in_form: bool = False) -> None:
    """Raises :class:`CsrfRefusedError` unless the request carries the session's CSRF token
    (or, for the sign-in form, the token of its own cookie)."""
    if visit.session is not None and not sign_in_form:
        expected = visit.session.csrf_token
    else:
        expected = visit.request.cookies.get(SIGN_IN_COOKIE, "")
    given = visit.request.headers.get(CSRF_HEADER)
    if given is None and visit.form is not None:
        value = visit.form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not _tokens_match(expected, given):
        raise CsrfRefusedError()


Handler = Callable[[Visit], Awaitable[Response]]


def console_page(
    permission: Permission | None = None, *, signed_in: bool = True, sign_in_form: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Make a console endpoint of ``handler``: open the visit, require a session (unless
    ``signed_in`` is false), check the CSRF token of an unsafe method (the sign-in form's own
    when ``sign_in_form``) and ``permission``."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            visit = await open_visit(request)
            if signed_in and visit.session is None:
                raise SignInRequiredError()
            if request.method in UNSAFE_METHODS:
                visit.form = await request.form()
                await check_csrf(visit, sign_in_form=sign_in_form)
            if permission is not None and not visit.actor.can(permission):
                raise AccessDeniedError()
            return await handler(visit)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        endpoint.console_guarded = True  # type: ignore[attr-defined]
        return endpoint

    return wrap


def sign_in_location(visit_or_request: Visit | Request) -> str:
    """The sign-in page, coming back to the requested page afterwards."""
    request = visit_or_request.request if isinstance(visit_or_request, Visit) else visit_or_request
    root = request.scope.get("root_path", "")
    wanted = request.url.path[len(root) :] if request.method == "GET" else "/"
    if request.url.query and request.method == "GET":
        wanted = f"{wanted}?{request.url.query}"
    return f"{root}/sign-in?next={quote(wanted, safe='')}"


def local_path(candidate: str, default: str = "/") -> str:
    """``candidate`` if it is a path inside the console (never another site), else
    ``default``."""
    if candidate.startswith("/") and not candidate.startswith("//") and "\\" not in candidate:
        return candidate
    return default
