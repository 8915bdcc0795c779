"""Both languages of the console: Babel catalogs (``locale/*/LC_MESSAGES/messages.po``, read at
start-up, no compile step), choosing the user's language, and showing a refusal in it.

Chinese first: ``zh_CN`` unless the language cookie or the browser asks for English. Message ids
are English; the English catalog translates each to itself (or better English), so a check test
can demand a non-empty translation of every id in both. Strings in Python code are marked with
:func:`N_` and translated where rendered. ``babel.cfg`` (beside this file) gives the two
commands that extract the messages and update both catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from gridpos.domain.errors import DomainError

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANGUAGE_COOKIE = "gp_lang"
# the tags browsers send, as Babel matches them with sep="-" (a bare "zh" means Simplified)
_BROWSER_TAGS = {"zh-cn": "zh_CN", "zh": "zh_CN", "en": "en"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def catalog_path(locale: str) -> Path:
    """The ``.po`` file of ``locale``."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def translations(locale: str) -> Translations:
    """The translations of ``locale`` (read once). Raises ``FileNotFoundError`` for a locale
    without a catalog."""
    with catalog_path(locale).open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def parse_accept_language(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(weighted)]


def choose_locale(*, cookie: str | None, accept_language: str | None) -> str:
    """The language to answer in: the cookie's if it names one we have, else the browser's
    first one we have, else Chinese."""
    if cookie in LOCALES:
        return str(cookie)
    preferred = parse_accept_language(accept_language or "")
    if preferred:
        # Babel's default separator is "_"; browsers send "zh-CN" (a trap noted in STYLE.md)
        found = negotiate_locale(preferred, list(_BROWSER_TAGS), sep="-")
        if found is not None:
            return _BROWSER_TAGS[found.lower()]
    return DEFAULT_LOCALE


def message_of(error: DomainError, locale: str) -> str:
    """The refusal's message in ``locale``."""
    return error.message_en if locale == "en" else error.message_zh


def field_messages(errors: tuple[DomainError, ...], locale: str) -> Mapping[str, str]:
    """Field → message of the first refusal of each field, in ``locale``."""
    messages: dict[str, str] = {}
    for error in errors:
        messages.setdefault(error.field or "", message_of(error, locale))
    return messages
