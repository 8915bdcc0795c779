"""Names of roles and organisation levels, as message ids translated where shown."""

from __future__ import annotations

from gridpos.interfaces.console.i18n import N_

ROLE_LABELS = {
    "admin": N_("Company admin"),
    "finance": N_("Finance"),
    "station_head": N_("Station head"),
    "station_staff": N_("Station staff"),
    "auditor": N_("Auditor"),
    "agent": N_("Agent"),
}
LEVEL_LABELS = {
    "province": N_("Provincial company"),
    "city": N_("City company"),
    "county": N_("County company"),
    "station": N_("Supply station"),
    "collection_point": N_("Collection point"),
}


def role_label(role: str) -> str:
    """The message id naming ``role`` (the role itself if unknown)."""
    return ROLE_LABELS.get(str(role), str(role))


def level_label(level: str) -> str:
    """The message id naming an organisation ``level``."""
    return LEVEL_LABELS.get(level, level)
