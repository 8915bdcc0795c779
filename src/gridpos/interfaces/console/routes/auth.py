"""Sign-in, sign-out, the language switch and the home page."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError, SignInError, sign_in, sign_out
from gridpos.interfaces.console.i18n import LANGUAGE_COOKIE, LOCALES
from gridpos.interfaces.console.registry import ConsoleModule
from gridpos.interfaces.console.web import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Visit,
    console_page,
    local_path,
    new_token,
)

LANGUAGE_COOKIE_AGE_S = 365 * 24 * 3600


def _sign_in_form(
    visit: Visit, *, status: int = 200, errors: dict[str, str] | None = None, notice: str = ""
) -> Response:
    token = visit.request.cookies.get(SIGN_IN_COOKIE) or new_token()
    visit.set_cookie(SIGN_IN_COOKIE, token)
    return visit.render(
        "sign_in.html",
        status_code=status,
        sign_in_token=token,
        next_path=local_path(visit.query("next") or visit.field("next"), "/"),
        values={
            "org_code": visit.field("org_code"),
            "account": visit.field("account"),
        },
        errors=errors or {},
        notice=notice,
    )


@console_page(signed_in=False)
async def sign_in_page(visit: Visit) -> Response:
    """The sign-in form (a signed-in visitor goes straight on)."""
    if visit.session is not None:
        return visit.redirect(local_path(visit.query("next"), "/"))
    return _sign_in_form(visit)


@console_page(signed_in=False, sign_in_form=True)
async def sign_in_submit(visit: Visit) -> Response:
    """Check account, password and organisation; open a session."""
    session_token = new_token()
    try:
        await run_in_threadpool(
            sign_in,
            visit.services,
            org_code=visit.field("org_code"),
            account=visit.field("account"),
            password=visit.field("password"),
            session_token=session_token,
            csrf_token=new_token(),
        )
    except InvalidFormError as refused:
        return _sign_in_form(visit, status=422, errors=dict(visit.field_errors(refused.errors)))
    except SignInError as refused:
        return _sign_in_form(
            visit, status=422, errors={refused.field or "": visit.message(refused)}
        )
    earlier = visit.request.cookies.get(SESSION_COOKIE, "")
    if earlier:  # signing in again (as someone else, maybe) ends the session before
        await run_in_threadpool(sign_out, visit.services, session_token=earlier)
    visit.set_cookie(SESSION_COOKIE, session_token)
    visit.delete_cookie(SIGN_IN_COOKIE)
    return visit.redirect(local_path(visit.field("next"), "/"))


@console_page()
async def sign_out_submit(visit: Visit) -> Response:
    """End the session and go back to the sign-in page."""
    await run_in_threadpool(
        sign_out, visit.services, session_token=visit.request.cookies.get(SESSION_COOKIE, "")
    )
    visit.delete_cookie(SESSION_COOKIE)
    return visit.redirect("/sign-in?signed_out=1")


@console_page(signed_in=False)
async def switch_language(visit: Visit) -> Response:
    """Remember the chosen language in a cookie and go back where the visitor was."""
    wanted = visit.request.path_params["locale"]
    target = local_path(visit.query("next"), visit.url("/"))
    if wanted in LOCALES:
        visit.set_cookie(LANGUAGE_COOKIE, wanted, max_age=LANGUAGE_COOKIE_AGE_S)
    return visit.finish(RedirectResponse(target, status_code=303))


@console_page()
async def home(visit: Visit) -> Response:
    """The landing page: who is signed in, their scope, and their pages."""
    return visit.render("home.html")


def module() -> ConsoleModule:
    """Sign-in, sign-out, language and home (always there; not in the menu)."""
    return ConsoleModule(
        name="auth",
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/sign-in", sign_in_page, methods=["GET"]),
            Route("/sign-in", sign_in_submit, methods=["POST"]),
            Route("/sign-out", sign_out_submit, methods=["POST"]),
            Route("/lang/{locale}", switch_language, methods=["GET"]),
        ],
    )
