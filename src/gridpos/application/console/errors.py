"""The console's refusals: access, things not found, and forms with fields to correct.

Every refusal is a :class:`~gridpos.domain.errors.DomainError` with a stable code, the field it
concerns and messages in Chinese and English, shown next to the field in the user's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridpos.domain.errors import DomainError


class ConsoleError(DomainError):
    """An anticipated refusal of a console use case."""

    code = "console_error"


class AccessDeniedError(ConsoleError):
    """The actor's role or place in the tree does not allow this."""

    code = "access_denied"

    def __init__(
        self,
        *,
        message_zh: str = "您无权进行此操作，或所查内容不在您的管辖范围内",
        message_en: str = "you may not do this, or what you asked for lies outside your scope",
        field: str | None = None,
    ) -> None:
        super().__init__(message_zh=message_zh, message_en=message_en, field=field)


class NotFoundError(ConsoleError):
    """What was asked for does not exist."""

    code = "not_found"


class InvalidFormError(ConsoleError):
    """One or more fields of a form are wrong; :attr:`errors` names each (nothing was saved)."""

    code = "form_invalid"

    def __init__(self, errors: Sequence[DomainError]) -> None:
        self.errors = tuple(errors)
        super().__init__(
            message_zh="请修正标出的内容后重新提交",
            message_en="please correct the marked fields and submit again",
            details={"fields": [error.field for error in self.errors]},
        )

    def for_field(self, field: str) -> DomainError | None:
        """The first refusal of ``field``, or None."""
        return next((error for error in self.errors if error.field == field), None)


def field_error(code: str, *, field: str, message_zh: str, message_en: str) -> ConsoleError:
    """A refusal of one field."""
    return ConsoleError(code=code, field=field, message_zh=message_zh, message_en=message_en)


@dataclass(frozen=True, slots=True)
class Done:
    """What a write use case did: the ``subject`` it acted on (e.g. ``organisation:23``), and
    whether this was a repeat of a form already acted on (then nothing was done again)."""

    subject: str
    repeated: bool = False
