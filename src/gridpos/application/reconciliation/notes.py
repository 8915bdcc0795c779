"""What the engine and the work queue say about a run, a difference or a resolution — kept as a
code with its values, so each place that shows it says it in its reader's language.

A note is stored as a small JSON object (``{"note": CODE, NAME: VALUE, …}``) in the text columns
that hold them (the run's MIS note, a difference's outcome note, an item's note, a resolution's
outcome). :data:`NOTES` gives each code its English text with ``%(name)s`` placeholders — the
message id the console translates. A value whose name ends in ``_zh`` or ``_en`` comes in both
languages (a refusal's message); the reader's one is used under the name without the ending.
Text that is not a coded note (written before notes were coded) reads as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

NOTES: Final[Mapping[str, str]] = {
    # the MIS side of a run
    "mis_read": "postings of ours read from the MIS: %(count)s",
    "mis_other_channels": "postings of other channels left out: %(count)s",
    "mis_undos_before": "undos of postings before the range left out: %(count)s",
    "mis_not_compared": "the MIS was not compared (asked so)",
    "mis_not_configured": "no MIS is configured: the MIS was not compared",
    "mis_unreadable": "the MIS could not be read: %(error)s",
    "mis_load": "compared with MIS load %(load)s",
    # what a run did with a difference
    "reposted": "re-posted through the outbox (message %(outbox)s)",
    "undo_resent": "the undo sent again through the outbox (message %(outbox)s)",
    "confirmed_from_journal": (
        "confirmed from the terminal's journal as payment %(payment)s, its posting queued"
    ),
    "item_moved_on": "the difference moved on meanwhile",
    "outbox_holds_it": "the outbox still holds it",
    "repair_refused": "automatic repair refused: %(reason)s",
    "found_again": "found again after it had cleared",
    "changed_since_resolved": "the figures changed since it was resolved",
    "changed_while_recorded": "changed by an operator while the run was recorded",
    "repaired_before": "repaired before and still there: a person should look at it",
    "no_longer_found": "no longer found (it was: %(was)s)",
    # what an approved resolution did
    "written_off": "written off: %(reason)s",
    "mis_cancelled": "the MIS posting %(serial)s was cancelled",
    "mis_not_standing": "the MIS has no standing posting of it any more",
    "cancelled_at_mis": "cancelled at the MIS",
    "confirmed_as_recorded": (
        "confirmed: the company's payment stands as recorded (reprint from the terminal)"
    ),
    "reversal_recorded": "reversal of payment %(txn)s recorded, the MIS told through the outbox",
    "cancellation_recorded": (
        "cancellation of payment %(txn)s recorded, the MIS told through the outbox"
    ),
}
LANGUAGES: Final = ("zh", "en")
_KEY: Final = "note"


@dataclass(frozen=True, slots=True)
class Note:
    """One note: its code (a key of :data:`NOTES`), its values, and the notes said after it
    (the MIS side's parts)."""

    code: str
    values: Mapping[str, str | int] = field(default_factory=dict)
    more: tuple[Note, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in NOTES:
            raise ValueError(f"unknown note {self.code!r}")

    def stored(self) -> str:
        """The note as kept in its column."""
        return json.dumps(self._as_dict(), ensure_ascii=False, sort_keys=True)

    def _as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {_KEY: self.code, **self.values}
        if self.more:
            data["more"] = [part._as_dict() for part in self.more]
        return data

    @property
    def en(self) -> str:
        """The note in English."""
        return say(self, lambda message: message, "en")


def note(code: str, /, **values: str | int) -> Note:
    """A note of ``code`` with ``values``."""
    return Note(code, dict(values))


def bilingual(name: str, *, zh: str, en: str) -> dict[str, str]:
    """A value in both languages, for :func:`note`'s values."""
    return {f"{name}_zh": zh, f"{name}_en": en}


def _parse(data: object) -> Note | None:
    if not isinstance(data, dict) or data.get(_KEY) not in NOTES:
        return None
    more = data.get("more", [])
    parts = tuple(p for p in (_parse(part) for part in more) if p) if isinstance(more, list) else ()
    values = {
        str(k): v
        for k, v in data.items()
        if k not in (_KEY, "more") and isinstance(v, (str, int)) and not isinstance(v, bool)
    }
    return Note(str(data[_KEY]), values, parts)


def read_note(text: str) -> Note | None:
    """The coded note kept as ``text``, or ``None`` for plain text."""
    if not text.startswith("{"):
        return None
    try:
        return _parse(json.loads(text))
    except ValueError:
        return None


def say(
    kept: Note | str,
    translate: Callable[[str], str],
    language: str,
    *,
    label: Callable[[str, str], str] | None = None,
) -> str:
    """The note in ``language`` (``zh`` or ``en``): its message id passed through
    ``translate``, its values filled in — a two-language value in ``language``, and every value
    passed through ``label(name, value)`` when given (a state's code made a word). Plain text
    reads as it is."""
    found = read_note(kept) if isinstance(kept, str) else kept
    if found is None:
        return str(kept)
    values: dict[str, object] = {}
    for name, value in found.values.items():
        base, _, suffix = name.rpartition("_")
        if base and suffix in LANGUAGES:
            if suffix == language:
                values[base] = value
            continue
        values[name] = label(name, str(value)) if label else value
    try:
        text = translate(NOTES[found.code]) % values
    except (KeyError, TypeError, ValueError):
        text = NOTES[found.code]
    parts = [text, *(say(part, translate, language, label=label) for part in found.more)]
    return ("；" if language == "zh" else "; ").join(parts)


def in_english(text: str) -> str:
    """A kept note in English (the command line's, the audit's)."""
    return say(text, lambda message: message, "en")
