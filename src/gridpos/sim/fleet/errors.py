"""The refusals of the fleet: a setting it cannot run with, or a service that would not start."""

from __future__ import annotations

from typing import Any

from gridpos.domain.errors import DomainError


class FleetError(DomainError):
    """The fleet cannot run as asked; ``code`` says why, ``field`` which option or service.

    Codes: ``fleet_option_invalid`` (an option out of range), ``fleet_too_many_terminals`` (more
    terminals than the county has collection points), ``fleet_service_failed`` (a reference
    MIS, server or link emulator that did not come up in time), ``fleet_setup_failed`` (the
    county could not be prepared).
    """

    code = "fleet_error"


def fleet_error(
    code: str, field: str, message_zh: str, message_en: str, **details: Any
) -> FleetError:
    """A :class:`FleetError` with ``details`` naming what was given."""
    return FleetError(
        code=code, field=field, message_zh=message_zh, message_en=message_en, details=details
    )


def option_invalid(field: str, message_zh: str, message_en: str, **details: Any) -> FleetError:
    return fleet_error(
        "fleet_option_invalid",
        field,
        f"选项 {field}：{message_zh}",
        f"{field}: {message_en}",
        **details,
    )
