"""Our own receipt text encoding: GB2312, GBK or GB18030 bytes, with a visible fallback.

We never let python-escpos encode text: it sends a line as GB18030 only when the line has a Han
character and otherwise picks a Western code page (``ESC t``), so ``￥12.50`` or ``12.50元`` on
its own line comes out wrong. Every line is encoded here and sent raw, with the printer kept in
Chinese mode (``FS &``) for the whole receipt.

**Which character set.** The common 58 mm thermal printers — the ones built into POS terminals
and the cheap stand-alone ones village shops have — carry a GB2312 or GBK 24×24 font in ROM;
only some larger (usually 80 mm) printers carry a GB18030 font with the four-byte ranges. So the
default profile is **GBK** (:data:`GBK_PRINTER`), and a printer known to have the GB18030 font
is configured as such (:data:`GB18030_PRINTER`). Sent to a GBK printer, a GB18030-only
character (a rare name such as 䶮, or U+00A5 ``¥``, whose GB18030 form is the four bytes
``81 30 84 36``) prints as two garbage characters and can shift the rest of the line; so
characters outside the profile are replaced by a **visible fallback** (``□`` by default,
configurable) and reported, so the terminal can log them and the collector can write the
character in by hand.

Rules, in order, for each character:

1. ``¥`` (U+00A5) becomes ``￥`` (U+FFE5), which every GBK font has: U+00A5 never reaches a
   printer, whatever the profile.
2. Control characters (C0, DEL, C1) and anything the profile lists in ``lacks`` are replaced.
3. The character is encoded in the profile's character set (Python's ``gb2312``, ``gbk`` or
   ``gb18030`` codecs); one that does not encode (outside the set, a lone surrogate) is replaced.

A replacement keeps the character's width (:mod:`.text`: every character but printable ASCII —
which always encodes — counts two columns): it is the fallback, followed by a space when the
fallback is narrow (``?``), so the layout never moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from gridpos.domain.errors import DomainError
from gridpos.terminal.receipt.text import char_width

YEN_SIGN: Final[str] = "\u00a5"
FULL_WIDTH_YUAN_SIGN: Final[str] = "\uffe5"
GB18030_YEN_BYTES: Final[bytes] = bytes.fromhex("81308436")


class Charset(StrEnum):
    """The character set of a printer's Chinese font (and the Python codec for it)."""

    GB2312 = "gb2312"
    GBK = "gbk"
    GB18030 = "gb18030"


class EncodingError(DomainError):
    """A printer profile that cannot work. Code ``receipt_fallback_invalid``."""

    code = "receipt_fallback_invalid"


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """What a printer can print and do.

    ``charset``: its Chinese font; ``lacks``: characters its font is known to miss although the
    charset has them; ``fallback``: what stands for a character it cannot print (one character the
    printer can print, not a control character); ``native_qr``: it draws QR codes itself
    (``GS ( k``) — else the QR code is sent as a raster image; ``partial_cut``: it has a cutter that
    leaves a hinge (else a full cut).
    """

    name: str
    charset: Charset = Charset.GBK
    lacks: frozenset[str] = field(default_factory=frozenset)
    fallback: str = "□"
    native_qr: bool = True
    partial_cut: bool = True

    def __post_init__(self) -> None:
        fallback = self.fallback
        valid = (
            isinstance(fallback, str)
            and len(fallback) == 1
            and fallback not in self.lacks
            and fallback != YEN_SIGN
            and (fallback >= " " and fallback != "\x7f" and not "\x80" <= fallback <= "\x9f")
        )
        if valid:
            try:
                fallback.encode(self.charset.value)
            except UnicodeEncodeError:
                valid = False
        if not valid:
            raise EncodingError(
                field="fallback",
                message_zh="替代字符必须是打印机能打印的单个字符",
                message_en="The fallback must be one character the printer can print",
            )


GBK_PRINTER: Final[PrinterProfile] = PrinterProfile(name="gbk-58", charset=Charset.GBK)
"""The common 58 mm thermal printer: GBK font, native QR, partial cut. The default."""
GB18030_PRINTER: Final[PrinterProfile] = PrinterProfile(name="gb18030", charset=Charset.GB18030)
"""A printer with the GB18030 font (four-byte ranges included)."""


@dataclass(frozen=True, slots=True)
class Replacement:
    """A character the printer could not print: where it was and what stood in for it."""

    char: str
    position: int
    substitute: str

    @property
    def codepoint(self) -> str:
        """``"U+4DAE"``: how logs name the character."""
        return f"U+{ord(self.char):04X}"


@dataclass(frozen=True, slots=True)
class EncodedText:
    """A line's bytes and the characters replaced in it (a ``¥`` made ``￥`` counts too)."""

    data: bytes
    replaced: tuple[Replacement, ...]


def _control(char: str) -> bool:
    return char < " " or char == "\x7f" or "\x80" <= char <= "\x9f"


def _substitute(char: str, profile: PrinterProfile) -> str:
    # only characters other than printable ASCII are ever replaced: two columns to fill
    return profile.fallback + " " * (char_width(char) - char_width(profile.fallback))


def encode_text(text: str, *, profile: PrinterProfile = GBK_PRINTER) -> EncodedText:
    """Encode ``text`` for ``profile``'s printer, replacing what it cannot print.

    Returns the bytes and every replacement made (see the module's rules). The bytes never
    contain a control byte from the text and never the GB18030 sequence of U+00A5.
    """
    codec = profile.charset.value
    out = bytearray()
    replaced: list[Replacement] = []
    for position, char in enumerate(text):
        if char == YEN_SIGN:
            out += FULL_WIDTH_YUAN_SIGN.encode(codec)
            replaced.append(Replacement(char, position, FULL_WIDTH_YUAN_SIGN))
            continue
        encoded: bytes | None = None
        if not _control(char) and char not in profile.lacks:
            try:
                encoded = char.encode(codec)
            except UnicodeEncodeError:
                encoded = None
        if encoded is None:
            substitute = _substitute(char, profile)
            out += substitute.encode(codec)
            replaced.append(Replacement(char, position, substitute))
        else:
            out += encoded
    return EncodedText(bytes(out), tuple(replaced))


def printable_text(text: str, *, profile: PrinterProfile = GBK_PRINTER) -> str:
    """``text`` as ``profile``'s printer will show it: every replacement applied (for previews)."""
    result: list[str] = []
    replacements = {r.position: r.substitute for r in encode_text(text, profile=profile).replaced}
    for position, char in enumerate(text):
        result.append(replacements.get(position, char))
    return "".join(result)
