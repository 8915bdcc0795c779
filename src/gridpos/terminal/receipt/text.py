"""Display width and wrapping of receipt text, in printer columns.

A Chinese ESC/POS printer prints ASCII from its half-width font (one column: 12×24 dots on a
58 mm head of 384 dots, so 32 columns; 48 columns on an 80 mm head) and every other character
from its double-byte font (two columns). So the width of a character is:

- 1 for printable ASCII;
- 2 for every other character — the East Asian Wide and Fullwidth characters
  (``unicodedata.east_asian_width`` ``W``/``F``: 汉字, ``￥``, ``：``) and also the "ambiguous" ones
  (``·``, ``—``, ``□``, ``×``), which Western terminals draw narrow but a GBK printer prints from
  its double-byte font. A character the printer lacks is replaced by a fallback of the same
  width (see :mod:`.encoding`), so the layout never moves.

Wrapping never splits a character, keeps a run of ASCII letters and digits (a house number, a
road name in pinyin) on one line when it fits, drops spaces at a break, and does not start a
line with closing punctuation (，。） …): the Chinese character before it goes down with it.
"""

from __future__ import annotations

from typing import Final

MIN_WRAP_WIDTH: Final[int] = 2
"""Narrowest a wrapped column can be: one double-width character."""
NO_LINE_START: Final[frozenset[str]] = frozenset("，。、；：！？）》」』】〉…,.;:!?)]}")
"""Closing punctuation that never starts a line: the character before it moves down with it."""


def char_width(char: str) -> int:
    """Printer columns of one character: 1 for printable ASCII, 2 for anything else."""
    return 1 if " " <= char <= "~" else 2


def text_width(text: str) -> int:
    """Printer columns of ``text`` (see :func:`char_width`)."""
    return sum(char_width(char) for char in text)


def _tokens(text: str) -> list[str]:
    """Words of ASCII non-space characters, single spaces and single other characters."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if "!" <= char <= "~":
            word += char
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(char)
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, width: int, *, first_width: int | None = None) -> list[str]:
    """Break ``text`` into lines of at most ``width`` columns (the first of ``first_width``).

    Returns at least one line (``[""]`` for empty text). Never splits a character; an ASCII word
    longer than a line is split between its characters.

    Raises:
        ValueError: a width under two columns, which could not hold a Chinese character.
    """
    first = width if first_width is None else first_width
    if min(width, first) < MIN_WRAP_WIDTH:
        raise ValueError("a wrapped line needs at least two columns")
    lines: list[str] = []
    current = ""
    limit = first

    def flush() -> None:
        nonlocal current, limit
        lines.append(current.rstrip(" "))
        current = ""
        limit = width

    for token in _tokens(text):
        size = text_width(token)
        if token.isspace():
            if current and text_width(current) + 1 <= limit:
                current += token
            continue
        if text_width(current) + size <= limit:
            current += token
        elif size <= width and current:
            carry = ""
            keep_with = width >= 2 * MIN_WRAP_WIDTH and len(current) > 1
            if keep_with and token in NO_LINE_START and char_width(current[-1]) == 2:
                carry, current = current[-1], current[:-1]
            flush()
            current = carry + token
        else:
            for char in token:
                if text_width(current) + char_width(char) > limit:
                    flush()
                current += char
    lines.append(current.rstrip(" "))
    return lines


def pad_right(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns (unchanged when already as wide)."""
    return text + " " * max(0, width - text_width(text))


def pad_left(text: str, width: int) -> str:
    """``text`` right-aligned in ``width`` columns (unchanged when already as wide)."""
    return " " * max(0, width - text_width(text)) + text


def center(text: str, width: int) -> str:
    """``text`` centred in ``width`` columns: left padding only, the extra column to the right."""
    return " " * max(0, (width - text_width(text)) // 2) + text
