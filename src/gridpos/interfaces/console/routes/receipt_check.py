"""The public receipt check (收据查验): no sign-in; scan or paste a receipt's QR code, or type its
terminal number, serial and verification code → genuine or not, and what it covers.

Not in the menu (everyone may use it, signed in or not); the sign-in page links to it. The form
is POSTed with a CSRF token like the sign-in form, so the code never lands in a URL or a log.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import InvalidFormError
from gridpos.application.console.receipt_check import (
    CheckRefusedError,
    ReceiptCheckLimiter,
    ReceiptStatus,
    ReceiptVerdict,
    check_receipt,
    read_claim,
)
from gridpos.domain.money import format_yuan
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule
from gridpos.interfaces.console.web import SIGN_IN_COOKIE, Visit, console_page, new_token

PATH = "/receipt-check"
STATUS_LABELS = {
    ReceiptStatus.CONFIRMED: N_("Confirmed: the company has this payment"),
    ReceiptStatus.REVERSED: N_("Reversed: the payment was cancelled at the terminal"),
    ReceiptStatus.VOIDED: N_("Voided: the payment was cancelled the same day"),
    ReceiptStatus.CANCELLED: N_("Cancelled later by the company"),
    ReceiptStatus.REJECTED: N_("Refused by the company"),
    ReceiptStatus.NOT_UPLOADED: N_("Offline receipt, not yet uploaded by the terminal"),
    ReceiptStatus.UNSETTLED: N_("Recorded, outcome not yet settled"),
}
FIELDS = ("qr", "terminal_no", "trace_no", "code")


def _client_of(visit: Visit) -> str:
    client = visit.request.client
    return client.host if client is not None else "unknown"


def _form_token(visit: Visit) -> str:
    """The CSRF token of the form: the session's when signed in, else a cookie's (as sign-in)."""
    if visit.session is not None:
        return visit.session.csrf_token
    token = visit.request.cookies.get(SIGN_IN_COOKIE) or new_token()
    visit.set_cookie(SIGN_IN_COOKIE, token)
    return token


def _page(
    visit: Visit,
    *,
    status: int = 200,
    errors: Any = None,
    verdict: ReceiptVerdict | None = None,
    refusal: str = "",
) -> Response:
    return visit.render(
        "receipt_check/check.html",
        status_code=status,
        form_csrf=_form_token(visit),
        # typed values come back only to be corrected: after a verdict the form is empty again,
        # ready for the next scan (and the full customer number is not shown back)
        values={name: visit.field(name) if errors else "" for name in FIELDS if name != "code"},
        errors=errors or {},
        verdict=verdict,
        refusal=refusal,
        status_labels=STATUS_LABELS,
        yuan=format_yuan,
    )


def module(limiter: ReceiptCheckLimiter | None = None) -> ConsoleModule:
    """The receipt check's routes; ``limiter`` counts the checks (a fresh one by default)."""
    limiter = limiter or ReceiptCheckLimiter()

    @console_page(signed_in=False)
    async def check_page(visit: Visit) -> Response:
        """The form."""
        return _page(visit)

    @console_page(signed_in=False)
    async def check_submit(visit: Visit) -> Response:
        """Check the receipt; the form again with the verdict, or with the wrong fields marked."""
        try:
            claim = read_claim(**{name: visit.field(name) for name in FIELDS})
        except InvalidFormError as refused:
            return _page(visit, status=422, errors=visit.field_errors(refused.errors))
        try:
            verdict = await run_in_threadpool(
                check_receipt, visit.services, limiter, client=_client_of(visit), claim=claim
            )
        except CheckRefusedError as refused:
            return _page(visit, status=429, refusal=visit.message(refused))
        return _page(visit, verdict=verdict)

    return ConsoleModule(
        name="receipt_check",
        routes=[
            Route(PATH, check_page, methods=["GET"]),
            Route(PATH, check_submit, methods=["POST"]),
        ],
    )
