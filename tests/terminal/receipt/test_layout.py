"""Layout: the lines of a receipt on 58 and 80 mm paper, and the width invariant."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridpos.terminal.receipt import (
    LineStyle,
    Paper,
    QrBlock,
    Receipt,
    ReceiptError,
    ReceiptFormat,
    ReceiptLayout,
    ReceiptMonth,
    TextLine,
    YuanSign,
    checked_receipt,
    layout_receipt,
)
from gridpos.terminal.receipt.text import text_width

from .samples import offline_receipt, online_receipt


def _texts(layout: ReceiptLayout, copy: int = 0) -> list[str]:
    return [b.text for b in layout.copies[copy].blocks if isinstance(b, TextLine)]


def test_58mm_online_receipt_lines() -> None:
    texts = _texts(layout_receipt(online_receipt()))
    assert texts[:4] == [
        "    电费收据",
        "             客户联",
        "-" * 32,
        "供电单位：国网安徽省电力有限公司",
    ]
    assert "          岳西县供电公司" in texts  # wrapped under its label
    assert "流水号：001042" in texts
    assert "交易时间：2024-06-15 14:30:12" in texts  # 06:30:12 UTC in Beijing time
    assert "用电类别：居民" in texts
    assert "电费年月  电量     本金   违约金" in texts
    assert "202404     153    86.49     1.00" in texts
    assert "202405     201   115.40     0.00" in texts
    assert "本金合计：              201.89元" in texts
    assert "本次调尾：                0.11元" in texts
    assert "应缴金额：              202.89元" in texts
    assert "实收金额：              203.00元" in texts
    assert "应缴大写：贰佰零贰元捌角玖分" in texts
    assert "实收大写：贰佰零叁元整" in texts
    assert "校验码：48213906" in texts
    assert not any("脱机" in text or "重打" in text for text in texts)


def test_the_address_wraps_under_its_label_without_starting_a_line_with_a_comma() -> None:
    texts = _texts(layout_receipt(online_receipt()))
    start = texts.index("地址：岳西县天堂镇天堂村大屋组12")
    assert texts[start + 1 : start + 3] == ["      号，靠近老供销社旁边的二层", "      小楼"]


def test_80mm_full_width_sign_and_wider_table() -> None:
    layout = layout_receipt(
        online_receipt(), ReceiptFormat(paper=Paper.MM80, yuan_sign=YuanSign.FULL_WIDTH)
    )
    texts = _texts(layout)
    assert texts[0] == " " * 8 + "电费收据"  # (24 double-width columns - 8) / 2
    assert "供电单位：国网安徽省电力有限公司岳西县供电公司" in texts
    assert "电费年月          电量         本金       违约金" in texts
    assert "202404             153        86.49         1.00" in texts
    assert "实收金额：" + " " * 30 + "￥203.00" in texts
    assert all("\u00a5" not in text for text in texts)


def test_title_and_totals_have_their_styles() -> None:
    blocks = layout_receipt(online_receipt()).copies[0].blocks
    styles = {b.text.strip(): b.style for b in blocks if isinstance(b, TextLine)}
    assert styles["电费收据"] is LineStyle.TITLE
    assert styles["户名：王小明"] is LineStyle.BOLD
    assert styles["实收金额：              203.00元"] is LineStyle.BOLD
    assert styles["本金合计：              201.89元"] is LineStyle.NORMAL


def test_two_copies_are_the_customer_and_the_stub() -> None:
    layout = layout_receipt(online_receipt(), ReceiptFormat(copies=2))
    assert [copy.label for copy in layout.copies] == ["第一联 客户联", "第二联 存根联"]
    first, second = _texts(layout, 0), _texts(layout, 1)
    assert first[1].strip() == "第一联 客户联"
    assert second[1].strip() == "第二联 存根联"
    assert first[2:] == second[2:]


def test_offline_and_reprint_are_marked() -> None:
    layout = layout_receipt(offline_receipt(), ReceiptFormat(reprint=True))
    texts = _texts(layout)
    assert texts[2] == " " * 7 + "【脱机】 【重打】"  # (32 - 17) // 2
    start = texts.index("脱机收费：联网后自动上传供电公")
    assert texts[start + 1] == "司，可凭校验码核对。"  # 司 goes down with the comma
    assert "上次余额：                3.50元" in texts
    assert "本次余额：                9.23元" in texts
    assert "用电类别：低保五保" in texts


def test_the_qr_block_carries_the_check_content() -> None:
    blocks = layout_receipt(online_receipt()).copies[0].blocks
    qr = [b for b in blocks if isinstance(b, QrBlock)]
    assert qr == [QrBlock("GP1|34080017|34080017-1042-9f3a1c2e|3408001234|20300|48213906")]


def test_a_month_too_big_for_its_row_is_written_on_several_lines() -> None:
    receipt = dataclasses.replace(
        online_receipt(),
        months=(ReceiptMonth(period="202405", kwh=1_234_567, principal=98_765_432, penalty=5),),
    )
    texts = _texts(layout_receipt(receipt))
    start = texts.index("202405")
    assert texts[start + 1 : start + 4] == [
        "  电量                   1234567",
        "  本金                 987654.32",
        "  违约金                    0.05",
    ]


def test_no_months_says_so() -> None:
    receipt = dataclasses.replace(online_receipt(), months=(), total_due=0)
    texts = _texts(layout_receipt(receipt))
    assert "（本次无欠费，全部转入预存）" in [t.strip() for t in texts]
    assert "应缴大写：零元整" in texts


@pytest.mark.parametrize("copies", [0, 3, True, "2"])
def test_copies_other_than_one_or_two_are_refused(copies: object) -> None:
    with pytest.raises(ReceiptError) as caught:
        layout_receipt(online_receipt(), ReceiptFormat(copies=copies))  # type: ignore[arg-type]
    assert caught.value.code == "receipt_copies_invalid"
    assert caught.value.field == "copies"


# ---- the width invariant, with random Chinese names and addresses -------------------------------

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_RARE = st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF) | st.characters(
    min_codepoint=0x20000, max_codepoint=0x2A6DF
)
_OTHER = st.sampled_from("0123456789ABCabc -#（），。·—□号组村")
_TEXT = st.text(alphabet=_CJK | _RARE | _OTHER, min_size=1, max_size=64).filter(str.strip)
_FEN = st.integers(min_value=0, max_value=99_999_999)


@st.composite
def _receipts(draw: st.DrawFn) -> Receipt:
    base = online_receipt()
    months = tuple(
        ReceiptMonth(
            period=f"{draw(st.integers(2000, 2099))}{draw(st.integers(1, 12)):02d}",
            kwh=draw(st.integers(0, 999_999_999)),
            principal=draw(_FEN),
            penalty=draw(_FEN),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    return checked_receipt(
        dataclasses.replace(
            base,
            header=dataclasses.replace(
                base.header,
                company=draw(_TEXT),
                collection_point=draw(_TEXT),
                operator=draw(_TEXT),
            ),
            customer=dataclasses.replace(
                base.customer,
                account_no=draw(st.from_regex(r"[0-9]{6,16}", fullmatch=True)),
                name=draw(_TEXT),
                address=draw(_TEXT),
            ),
            months=months,
            prepaid_before=draw(_FEN),
            prepaid_after=draw(_FEN),
            total_due=draw(_FEN),
            cash=draw(st.integers(1, 99_999_999)),
            offline=draw(st.booleans()),
        )
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    receipt=_receipts(),
    paper=st.sampled_from(Paper),
    sign=st.sampled_from(YuanSign),
    copies=st.sampled_from([1, 2]),
    reprint=st.booleans(),
)
def test_no_line_is_wider_than_the_paper(
    receipt: Receipt, paper: Paper, sign: YuanSign, copies: int, reprint: bool
) -> None:
    layout = layout_receipt(
        receipt, ReceiptFormat(paper=paper, yuan_sign=sign, copies=copies, reprint=reprint)
    )
    assert len(layout.copies) == copies
    for copy in layout.copies:
        lines = [b for b in copy.blocks if isinstance(b, TextLine)]
        for line in lines:
            assert line.columns <= paper.columns, line
            # the weaker rule of the east-asian width alone holds too
            wide = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line.text)
            assert wide <= text_width(line.text)
        printed = "".join(line.text for line in lines)
        assert receipt.customer.name.replace(" ", "") in printed.replace(" ", "")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"paper": 58}, "paper"),
        ({"yuan_sign": "\u00a5"}, "yuan_sign"),
        ({"reprint": "yes"}, "reprint"),
        ({"tz": "Asia/Shanghai"}, "tz"),
    ],
)
def test_an_unknown_format_is_refused(changes: dict[str, object], field: str) -> None:
    fmt = dataclasses.replace(ReceiptFormat(), **changes)  # type: ignore[arg-type]
    with pytest.raises(ReceiptError) as caught:
        layout_receipt(online_receipt(), fmt)
    assert caught.value.code == "receipt_format_invalid"
    assert caught.value.field == field
