"""Money: integer fen everywhere, parsed and displayed only at the edges.

An amount is an ``int`` number of fen (分). This module turns typed or printed text into fen
and back, writes amounts in Chinese capital numerals (大写) for receipts, and holds the two exact
integer rounding helpers the rules need. No floats anywhere: a float has no business near money.

The yuan sign is the full-width ``￥`` (U+FFE5), which GBK receipt printers have in their fonts;
never U+00A5, which GB18030 encodes as four bytes that GBK printers garble.
"""

from __future__ import annotations

import re
from typing import Final

from gridpos.domain.errors import DomainError

YUAN_SIGN: Final[str] = "\uffe5"
DEFAULT_CEILING_FEN: Final[int] = 100_000_000  # 1,000,000.00 yuan; callers may pass their own

# Longest text worth reading: anything longer is not an amount (and keeps int() cheap).
_MAX_TEXT_LENGTH: Final[int] = 40

# Full-width forms an input method produces, mapped to their ASCII meaning.
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "\uff0e": ".",  # ．
        "\uff0c": ",",  # ，
        "\uff0d": "-",  # －
        "\uff0b": "+",  # ＋
        "\u3000": " ",  # ideographic space
    }
)
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)


class MoneyError(DomainError):
    """An amount that cannot be accepted.

    Codes: ``money_invalid``, ``money_too_many_decimals``, ``money_negative``, ``money_zero``,
    ``money_over_ceiling``.
    """

    code = "money_invalid"


def _refuse(code: str, field: str, zh: str, en: str, **details: object) -> MoneyError:
    return MoneyError(code=code, field=field, message_zh=zh, message_en=en, details=dict(details))


def parse_yuan(
    text: str,
    *,
    field: str = "amount",
    ceiling_fen: int = DEFAULT_CEILING_FEN,
    allow_zero: bool = False,
) -> int:
    """Read an amount of yuan typed by a person and return it in fen.

    Accepts ``"12"``, ``"12.5"``, ``"12.50"``, ``"1,234.56"`` (commas only as thousands groups),
    a leading ``￥``/``¥``, a trailing ``元``, surrounding spaces and full-width digits
    (``"１２.５０"``). Returns an ``int`` number of fen.

    Raises:
        MoneyError: ``money_invalid`` (empty, letters, signs other than minus, NaN/inf, exponent
        forms, malformed grouping), ``money_negative``, ``money_too_many_decimals`` (more than two
        decimal places), ``money_zero`` (zero when ``allow_zero`` is false) or
        ``money_over_ceiling`` (more than ``ceiling_fen``). ``field`` names the input in the error.
    """
    if not isinstance(text, str):
        raise _refuse("money_invalid", field, "金额格式不正确", "The amount is not text")
    cleaned = text.translate(_FULL_WIDTH).strip()
    if len(cleaned) > _MAX_TEXT_LENGTH:
        raise _refuse("money_invalid", field, "金额格式不正确", "The amount is too long to be one")
    for prefix in (YUAN_SIGN, "\u00a5"):
        cleaned = cleaned.removeprefix(prefix)
    cleaned = cleaned.removesuffix("元").strip()
    if cleaned.startswith("-"):
        raise _refuse(
            "money_negative", field, "金额不能为负数", "The amount cannot be negative", text=text
        )
    if _PLAIN.fullmatch(cleaned):
        digits = cleaned
    elif _GROUPED.fullmatch(cleaned):
        digits = cleaned.replace(",", "")
    else:
        raise _refuse(
            "money_invalid",
            field,
            "金额格式不正确，请输入如 12.50 的数字",
            "The amount is not a number like 12.50",
            text=text,
        )
    whole, _, decimals = digits.partition(".")
    if len(decimals) > 2:
        raise _refuse(
            "money_too_many_decimals",
            field,
            "金额最多保留两位小数（到分）",
            "The amount has more than two decimal places (fen)",
            text=text,
        )
    fen = int(whole) * 100 + int(decimals.ljust(2, "0"))
    if fen == 0 and not allow_zero:
        raise _refuse("money_zero", field, "金额不能为零", "The amount cannot be zero")
    if fen > ceiling_fen:
        raise _refuse(
            "money_over_ceiling",
            field,
            f"金额不能超过 {format_yuan(ceiling_fen, grouping=True)} 元",
            f"The amount cannot exceed {format_yuan(ceiling_fen, grouping=True)} yuan",
            ceiling_fen=ceiling_fen,
        )
    return fen


def _require_fen(fen: int) -> None:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"an amount in fen must be an int, not {type(fen).__name__}")


def format_yuan(fen: int, *, grouping: bool = False) -> str:
    """Write fen as yuan with two decimals: ``12345 -> "123.45"``, ``-5 -> "-0.05"``.

    With ``grouping``, thousands are separated by commas (``"1,234.56"``), which ``parse_yuan``
    reads back. Raises ``TypeError`` for anything but an ``int``.
    """
    _require_fen(fen)
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{part:02d}"


def format_yuan_with_sign(fen: int, *, grouping: bool = False) -> str:
    """Write fen with the full-width yuan sign: ``12345 -> "￥123.45"``, ``-5 -> "-￥0.05"``.

    Raises ``TypeError`` for anything but an ``int``.
    """
    _require_fen(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}{YUAN_SIGN}{format_yuan(abs(fen), grouping=grouping)}"


_DIGITS_ZH: Final[str] = "零壹贰叁肆伍陆柒捌玖"
_PLACES_ZH: Final[tuple[str, ...]] = ("", "拾", "佰", "仟")


def _section_numerals(value: int) -> str:
    """0 < value < 10000, e.g. 1010 -> 壹仟零壹拾: one 零 per gap, none at the end."""
    text = ""
    pending_zero = False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += _DIGITS_ZH[digit] + _PLACES_ZH[place]
    return text


def _integer_numerals(value: int) -> str:
    """value > 0 written with 万 and 亿 sections (壹万亿 beyond, recursively).

    A lower section that is non-zero but does not start at its top place gets one 零
    (1_0020 -> 壹万零贰拾, 1_0000_0001 -> 壹亿零壹); zeros only at the end of a higher section
    need none (10_7000 -> 壹拾万柒仟), which the financial writing rules allow.
    """
    if value >= 10**8:
        high, low = divmod(value, 10**8)
        joint = "零" if 0 < low < 10**7 else ""
        return _integer_numerals(high) + "亿" + joint + (_integer_numerals(low) if low else "")
    if value >= 10**4:
        high, low = divmod(value, 10**4)
        joint = "零" if 0 < low < 10**3 else ""
        return _section_numerals(high) + "万" + joint + (_section_numerals(low) if low else "")
    return _section_numerals(value)


def capital_numerals(fen: int) -> str:
    """Write an amount in Chinese capital numerals (大写) as a receipt or cheque shows it.

    ``12345 -> "壹佰贰拾叁元肆角伍分"``, ``10000 -> "壹佰元整"``, ``100005 -> "壹仟元零伍分"``,
    ``0 -> "零元整"``, ``5 -> "伍分"``, ``50 -> "伍角"``; negative amounts get a leading ``负``.
    Follows the financial writing rules: 壹拾 for a leading ten, one 零 for a run of zeros,
    万/亿 sections, 零 after 元 when 角 is zero and 分 is not, 整 only when there is no 角 or 分.
    Raises ``TypeError`` for anything but an ``int``.
    """
    _require_fen(fen)
    if fen < 0:
        return "负" + capital_numerals(-fen)
    if fen == 0:
        return "零元整"
    yuan, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    text = _integer_numerals(yuan) + "元" if yuan else ""
    if jiao == 0 and fen_digit == 0:
        return text + "整"
    if jiao:
        text += _DIGITS_ZH[jiao] + "角"
    elif yuan:
        text += "零"
    if fen_digit:
        text += _DIGITS_ZH[fen_digit] + "分"
    return text


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties away from zero.

    Exact for any integers (``round_half_up_div(5, 10) == 1``, ``round_half_up_div(-5, 10) == -1``),
    the same as ``Decimal``'s ROUND_HALF_UP. Raises ``ZeroDivisionError`` for a zero denominator.
    """
    if denominator == 0:
        raise ZeroDivisionError("round_half_up_div by zero")
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if 2 * remainder >= abs(denominator):
        quotient += 1
    return -quotient if negative else quotient


def ceil_to_yuan(fen: int) -> int:
    """The next whole yuan at or above the amount (取整): ``12345 -> 12400``, ``12300 -> 12300``.

    Raises ``TypeError`` for anything but an ``int``.
    """
    _require_fen(fen)
    return -(-fen // 100) * 100
