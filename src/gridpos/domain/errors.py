"""The one base class for anticipated failures of the business rules.

Every refusal carries a stable code, the field it concerns and a message in Chinese and English,
so every interface (terminal API, console, command line) can show it without translating it again.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An anticipated refusal: stable ``code``, the ``field`` it concerns, zh and en messages."""

    code: str = "domain_error"

    def __init__(
        self,
        *,
        message_zh: str,
        message_en: str,
        field: str | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        if code is not None:
            self.code = code
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        """The refusal as plain data, as it travels on the wire and into logs."""
        body: dict[str, Any] = {
            "code": self.code,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if self.details:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}{where}: {self.message_zh} / {self.message_en}"
