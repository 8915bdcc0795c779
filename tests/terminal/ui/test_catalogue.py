"""The screen's catalogue: every text in both languages, with the same fields, and every key the
screens ask for present."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorBody
from gridpos.protocol.terminal.batches import DifferenceKind
from gridpos.terminal import ui
from gridpos.terminal.ui.strings import CATALOGUE, Language, Texts

UI_SOURCE = Path(ui.__file__).parent
# t("key"…), self.t("key"…), texts("key"…), TITLE_KEY = "key", keys = "key" …
_USED = re.compile(r"""(?:\bt|texts|_KEY\s*=|key\s*=|keys\s*=)\(?\s*"([a-z_]+\.[a-z_.]+)\"""")


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_text_is_in_both_languages_with_the_same_fields(key: str) -> None:
    zh, en = CATALOGUE[key]
    assert zh.strip()
    assert en.strip()
    assert _fields(zh) == _fields(en)
    assert re.search(r"[\u4e00-\u9fff]", zh), "the Chinese text has Chinese in it"


def test_every_key_the_screens_use_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in UI_SOURCE.rglob("*.py"):
        used.update(_USED.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 60  # the pattern really finds them
    missing = sorted(key for key in used if key not in CATALOGUE)
    assert missing == []


def test_keys_built_from_states_and_differences_exist() -> None:
    for state in PaymentState:
        assert f"state.{state.value}" in CATALOGUE
    for kind in DifferenceKind:
        assert f"diff.{kind.value}" in CATALOGUE


def test_texts_fill_fields_and_pick_the_language() -> None:
    zh, en = Texts(Language.ZH), Texts(Language.EN)
    assert zh("status.waiting", count=3) == "待上送 3"
    assert en("status.waiting", count=3) == "Waiting 3"
    assert zh.state(PaymentState.UNKNOWN) == "可疑"
    assert zh.state(PaymentState.PENDING, offline=True) == "待上送/脱机"
    assert en.category(CustomerCategory.RESIDENTIAL) == CustomerCategory.RESIDENTIAL.label_en
    with pytest.raises(KeyError):
        zh("no.such.key")


def test_refusals_are_shown_in_their_own_words() -> None:
    error = DomainError(code="x", message_zh="服务器说的话", message_en="the server's words")
    body = ErrorBody(code="float_insufficient", message_zh="余额不足：差5元", message_en="short 5")
    assert Texts(Language.ZH).error(error) == "服务器说的话"
    assert Texts(Language.EN).error(error) == "the server's words"
    assert Texts(Language.ZH).body(body) == "余额不足：差5元"
    assert Texts(Language.EN).body(body) == "short 5"
