"""Refusals of the terminal's use cases, each with a stable code from the protocol's catalogue.

A use case raises :class:`RefusalError`; the terminal API answers it with the catalogue's
HTTP status.
Nothing is changed by a refused request (the unit of work rolls back), except what a refusal is
about: a wrong password counts towards the lockout, an accepted signature's counter is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridpos.domain.errors import DomainError
from gridpos.protocol.errors import ErrorCode, spec_of


class RefusalError(DomainError):
    """An anticipated refusal named by an :class:`ErrorCode`; messages default to the
    catalogue's."""

    def __init__(
        self,
        code: ErrorCode,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
        message_zh: str | None = None,
        message_en: str | None = None,
    ) -> None:
        spec = spec_of(code)
        super().__init__(
            code=code.value,
            field=field if field is not None else spec.field,
            message_zh=message_zh if message_zh is not None else spec.message_zh,
            message_en=message_en if message_en is not None else spec.message_en,
            details=dict(details) if details else None,
        )
        self.error_code = code

    @classmethod
    def wrapping(
        cls, code: ErrorCode, error: DomainError, *, field: str | None = None
    ) -> RefusalError:
        """``error`` (a domain refusal) under the protocol's ``code``, keeping its messages."""
        return cls(
            code,
            field=field if field is not None else error.field,
            details={**error.details, "reason": error.code} if error.details else None,
            message_zh=error.message_zh,
            message_en=error.message_en,
        )
