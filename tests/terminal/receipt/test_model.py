"""The receipt model: built from the pay answer or an offline payment; bad input refused."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError
from gridpos.terminal.receipt import (
    Receipt,
    ReceiptError,
    ReceiptMonth,
    checked_receipt,
    receipt_from_offline_payment,
)
from gridpos.terminal.receipt.model import clean_text

from .samples import (
    HEADER,
    OFFLINE_CUSTOMER,
    OFFLINE_PAYMENT,
    offline_receipt,
    online_receipt,
)


def test_an_online_receipt_carries_every_printed_field_of_the_answer() -> None:
    receipt = online_receipt()
    assert receipt.txn_id == "34080017-1042-9f3a1c2e"
    assert receipt.trace_no == 1042
    assert receipt.header == HEADER
    assert receipt.customer.name == "王小明"
    assert receipt.customer.category is CustomerCategory.RESIDENTIAL
    assert receipt.months == (
        ReceiptMonth(period="202404", kwh=153, principal=8649, penalty=100),
        ReceiptMonth(period="202405", kwh=201, principal=11540, penalty=0),
    )
    assert receipt.principal_total == 20189  # 86.49 + 115.40
    assert receipt.penalty_total == 100
    assert (receipt.total_due, receipt.cash) == (20289, 20300)
    assert (receipt.rounding_credit_before, receipt.rounding_credit_after) == (0, 11)
    assert receipt.paid_at == datetime(2024, 6, 15, 6, 30, 12, tzinfo=UTC)
    assert receipt.offline is False


def test_an_offline_receipt_takes_money_and_code_from_the_journalled_payment() -> None:
    receipt = offline_receipt()
    assert receipt.offline is True
    assert receipt.txn_id == OFFLINE_PAYMENT.txn_id
    assert receipt.verification_code == "90517733"
    assert (receipt.total_due, receipt.cash) == (5077, 6000)
    assert (receipt.prepaid_before, receipt.prepaid_after) == (350, 923)
    assert receipt.paid_at == OFFLINE_PAYMENT.cash_time
    assert receipt.business_date == date(2024, 6, 15)


def test_an_offline_payment_for_another_customer_is_refused() -> None:
    other = dataclasses.replace(OFFLINE_CUSTOMER, account_no="3408000001")
    with pytest.raises(ReceiptError) as caught:
        receipt_from_offline_payment(
            payment=OFFLINE_PAYMENT,
            header=HEADER,
            customer=other,
            business_date=date(2024, 6, 15),
            months=(),
            prepaid_before=0,
            prepaid_after=0,
            rounding_credit_before=0,
            rounding_credit_after=0,
        )
    assert caught.value.code == "receipt_account_mismatch"
    assert caught.value.field == "account_no"
    assert isinstance(caught.value, DomainError)


def test_texts_are_cleaned_of_control_and_format_characters() -> None:
    assert clean_text("王\x1b@小\u200b明\n") == "王 @小明"  # ESC made a space, ZWSP dropped
    assert clean_text("  天堂村\t 12组 ") == "天堂村 12组"
    assert clean_text("e\u0301") == "é"  # NFC
    assert clean_text("\ue000") == "\ue000"  # private use kept: the encoder replaces it visibly


def test_checked_receipt_cleans_texts() -> None:
    receipt = online_receipt()
    dirty = dataclasses.replace(
        receipt, customer=dataclasses.replace(receipt.customer, name="王小明\x1bd\x05")
    )
    assert checked_receipt(dirty).customer.name == "王小明 d"


def _breaking(receipt: Receipt, **changes: Any) -> Receipt:
    header_fields = {f.name for f in dataclasses.fields(receipt.header)}
    customer_fields = {f.name for f in dataclasses.fields(receipt.customer)}
    header = dataclasses.replace(
        receipt.header, **{k: v for k, v in changes.items() if k in header_fields}
    )
    customer = dataclasses.replace(
        receipt.customer, **{k: v for k, v in changes.items() if k in customer_fields}
    )
    rest = {k: v for k, v in changes.items() if k not in header_fields | customer_fields}
    return dataclasses.replace(receipt, header=header, customer=customer, **rest)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"txn_id": "34080017-1042"}, "txn_id"),
        ({"trace_no": 0}, "trace_no"),
        ({"trace_no": 1_000_000}, "trace_no"),
        ({"terminal_no": "3408001"}, "terminal_no"),
        ({"account_no": "34A8001234"}, "account_no"),
        ({"verification_code": "1234567"}, "verification_code"),
        ({"name": " \u200b "}, "name"),
        ({"address": "地" * 129}, "address"),
        ({"company": 5}, "company"),
        ({"cash": 0}, "cash"),
        ({"cash": 100.0}, "cash"),
        ({"total_due": -1}, "total_due"),
        ({"prepaid_after": True}, "prepaid_after"),
        ({"rounding_credit_after": -1}, "rounding_credit_after"),
        ({"paid_at": datetime(2024, 6, 15, 14, 30)}, "paid_at"),  # noqa: DTZ001 - naive on purpose
        ({"business_date": datetime(2024, 6, 15, tzinfo=UTC)}, "business_date"),
        ({"months": (ReceiptMonth("202413", 1, 1),)}, "months[0].period"),
        ({"months": (ReceiptMonth("202405", -1, 1),)}, "months[0].kwh"),
        ({"months": (ReceiptMonth("202405", 1, 1, penalty=-5),)}, "months[0].penalty"),
        ({"offline": "no"}, "offline"),
    ],
)
def test_a_bad_field_is_named_in_chinese_and_english(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ReceiptError) as caught:
        checked_receipt(_breaking(online_receipt(), **changes))
    error = caught.value
    assert error.code == "receipt_field_invalid"
    assert error.field == field
    assert error.message_zh.startswith("收据")
    assert error.message_en
