"""Fixed payments to print: an online one, an offline one, and one with a rare name.

Amounts are worked by hand:

- ONLINE: 202404 153 kWh 86.49 + penalty 1.00, 202405 201 kWh 115.40 → due 202.89;
  the customer pays 203.00 (rounded up), so 调尾 goes 0.00 → 0.11.
- OFFLINE: 202405 96 kWh 54.27, no penalty, prepaid 3.50 before → due 50.77; pays 60.00,
  the 9.23 over the arrears goes to prepaid (余额 3.50 → 9.23 — the 3.50 drawn, 9.23 new).
- RARE: the customer 刘䶮 (䶮 U+4DAE is in GB18030, not in GBK); due and paid 32.10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from gridpos.domain.categories import CustomerCategory
from gridpos.protocol.fields import WireCategory
from gridpos.protocol.terminal.payments import OfflinePayment, PayAnswer, ReceiptLine
from gridpos.terminal.receipt import (
    Receipt,
    ReceiptCustomer,
    ReceiptHeader,
    ReceiptMonth,
    receipt_from_offline_payment,
    receipt_from_pay_answer,
)

HEADER = ReceiptHeader(
    company="国网安徽省电力有限公司岳西县供电公司",
    station="天堂供电所",
    collection_point="天堂镇新华超市",
    terminal_no="34080017",
    operator="储小燕",
)

PAY_ANSWER = PayAnswer(
    txn_id="34080017-1042-9f3a1c2e",
    trace_no=1042,
    company=HEADER.company,
    station=HEADER.station,
    collection_point=HEADER.collection_point,
    terminal_no=HEADER.terminal_no,
    operator=HEADER.operator,
    business_date=date(2024, 6, 15),
    paid_at=datetime(2024, 6, 15, 6, 30, 12, tzinfo=UTC),  # 14:30:12 Beijing time
    account_no="3408001234",
    name="王小明",
    address="岳西县天堂镇天堂村大屋组12号，靠近老供销社旁边的二层小楼",
    category=WireCategory.RESIDENTIAL,
    lines=(
        ReceiptLine(period="202404", kwh=153, principal=8649, penalty=100),
        ReceiptLine(period="202405", kwh=201, principal=11540, penalty=0),
    ),
    prepaid_before=0,
    prepaid_after=0,
    rounding_credit_before=0,
    rounding_credit_after=11,
    total_due=20289,
    cash=20300,
    verification_code="48213906",
)

OFFLINE_CUSTOMER = ReceiptCustomer(
    account_no="3408005678",
    name="汪桂花",
    address="岳西县天堂镇黄尖村",
    category=CustomerCategory.SUBSIDISED,
)

OFFLINE_PAYMENT = OfflinePayment(
    txn_id="34080017-1043-5b7d0e11",
    trace_no=1043,
    account_no="3408005678",
    cash=6000,
    round_up=0,
    amount_due=5077,
    cash_time=datetime(2024, 6, 15, 8, 5, 0, tzinfo=UTC),  # 16:05:00 Beijing time
    offline_seq=7,
    verification_code="90517733",
)

RARE_ANSWER = PAY_ANSWER.model_copy(
    update={
        "txn_id": "34080017-1044-0a1b2c3d",
        "trace_no": 1044,
        "account_no": "3408009999",
        "name": "刘䶮",
        "address": "岳西县天堂镇",
        "category": WireCategory.NON_RESIDENTIAL,
        "lines": (ReceiptLine(period="202405", kwh=40, principal=3210, penalty=0),),
        "rounding_credit_after": 0,
        "total_due": 3210,
        "cash": 3210,
        "verification_code": "00012345",
    }
)


def online_receipt() -> Receipt:
    return receipt_from_pay_answer(PAY_ANSWER)


def offline_receipt() -> Receipt:
    return receipt_from_offline_payment(
        payment=OFFLINE_PAYMENT,
        header=HEADER,
        customer=OFFLINE_CUSTOMER,
        business_date=date(2024, 6, 15),
        months=(ReceiptMonth(period="202405", kwh=96, principal=5427, penalty=0),),
        prepaid_before=350,
        prepaid_after=923,
        rounding_credit_before=0,
        rounding_credit_after=0,
    )


def rare_receipt() -> Receipt:
    return receipt_from_pay_answer(RARE_ANSWER)
