"""The reference MIS's refusals, each with a stable code and the HTTP status it answers with.

Every refusal is a :class:`MisError` (a :class:`~gridpos.domain.errors.DomainError`): ``code``,
``field``, ``message_zh``, ``message_en`` and optional ``details``. :func:`http_status` maps codes
to statuses: 404 for unknown things, 409 for conflicts with the MIS's state, 422 for requests that
cannot be applied as they stand, 401 for a missing or wrong API key, 503 for failure on purpose.
"""

from __future__ import annotations

from typing import Any, Final

from gridpos.domain.errors import DomainError


class MisError(DomainError):
    """An anticipated refusal of the reference MIS; nothing was changed."""

    code = "mis_error"


_STATUS: Final[dict[str, int]] = {
    "unauthorized": 401,
    "account_not_found": 404,
    "posting_not_found": 404,
    "receivable_not_found": 404,
    "payment_id_reused": 409,
    "receivable_settled": 409,
    "posting_already_reversed": 409,
    "posting_already_cancelled": 409,
    "prepaid_already_used": 409,
    "reading_exists": 409,
    "already_billed": 409,
    "mis_unavailable": 503,
    "mis_down": 503,
}


def http_status(code: str) -> int:
    """The HTTP status a refusal with ``code`` answers with (422 unless listed)."""
    return _STATUS.get(code, 422)


def refusal(code: str, field: str | None, zh: str, en: str, **details: Any) -> MisError:
    """A :class:`MisError` built in one line."""
    return MisError(code=code, field=field, message_zh=zh, message_en=en, details=details)


def account_not_found(account_no: str) -> MisError:
    return refusal(
        "account_not_found",
        "account_no",
        f"户号 {account_no} 不存在",
        f"no customer with account number {account_no}",
        account_no=account_no,
    )


def posting_not_found(payment_id: str) -> MisError:
    return refusal(
        "posting_not_found",
        "payment_id",
        f"没有交易号为 {payment_id} 的进账",
        f"no posting with payment id {payment_id}",
        payment_id=payment_id,
    )
