"""The one refusal of the link emulator: a setting it cannot apply (profile, script, address)."""

from __future__ import annotations

from typing import Any

from gridpos.domain.errors import DomainError


class LinkSettingError(DomainError):
    """A link setting that cannot be applied; ``code`` says which, ``field`` where it is."""

    code = "link_setting_invalid"


def setting_error(
    code: str, field: str, message_zh: str, message_en: str, **details: Any
) -> LinkSettingError:
    """A :class:`LinkSettingError` with ``details`` naming what was given."""
    return LinkSettingError(
        code=code, field=field, message_zh=message_zh, message_en=message_en, details=details
    )
