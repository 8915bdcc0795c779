"""The one-time token of a console form: a form sent twice acts once.

A write use case calls :func:`claim_form` first thing in its unit of work: on the form's first
use the claim joins the write's transaction (and goes away with it if the form is refused, so a
corrected form can be sent again); on a repeat it answers the earlier :class:`Done`, and the
use case returns that without doing anything again.
"""

from __future__ import annotations

import re
from datetime import datetime

from gridpos.adapters.db.console import FormSubmissions
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor
from gridpos.application.console.errors import Done, InvalidFormError, field_error

FORM_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def claim_form(
    uow: SqlUnitOfWork, *, form_token: str, actor: Actor, action: str, now: datetime
) -> Done | None:
    """Claim ``form_token`` for ``action`` in ``uow``'s transaction: None the first time, else
    what the earlier submission did.

    Raises :class:`InvalidFormError` (``form_token_missing``) for a missing or malformed token.
    """
    if not FORM_TOKEN_PATTERN.fullmatch(form_token or ""):
        raise InvalidFormError(
            [
                field_error(
                    "form_token_missing",
                    field="form_token",
                    message_zh="表单已失效，请刷新页面后重新提交",
                    message_en="this form has expired: reload the page and submit again",
                )
            ]
        )
    earlier = FormSubmissions(uow.connection).claim(
        form_token, operator_id=actor.operator_id, action=action, now=now
    )
    if earlier is None:
        return None
    return Done(subject=earlier.subject, repeated=True)


def settle_form(uow: SqlUnitOfWork, *, form_token: str, subject: str) -> Done:
    """Record what the claimed form acted on; the :class:`Done` to return."""
    FormSubmissions(uow.connection).settle(form_token, subject=subject)
    return Done(subject=subject)
