"""Both catalogs complete, and the language chosen as the user asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gridpos.domain.errors import DomainError
from gridpos.interfaces.console import i18n
from gridpos.interfaces.console.i18n import (
    LOCALES,
    catalog_path,
    choose_locale,
    message_of,
    parse_accept_language,
    translations,
)

CONSOLE_DIR = Path(i18n.__file__).parent
METHOD_MAP = [("templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(CONSOLE_DIR), METHOD_MAP, keywords=KEYWORDS
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def test_every_message_of_the_code_and_templates_is_translated_in_both_catalogs() -> None:
    extracted = _extracted()
    assert len(extracted) > 100  # the extraction found the templates and the code
    for locale in LOCALES:
        with catalog_path(locale).open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        translated = {m.id: m.string for m in catalog if m.id}
        missing = sorted(extracted - set(translated))
        empty = sorted(msgid for msgid, string in translated.items() if not string)
        fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
        assert (missing, empty, fuzzy) == ([], [], []), (
            f"{locale}: update the catalogs as babel.cfg says, and translate every message"
        )


def test_chinese_translations_are_chinese_and_keep_their_placeholders() -> None:
    with catalog_path("zh_CN").open("rb") as po_file:
        catalog = read_po(po_file, locale="zh_CN")
    for message in catalog:
        if not message.id:
            continue
        assert message.string != message.id or message.id in {"English"}, message.id
        for placeholder in ("%(total)s", "%(page)s", "%(pages)s", "%(name)s", "%(time)s"):
            assert (placeholder in message.id) == (placeholder in message.string), message.id
    assert translations("zh_CN").gettext("Operation failed") == "操作异常"
    assert translations("en").gettext("Operation failed") == "Operation failed"


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "zh_CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        (None, "fr-FR,en;q=0.5", "en"),
        (None, "fr-FR", "zh_CN"),
        (None, "en;q=0.2, zh-CN;q=0.8", "zh_CN"),
        (None, "zh-TW", "zh_CN"),  # only Simplified Chinese is written
        (None, "en;q=0", "zh_CN"),
        ("en", "zh-CN", "en"),  # the switch wins over the browser
        ("zh_CN", "en-US", "zh_CN"),
        ("de", "en-US", "en"),  # an unknown cookie is ignored
    ],
)
def test_choose_locale(cookie: str | None, header: str | None, expected: str) -> None:
    assert choose_locale(cookie=cookie, accept_language=header) == expected


def test_accept_language_is_ordered_by_quality() -> None:
    assert parse_accept_language("da, en-gb;q=0.8, en;q=0.7, *;q=0.1") == ["da", "en-gb", "en"]
    assert parse_accept_language("en;q=abc, zh") == ["zh"]


def test_a_refusal_is_shown_in_the_users_language() -> None:
    error = DomainError(message_zh="账号不存在", message_en="there is no such account")
    assert message_of(error, "zh_CN") == "账号不存在"
    assert message_of(error, "en") == "there is no such account"
