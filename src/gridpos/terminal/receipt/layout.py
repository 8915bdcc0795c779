"""Receipt layout for 58 mm (32 columns) and 80 mm (48 columns) paper, as Unicode lines.

:func:`layout_receipt` turns a :class:`~.model.Receipt` into one :class:`CopyLayout` per copy:
text lines of at most the paper's columns (a title line prints double width, so it holds half),
and the QR code. The ESC/POS output, the text preview and the PDF copy all render this one
layout, so what the screen shows is what the paper gets.

Per copy: the title 电费收据 (double size, bold), the copy's name (客户联, or 第一联 客户联 /
第二联 存根联 for two copies), the marks 【脱机】 and 【重打】; who collected (company, station,
collection point, terminal, operator, trace number, business date, time); the customer (户号,
户名, 地址, 用电类别 — long names and addresses wrap under their label); the table of billing
months (电费年月, 电量, 本金, 违约金 — a month whose figures do not fit its row is written on
several lines instead); the totals with amounts right-aligned; 应缴 and 实收 in 大写; the
verification code and its QR code; for an offline payment, a note that it is still to be
uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from enum import Enum, StrEnum
from typing import Final

from gridpos.domain.money import capital_numerals, format_yuan, format_yuan_with_sign
from gridpos.terminal.receipt.model import Receipt, ReceiptError, ReceiptMonth
from gridpos.terminal.receipt.qr import qr_content
from gridpos.terminal.receipt.text import center, pad_left, pad_right, text_width, wrap

CHINA_STANDARD_TIME: Final[tzinfo] = timezone(timedelta(hours=8), "CST")
"""Receipts print Beijing time (UTC+8 all year: China has had no daylight saving since 1991)."""

TITLE: Final[str] = "电费收据"
RULE_CHAR: Final[str] = "-"


class Paper(Enum):
    """Thermal paper widths: millimetres, printer columns (font A, 12 dots) and dots."""

    MM58 = (58, 32, 384)
    MM80 = (80, 48, 576)

    @property
    def width_mm(self) -> int:
        return self.value[0]

    @property
    def columns(self) -> int:
        return self.value[1]

    @property
    def dots(self) -> int:
        return self.value[2]


class YuanSign(StrEnum):
    """How amounts carry the currency: ``"123.45元"`` or ``"￥123.45"`` (full-width U+FFE5).

    Never U+00A5 (``¥``), which GB18030 encodes as four bytes that GBK printers garble.
    """

    YUAN = "yuan"
    FULL_WIDTH = "full_width"

    def write(self, fen: int) -> str:
        """``fen`` with the sign: ``12345 -> "123.45元"`` or ``"￥123.45"``."""
        if self is YuanSign.YUAN:
            return f"{format_yuan(fen)}元"
        return format_yuan_with_sign(fen)


class LineStyle(StrEnum):
    """How a line prints: plain, bold, or the double-size bold title."""

    NORMAL = "normal"
    BOLD = "bold"
    TITLE = "title"


@dataclass(frozen=True, slots=True)
class TextLine:
    """One printed line, already padded (a title line is centred in half the columns)."""

    text: str
    style: LineStyle = LineStyle.NORMAL

    @property
    def columns(self) -> int:
        """Columns the line takes on paper: a title's characters print twice as wide."""
        width = text_width(self.text)
        return 2 * width if self.style is LineStyle.TITLE else width


@dataclass(frozen=True, slots=True)
class QrBlock:
    """The receipt's QR code (content: see :mod:`.qr`)."""

    content: str


Block = TextLine | QrBlock


@dataclass(frozen=True, slots=True)
class CopyLayout:
    """One copy of the receipt, cut from the next: its name and its blocks top to bottom."""

    label: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class ReceiptLayout:
    """The whole print job: the paper and every copy."""

    paper: Paper
    copies: tuple[CopyLayout, ...]


@dataclass(frozen=True, slots=True)
class ReceiptFormat:
    """How to print: paper, yuan sign, 1 or 2 copies, reprint (重打), and the printed timezone."""

    paper: Paper = Paper.MM58
    yuan_sign: YuanSign = YuanSign.YUAN
    copies: int = 1
    reprint: bool = False
    tz: tzinfo = CHINA_STANDARD_TIME


_COPY_LABELS: Final[dict[int, tuple[str, ...]]] = {
    1: ("客户联",),
    2: ("第一联 客户联", "第二联 存根联"),
}
# Billing-month table columns: 电费年月, 电量, 本金, 违约金 (widths add up to the paper's columns).
_TABLE_WIDTHS: Final[dict[Paper, tuple[int, int, int, int]]] = {
    Paper.MM58: (8, 6, 9, 9),
    Paper.MM80: (12, 10, 13, 13),
}
_TABLE_HEADINGS: Final[tuple[str, str, str, str]] = ("电费年月", "电量", "本金", "违约金")


class _Lines:
    """Collects one copy's blocks while keeping every line within the paper."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.blocks: list[Block] = []

    def add(self, text: str, style: LineStyle = LineStyle.NORMAL) -> None:
        self.blocks.append(TextLine(text.rstrip(" "), style))

    def rule(self) -> None:
        self.add(RULE_CHAR * self.columns)

    def centred(self, text: str, style: LineStyle = LineStyle.NORMAL) -> None:
        width = self.columns // 2 if style is LineStyle.TITLE else self.columns
        for part in wrap(text, width):
            self.add(center(part, width), style)

    def field(self, label: str, value: str, style: LineStyle = LineStyle.NORMAL) -> None:
        """``label`` then ``value`` wrapped under itself (hanging indent), or below a long label."""
        indent = text_width(label)
        if indent > self.columns // 2:
            self.add(label, style)
            for part in wrap(value, self.columns):
                self.add(part, style)
            return
        parts = wrap(value, self.columns - indent)
        self.add(label + parts[0], style)
        for part in parts[1:]:
            self.add(" " * indent + part, style)

    def amount(self, label: str, amount: str, style: LineStyle = LineStyle.NORMAL) -> None:
        """``label`` left and ``amount`` right; the amount on its own line if both do not fit."""
        gap = self.columns - text_width(label) - text_width(amount)
        if gap >= 1:
            self.add(label + " " * gap + amount, style)
        else:
            self.add(label, style)
            self.add(pad_left(amount, self.columns), style)


def _table_row(cells: tuple[str, str, str, str], widths: tuple[int, int, int, int]) -> str | None:
    """The row, or None when a cell does not fit its column with a space before it."""
    first, *rest = cells
    if text_width(first) > widths[0]:
        return None
    row = pad_right(first, widths[0])
    for cell, width in zip(rest, widths[1:], strict=True):
        if text_width(cell) > width - 1:
            return None
        row += pad_left(cell, width)
    return row


def _month(lines: _Lines, month: ReceiptMonth, widths: tuple[int, int, int, int]) -> None:
    cells = (month.period, str(month.kwh), format_yuan(month.principal), format_yuan(month.penalty))
    row = _table_row(cells, widths)
    if row is not None:
        lines.add(row)
        return
    lines.add(month.period)
    for heading, cell in zip(_TABLE_HEADINGS[1:], cells[1:], strict=True):
        lines.amount(f"  {heading}", cell)


def _copy(receipt: Receipt, fmt: ReceiptFormat, label: str) -> CopyLayout:
    lines = _Lines(fmt.paper.columns)
    header, customer, money = receipt.header, receipt.customer, fmt.yuan_sign.write
    lines.centred(TITLE, LineStyle.TITLE)
    lines.centred(label)
    marks = [mark for mark, on in (("【脱机】", receipt.offline), ("【重打】", fmt.reprint)) if on]
    if marks:
        lines.centred(" ".join(marks), LineStyle.BOLD)
    lines.rule()
    lines.field("供电单位：", header.company)
    lines.field("供电所：", header.station)
    lines.field("收费网点：", header.collection_point)
    lines.field("终端号：", header.terminal_no)
    lines.field("操作员：", header.operator)
    lines.field("流水号：", f"{receipt.trace_no:06d}")
    lines.field("清算日期：", receipt.business_date.strftime("%Y-%m-%d"))
    lines.field("交易时间：", _local(receipt.paid_at, fmt.tz))
    lines.rule()
    lines.field("户号：", customer.account_no, LineStyle.BOLD)
    lines.field("户名：", customer.name, LineStyle.BOLD)
    lines.field("地址：", customer.address)
    lines.field("用电类别：", customer.category.label_zh)
    lines.rule()
    widths = _TABLE_WIDTHS[fmt.paper]
    heading = _table_row(_TABLE_HEADINGS, widths)
    lines.add(heading if heading is not None else " ".join(_TABLE_HEADINGS))
    for month in receipt.months:
        _month(lines, month, widths)
    if not receipt.months:
        lines.centred("（本次无欠费，全部转入预存）")
    lines.field("", "电量单位：千瓦时  金额单位：元")
    lines.rule()
    lines.amount("本金合计：", money(receipt.principal_total))
    lines.amount("违约金合计：", money(receipt.penalty_total))
    lines.amount("上次余额：", money(receipt.prepaid_before))
    lines.amount("本次余额：", money(receipt.prepaid_after))
    lines.amount("上次调尾：", money(receipt.rounding_credit_before))
    lines.amount("本次调尾：", money(receipt.rounding_credit_after))
    lines.amount("应缴金额：", money(receipt.total_due), LineStyle.BOLD)
    lines.amount("实收金额：", money(receipt.cash), LineStyle.BOLD)
    lines.field("应缴大写：", capital_numerals(receipt.total_due))
    lines.field("实收大写：", capital_numerals(receipt.cash))
    lines.rule()
    lines.field("校验码：", receipt.verification_code, LineStyle.BOLD)
    lines.blocks.append(
        QrBlock(
            qr_content(
                terminal_no=header.terminal_no,
                txn_id=receipt.txn_id,
                account_no=customer.account_no,
                cash=receipt.cash,
                verification_code=receipt.verification_code,
            )
        )
    )
    if receipt.offline:
        lines.field("", "脱机收费：联网后自动上传供电公司，可凭校验码核对。")
    lines.centred("请核对金额，妥善保管本收据")
    return CopyLayout(label=label, blocks=tuple(lines.blocks))


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def layout_receipt(receipt: Receipt, fmt: ReceiptFormat | None = None) -> ReceiptLayout:
    """Lay out every copy of ``receipt`` for ``fmt`` (default: one copy on 58 mm, 元).

    Raises:
        ReceiptError: ``receipt_copies_invalid`` for copies other than 1 or 2;
        ``receipt_format_invalid`` for an unknown paper or yuan sign, a reprint flag that is not
        a bool or a timezone that is not a ``tzinfo``.
    """
    fmt = fmt or ReceiptFormat()
    if not isinstance(fmt.paper, Paper) or not isinstance(fmt.yuan_sign, YuanSign):
        raise ReceiptError(
            code="receipt_format_invalid",
            field="paper" if not isinstance(fmt.paper, Paper) else "yuan_sign",
            message_zh="收据纸宽或金额符号设置无效",
            message_en="Unknown paper width or yuan sign",
        )
    if not isinstance(fmt.reprint, bool) or not isinstance(fmt.tz, tzinfo):
        raise ReceiptError(
            code="receipt_format_invalid",
            field="reprint" if not isinstance(fmt.reprint, bool) else "tz",
            message_zh="收据重打标志或时区设置无效",
            message_en="The reprint flag must be a bool and the timezone a tzinfo",
        )
    labels = _COPY_LABELS.get(fmt.copies) if type(fmt.copies) is int else None
    if labels is None:
        raise ReceiptError(
            code="receipt_copies_invalid",
            field="copies",
            message_zh="收据联数只能是1或2",
            message_en="A receipt prints 1 or 2 copies",
        )
    return ReceiptLayout(
        paper=fmt.paper, copies=tuple(_copy(receipt, fmt, label) for label in labels)
    )
