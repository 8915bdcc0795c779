"""Our own GB2312/GBK/GB18030 encoder: exact bytes, visible fallback, never U+00A5."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridpos.terminal.receipt import (
    GB18030_PRINTER,
    GBK_PRINTER,
    Charset,
    EncodingError,
    PrinterProfile,
    Replacement,
    encode_text,
    printable_text,
)
from gridpos.terminal.receipt.encoding import GB18030_YEN_BYTES
from gridpos.terminal.receipt.text import text_width

GB2312_PRINTER = PrinterProfile(name="gb2312", charset=Charset.GB2312)


def test_chinese_and_ascii_encode_as_gbk_bytes() -> None:
    encoded = encode_text("实收：12.50元", profile=GBK_PRINTER)
    assert encoded.data == bytes.fromhex("CAB5 CAD5 A3BA") + b"12.50" + bytes.fromhex("D4AA")
    assert encoded.replaced == ()


def test_an_amount_line_without_han_characters_is_still_gbk() -> None:
    # the line python-escpos would have sent through a Western code page
    assert encode_text("￥12.50").data == bytes.fromhex("A3A4") + b"12.50"


def test_u00a5_becomes_the_full_width_sign_and_is_reported() -> None:
    for profile in (GBK_PRINTER, GB18030_PRINTER, GB2312_PRINTER):
        encoded = encode_text("\u00a512.50", profile=profile)
        assert encoded.data == bytes.fromhex("A3A4") + b"12.50"
        assert encoded.replaced == (Replacement("\u00a5", 0, "\uffe5"),)
        assert GB18030_YEN_BYTES not in encoded.data


def test_a_rare_name_gets_the_fallback_on_a_gbk_printer_and_is_reported() -> None:
    encoded = encode_text("刘䶮", profile=GBK_PRINTER)
    assert encoded.data == bytes.fromhex("C1F5 A1F5")  # 刘 □
    assert encoded.replaced == (Replacement("䶮", 1, "□"),)
    assert encoded.replaced[0].codepoint == "U+4DAE"


def test_the_same_name_prints_as_itself_on_a_gb18030_printer() -> None:
    assert encode_text("刘䶮", profile=GB18030_PRINTER).data == bytes.fromhex("C1F5 FE9F")
    # extension B: four bytes in GB18030
    encoded = encode_text("\U00020000", profile=GB18030_PRINTER)
    assert encoded.data == bytes.fromhex("95328236")
    assert encoded.replaced == ()


def test_gbk_only_characters_fall_back_on_a_gb2312_printer() -> None:
    # 堃 and 喆 are in GBK (common in names) but not in GB2312
    assert encode_text("王堃", profile=GBK_PRINTER).data == bytes.fromhex("CDF5 88D2")
    encoded = encode_text("王堃", profile=GB2312_PRINTER)
    assert encoded.data == bytes.fromhex("CDF5 A1F5")
    assert [r.char for r in encoded.replaced] == ["堃"]


def test_a_configured_narrow_fallback_keeps_the_width_with_a_space() -> None:
    profile = PrinterProfile(name="ascii-fallback", fallback="?")
    encoded = encode_text("刘䶮明", profile=profile)
    assert encoded.data == bytes.fromhex("C1F5") + b"? " + bytes.fromhex("C3F7")
    assert printable_text("刘䶮明", profile=profile) == "刘? 明"


def test_characters_the_profile_lacks_are_replaced_although_the_charset_has_them() -> None:
    profile = PrinterProfile(name="old-font", lacks=frozenset("喆"))
    encoded = encode_text("张喆", profile=profile)
    assert encoded.data == bytes.fromhex("D5C5 A1F5")
    assert encoded.replaced == (Replacement("喆", 1, "□"),)


def test_control_characters_never_reach_the_printer() -> None:
    encoded = encode_text("王\x1b@\x1dV\x00明")
    fallback = bytes.fromhex("A1F5")  # □, two columns like every non-ASCII character
    assert encoded.data == bytes.fromhex(
        "CDF5"
    ) + fallback + b"@" + fallback + b"V" + fallback + bytes.fromhex("C3F7")
    assert [r.char for r in encoded.replaced] == ["\x1b", "\x1d", "\x00"]


def test_a_lone_surrogate_and_private_use_are_replaced() -> None:
    encoded = encode_text("\ud800\ue000")
    assert encoded.data == bytes.fromhex("A1F5 A1F5")
    assert len(encoded.replaced) == 2


@pytest.mark.parametrize("fallback", ["", "??", "\x1b", "\u00a5", "䶮", "\u0085"])
def test_a_fallback_the_printer_cannot_print_is_refused(fallback: str) -> None:
    with pytest.raises(EncodingError) as caught:
        PrinterProfile(name="bad", fallback=fallback)
    assert caught.value.code == "receipt_fallback_invalid"
    assert caught.value.field == "fallback"


def test_a_fallback_the_profile_lacks_is_refused() -> None:
    with pytest.raises(EncodingError):
        PrinterProfile(name="bad", lacks=frozenset("□"))


_ANY = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()) | st.sampled_from("\u00a5￥䶮元"),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(text=_ANY, profile=st.sampled_from([GBK_PRINTER, GB18030_PRINTER, GB2312_PRINTER]))
def test_encoding_never_emits_yen_nor_control_bytes_and_keeps_widths(
    text: str, profile: PrinterProfile
) -> None:
    encoded = encode_text(text, profile=profile)
    assert GB18030_YEN_BYTES not in encoded.data
    assert all(byte >= 0x20 and byte != 0x7F for byte in encoded.data)
    # what the printer shows is as wide as what the layout counted
    shown = printable_text(text, profile=profile)
    assert text_width(shown) == text_width(text)
    assert shown.encode(profile.charset.value) == encoded.data
