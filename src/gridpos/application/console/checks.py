"""Checking the fields of a console form: every wrong field is named at once, in both languages.

check = FieldChecks()
code = check.code(form_code, field="code", label_zh="机构编码", label_en="code")
check.done()  # raises InvalidFormError naming every wrong field, if any
"""

from __future__ import annotations

import re

from gridpos.application.console.errors import InvalidFormError, field_error
from gridpos.domain.errors import DomainError

CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9_.-]{2,32}")
PASSWORD_MIN = 8
PASSWORD_MAX = 64
NAME_MAX = 100


class FieldChecks:
    """Collects the refusals of a form's fields."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def add(self, error: DomainError) -> None:
        """Note one more refusal."""
        self.errors.append(error)

    def has(self, field: str) -> bool:
        """Whether ``field`` already has a refusal."""
        return any(error.field == field for error in self.errors)

    def done(self) -> None:
        """Raises :class:`InvalidFormError` naming every refusal noted, if there is any."""
        if self.errors:
            raise InvalidFormError(self.errors)

    def required(self, value: str | None, *, field: str, label_zh: str, label_en: str) -> str:
        """``value`` stripped; a refusal when it is empty."""
        text = (value or "").strip()
        if not text:
            self.add(
                field_error(
                    "field_required",
                    field=field,
                    message_zh=f"请填写{label_zh}",
                    message_en=f"the {label_en} is required",
                )
            )
        return text

    def name(self, value: str | None, *, field: str, label_zh: str, label_en: str) -> str:
        """A display name: required, at most :data:`NAME_MAX` characters."""
        text = self.required(value, field=field, label_zh=label_zh, label_en=label_en)
        if len(text) > NAME_MAX:
            self.add(
                field_error(
                    "field_too_long",
                    field=field,
                    message_zh=f"{label_zh}最多 {NAME_MAX} 个字",
                    message_en=f"the {label_en} may have at most {NAME_MAX} characters",
                )
            )
        return text

    def code(self, value: str | None, *, field: str, label_zh: str, label_en: str) -> str:
        """An organisation or agent code: letters, digits, ``_`` and ``-``, at most 32."""
        text = self.required(value, field=field, label_zh=label_zh, label_en=label_en)
        if text and not CODE_PATTERN.fullmatch(text):
            self.add(
                field_error(
                    "code_malformed",
                    field=field,
                    message_zh=f"{label_zh}只能由字母、数字、下划线和短横组成，最多 32 位",
                    message_en=(
                        f"the {label_en} may hold only letters, digits, _ and -, at most 32"
                    ),
                )
            )
        return text

    def account(self, value: str | None, *, field: str = "account") -> str:
        """An operator's account: 2–32 letters, digits, ``_ . -``."""
        text = self.required(value, field=field, label_zh="账号", label_en="account")
        if text and not ACCOUNT_PATTERN.fullmatch(text):
            self.add(
                field_error(
                    "account_malformed",
                    field=field,
                    message_zh="账号须为 2–32 位字母、数字或 _ . -",
                    message_en="the account must be 2–32 letters, digits or _ . -",
                )
            )
        return text

    def new_password(self, value: str | None, *, field: str = "password") -> str:
        """A new password: 8–64 characters with at least one letter and one digit (not
        stripped: spaces count)."""
        text = value or ""
        if not text:
            self.required(text, field=field, label_zh="密码", label_en="password")
            return text
        long_enough = PASSWORD_MIN <= len(text) <= PASSWORD_MAX
        mixed = any(c.isalpha() for c in text) and any(c.isdigit() for c in text)
        if not (long_enough and mixed):
            self.add(
                field_error(
                    "password_weak",
                    field=field,
                    message_zh=f"密码须为 {PASSWORD_MIN}–{PASSWORD_MAX} 位，且同时含字母和数字",
                    message_en=(
                        f"the password must have {PASSWORD_MIN}–{PASSWORD_MAX} characters,"
                        " with letters and digits"
                    ),
                )
            )
        return text

    def choice(
        self,
        value: str | None,
        allowed: tuple[str, ...],
        *,
        field: str,
        label_zh: str,
        label_en: str,
    ) -> str:
        """One of ``allowed``; a refusal otherwise."""
        text = self.required(value, field=field, label_zh=label_zh, label_en=label_en)
        if text and text not in allowed:
            self.add(
                field_error(
                    "choice_invalid",
                    field=field,
                    message_zh=f"{label_zh}不在可选范围内",
                    message_en=f"this {label_en} is not one you may choose",
                )
            )
        return text
