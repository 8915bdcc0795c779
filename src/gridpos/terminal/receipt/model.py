"""The receipt (电费收据) as plain data: what one payment prints, whoever confirmed it.

A :class:`Receipt` is built either from the server's :class:`PayAnswer` (an online payment the
company has confirmed — :func:`receipt_from_pay_answer`) or from a payment the terminal collected
without a link (脱机 — :func:`receipt_from_offline_payment`), which carries the terminal's own
verification code and prints marked 脱机. How many copies to print and whether it is a reprint
(重打) are not facts of the payment: they travel in the layout's :class:`ReceiptFormat`.

Bad input raises :class:`ReceiptError` (a :class:`DomainError` with a stable code, the field and a
Chinese and English message) and builds nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError
from gridpos.protocol.fields import (
    ACCOUNT_NO_PATTERN,
    MAX_AMOUNT_FEN,
    MAX_TOTAL_FEN,
    TERMINAL_NO_PATTERN,
    TXN_ID_PATTERN,
    VERIFICATION_CODE_PATTERN,
)
from gridpos.protocol.terminal.payments import OfflinePayment, PayAnswer

MAX_TRACE_NO: Final[int] = 999_999
MAX_TEXT_LENGTH: Final[int] = 128
_PERIOD: Final = re.compile(r"[0-9]{4}(0[1-9]|1[0-2])", re.ASCII)
_ACCOUNT_NO: Final = re.compile(ACCOUNT_NO_PATTERN, re.ASCII)
_TERMINAL_NO: Final = re.compile(TERMINAL_NO_PATTERN, re.ASCII)
_TXN_ID: Final = re.compile(TXN_ID_PATTERN, re.ASCII)
_CODE: Final = re.compile(VERIFICATION_CODE_PATTERN, re.ASCII)


class ReceiptError(DomainError):
    """A receipt that cannot be built or laid out.

    Codes: ``receipt_field_invalid`` (a field of the payment is missing, malformed or out of
    range), ``receipt_account_mismatch`` (an offline payment and the customer it names disagree),
    ``receipt_copies_invalid`` (copies other than 1 or 2), ``receipt_format_invalid`` (an unknown
    paper width or yuan sign, see :func:`~.layout.layout_receipt`).
    """

    code = "receipt_field_invalid"


def _invalid(field: str, zh: str, en: str) -> ReceiptError:
    return ReceiptError(
        code="receipt_field_invalid", field=field, message_zh=f"收据{zh}", message_en=en
    )


@dataclass(frozen=True, slots=True)
class ReceiptMonth:
    """One billing month the payment paid: kWh, principal and penalty paid, in fen."""

    period: str
    kwh: int
    principal: int
    penalty: int = 0


@dataclass(frozen=True, slots=True)
class ReceiptHeader:
    """Who collected: company, supply station, collection point, terminal and operator."""

    company: str
    station: str
    collection_point: str
    terminal_no: str
    operator: str


@dataclass(frozen=True, slots=True)
class ReceiptCustomer:
    """Whose bill: customer number, name, address and category."""

    account_no: str
    name: str
    address: str
    category: CustomerCategory


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything one payment's receipt prints; amounts in fen, ``paid_at`` timezone-aware.

    Build it with :func:`receipt_from_pay_answer` or :func:`receipt_from_offline_payment`, which
    check every field; constructing it directly checks nothing.
    """

    txn_id: str
    trace_no: int
    header: ReceiptHeader
    customer: ReceiptCustomer
    business_date: date
    paid_at: datetime
    months: tuple[ReceiptMonth, ...]
    prepaid_before: int
    prepaid_after: int
    rounding_credit_before: int
    rounding_credit_after: int
    total_due: int
    cash: int
    verification_code: str
    offline: bool

    @property
    def principal_total(self) -> int:
        """本金合计: the principal of every month paid."""
        return sum(month.principal for month in self.months)

    @property
    def penalty_total(self) -> int:
        """违约金合计: the penalty of every month paid."""
        return sum(month.penalty for month in self.months)


def receipt_from_pay_answer(answer: PayAnswer) -> Receipt:
    """The receipt of a payment the company confirmed (or uploaded offline, ``answer.offline``).

    Raises:
        ReceiptError: ``receipt_field_invalid`` if a printed text is blank after cleaning (the
        wire has already checked every other field).
    """
    receipt = Receipt(
        txn_id=answer.txn_id,
        trace_no=answer.trace_no,
        header=ReceiptHeader(
            company=answer.company,
            station=answer.station,
            collection_point=answer.collection_point,
            terminal_no=answer.terminal_no,
            operator=answer.operator,
        ),
        customer=ReceiptCustomer(
            account_no=answer.account_no,
            name=answer.name,
            address=answer.address,
            category=CustomerCategory(answer.category.value),
        ),
        business_date=answer.business_date,
        paid_at=answer.paid_at,
        months=tuple(
            ReceiptMonth(
                period=line.period, kwh=line.kwh, principal=line.principal, penalty=line.penalty
            )
            for line in answer.lines
        ),
        prepaid_before=answer.prepaid_before,
        prepaid_after=answer.prepaid_after,
        rounding_credit_before=answer.rounding_credit_before,
        rounding_credit_after=answer.rounding_credit_after,
        total_due=answer.total_due,
        cash=answer.cash,
        verification_code=answer.verification_code,
        offline=answer.offline,
    )
    return checked_receipt(receipt)


def receipt_from_offline_payment(
    *,
    payment: OfflinePayment,
    header: ReceiptHeader,
    customer: ReceiptCustomer,
    business_date: date,
    months: tuple[ReceiptMonth, ...],
    prepaid_before: int,
    prepaid_after: int,
    rounding_credit_before: int,
    rounding_credit_after: int,
) -> Receipt:
    """The receipt of a payment collected without a link (脱机), as the terminal recorded it.

    The payment gives the id, trace number, cash, amount due, cash time and the verification code
    the terminal computed; the customer and the months paid come from the arrears the terminal
    downloaded and its own allocation.

    Raises:
        ReceiptError: ``receipt_account_mismatch`` when ``customer`` is not the payment's customer;
        ``receipt_field_invalid`` for any field out of range (see :func:`checked_receipt`).
    """
    if payment.account_no != customer.account_no:
        raise ReceiptError(
            code="receipt_account_mismatch",
            field="account_no",
            message_zh="脱机收费记录与客户户号不一致",
            message_en="The offline payment names another customer number",
        )
    receipt = Receipt(
        txn_id=payment.txn_id,
        trace_no=payment.trace_no,
        header=header,
        customer=customer,
        business_date=business_date,
        paid_at=payment.cash_time,
        months=months,
        prepaid_before=prepaid_before,
        prepaid_after=prepaid_after,
        rounding_credit_before=rounding_credit_before,
        rounding_credit_after=rounding_credit_after,
        total_due=payment.amount_due,
        cash=payment.cash,
        verification_code=payment.verification_code,
        offline=True,
    )
    return checked_receipt(receipt)


def clean_text(text: str) -> str:
    """Printable text: NFC-composed, control and format characters made spaces or dropped.

    Line breaks and tabs become spaces, zero-width and other format characters (Unicode category
    ``Cf``) disappear, and runs of spaces collapse to one: nothing a customer's name carries can
    reach the printer as a command byte or break the layout. Private-use and unassigned characters
    (an old MIS's self-made glyphs for rare names) stay, so the encoder replaces them visibly and
    reports them instead of losing them silently.
    """
    composed = unicodedata.normalize("NFC", text)
    kept: list[str] = []
    for char in composed:
        category = unicodedata.category(char)
        if category in {"Cc", "Zl", "Zp", "Zs"}:
            kept.append(" ")
        elif category == "Cf":
            continue
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


def _check_text(value: object, field: str, label: str) -> str:
    if not isinstance(value, str):
        raise _invalid(field, f"{label}必须是文字", f"The {field} must be text")
    cleaned = clean_text(value)
    if not cleaned:
        raise _invalid(field, f"{label}不能为空", f"The {field} must not be blank")
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise _invalid(
            field,
            f"{label}过长（最多{MAX_TEXT_LENGTH}字）",
            f"The {field} is longer than {MAX_TEXT_LENGTH} characters",
        )
    return cleaned


def _check_pattern(value: object, pattern: re.Pattern[str], field: str, zh: str, en: str) -> str:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise _invalid(field, zh, en)
    return value


def _check_fen(value: object, field: str, *, maximum: int = MAX_AMOUNT_FEN, least: int = 0) -> int:
    if type(value) is not int:
        raise _invalid(field, "金额必须是以分为单位的整数", f"The {field} must be an int of fen")
    if not least <= value <= maximum:
        raise _invalid(
            field,
            f"金额超出范围（{least}至{maximum}分）",
            f"The {field} must be between {least} and {maximum} fen",
        )
    return value


def _check_month(month: object, index: int) -> ReceiptMonth:
    field = f"months[{index}]"
    if not isinstance(month, ReceiptMonth):
        raise _invalid(field, "电费明细格式不正确", "A billing month must be a ReceiptMonth")
    _check_pattern(
        month.period, _PERIOD, f"{field}.period", "电费年月应为YYYYMM", "Period must be YYYYMM"
    )
    if type(month.kwh) is not int or not 0 <= month.kwh <= 999_999_999:
        raise _invalid(f"{field}.kwh", "电量应为非负整数", "kWh must be a non-negative int")
    return ReceiptMonth(
        period=month.period,
        kwh=month.kwh,
        principal=_check_fen(month.principal, f"{field}.principal"),
        penalty=_check_fen(month.penalty, f"{field}.penalty"),
    )


def checked_receipt(receipt: Receipt) -> Receipt:
    """The receipt with its texts cleaned (:func:`clean_text`), once every field is checked.

    Raises:
        ReceiptError: ``receipt_field_invalid`` naming the first field that is missing, malformed
        or out of range: blank or over-long texts, a terminal number that is not 8 digits, a
        customer number that is not 6–16 digits, a trace number outside 1–999999, amounts that
        are not int fen in range (cash at least 1 fen, 调尾 under 1 yuan), a naive ``paid_at``,
        a verification code that is not 8 digits.
    """
    header, customer = receipt.header, receipt.customer
    _check_pattern(receipt.txn_id, _TXN_ID, "txn_id", "交易号格式不正确", "Malformed txn id")
    if type(receipt.trace_no) is not int or not 1 <= receipt.trace_no <= MAX_TRACE_NO:
        raise _invalid("trace_no", "流水号应为1至999999", "The trace no must be 1 to 999999")
    _check_pattern(
        header.terminal_no,
        _TERMINAL_NO,
        "terminal_no",
        "终端号应为8位数字",
        "Terminal no: 8 digits",
    )
    _check_pattern(
        customer.account_no,
        _ACCOUNT_NO,
        "account_no",
        "户号应为6至16位数字",
        "Account: 6-16 digits",
    )
    _check_pattern(
        receipt.verification_code,
        _CODE,
        "verification_code",
        "校验码应为8位数字",
        "The verification code must be 8 digits",
    )
    if not isinstance(customer.category, CustomerCategory):
        raise _invalid("category", "用电类别无效", "Unknown customer category")
    if not isinstance(receipt.business_date, date) or isinstance(receipt.business_date, datetime):
        raise _invalid("business_date", "清算日期无效", "The business date must be a date")
    if not isinstance(receipt.paid_at, datetime) or receipt.paid_at.utcoffset() is None:
        raise _invalid("paid_at", "交易时间必须带时区", "The payment time must be timezone-aware")
    if not isinstance(receipt.offline, bool):
        raise _invalid("offline", "脱机标志无效", "The offline flag must be a bool")
    return Receipt(
        txn_id=receipt.txn_id,
        trace_no=receipt.trace_no,
        header=ReceiptHeader(
            company=_check_text(header.company, "company", "供电单位"),
            station=_check_text(header.station, "station", "供电所"),
            collection_point=_check_text(header.collection_point, "collection_point", "收费网点"),
            terminal_no=header.terminal_no,
            operator=_check_text(header.operator, "operator", "操作员"),
        ),
        customer=ReceiptCustomer(
            account_no=customer.account_no,
            name=_check_text(customer.name, "name", "户名"),
            address=_check_text(customer.address, "address", "地址"),
            category=customer.category,
        ),
        business_date=receipt.business_date,
        paid_at=receipt.paid_at,
        months=tuple(_check_month(month, index) for index, month in enumerate(receipt.months)),
        # balances: what the company's replica held (a rounding credit may pass 99 fen)
        prepaid_before=_check_fen(receipt.prepaid_before, "prepaid_before", maximum=MAX_TOTAL_FEN),
        prepaid_after=_check_fen(receipt.prepaid_after, "prepaid_after", maximum=MAX_TOTAL_FEN),
        rounding_credit_before=_check_fen(
            receipt.rounding_credit_before, "rounding_credit_before", maximum=MAX_TOTAL_FEN
        ),
        rounding_credit_after=_check_fen(
            receipt.rounding_credit_after, "rounding_credit_after", maximum=MAX_TOTAL_FEN
        ),
        total_due=_check_fen(receipt.total_due, "total_due"),
        cash=_check_fen(receipt.cash, "cash", least=1),
        verification_code=receipt.verification_code,
        offline=receipt.offline,
    )
