"""What the engine and the work queue say is kept as a code with its values and said in the
reader's language: the console's message ids are the engine's English texts, both catalogues
translate each, and text kept before notes were coded still reads as it is."""

from __future__ import annotations

from gridpos.application.reconciliation.notes import (
    NOTES,
    Note,
    bilingual,
    in_english,
    note,
    read_note,
    say,
)
from gridpos.interfaces.console.i18n import translations
from gridpos.interfaces.console.routes.reconciliation_common import (
    ITEM_STATE_LABELS,
    NOTE_LABELS,
)


def test_the_console_translates_every_note_the_engine_can_say() -> None:
    assert NOTE_LABELS == NOTES  # the same codes, the same English message ids
    chinese = translations("zh_CN").gettext
    for code, message in NOTES.items():
        assert chinese(message) != message, code


def test_a_note_is_said_in_each_language_with_its_values() -> None:
    chinese = translations("zh_CN").gettext
    kept = note("written_off", reason="营销系统已更正").stored()
    assert say(kept, chinese, "zh") == "已核销：营销系统已更正"
    assert in_english(kept) == "written off: 营销系统已更正"

    refused = note(
        "repair_refused",
        code="float_insufficient",
        **bilingual("reason", zh="代理商备付金不足", en="float_insufficient: the float is short"),
    )
    assert say(refused.stored(), chinese, "zh") == "自动修复被拒绝：代理商备付金不足"
    assert refused.en == "automatic repair refused: float_insufficient: the float is short"

    def state(name: str, value: str) -> str:
        return chinese(ITEM_STATE_LABELS[value]) if name == "was" else value

    gone = note("no_longer_found", was="repaired").stored()
    assert say(gone, chinese, "zh", label=state) == "本次未再发现（此前状态：已自动修复）"
    assert in_english(gone) == "no longer found (it was: repaired)"

    read = Note(
        "mis_read", {"count": 3, "source": "report"}, (note("mis_other_channels", count=2),)
    )
    assert read_note(read.stored()) == read
    assert in_english(read.stored()) == (
        "postings of ours read from the MIS: 3; postings of other channels left out: 2"
    )
    assert say(read.stored(), chinese, "zh") == (
        "从营销系统读取本渠道进账 3 笔；其他渠道的进账 2 笔不参与比对"
    )


def test_plain_and_damaged_text_reads_as_it_is() -> None:
    for text in ("re-posted through the outbox (row 20)", "{not json", '{"note": "nonsense"}', ""):
        assert read_note(text) is None
        assert in_english(text) == text
