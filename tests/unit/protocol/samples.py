"""Realistic messages of one collection day at a village shop in 岳西, for the protocol tests.

A residential customer owes three billing months; the shop's terminal 34080017 takes 353.00 yuan
for 352.60 due on 2024-06-15 (rounding up: 40 fen becomes the rounding credit) from a float of
12,000.00 yuan with 3,000.00 held for offline collection, then collects 86.00 yuan offline.

Charges at the Anhui residential tiers (0.5653 yuan/kWh to 180 kWh a month, 0.6153 above), each
charge line rounded half-up to the fen:
- 202403, 186 kWh: 180 × 0.5653 = 101.754 → 10175; 6 × 0.6153 = 3.6918 → 369; principal 10544.
  Due 2024-04-25, 51 days late (26 Apr – 15 Jun) at 1‰: 10544 × 51 / 1000 = 537.7 → 538.
- 202404, 152 kWh: 152 × 0.5653 = 85.9256 → 8593. Due 2024-05-25, 21 days late: 180.45 → 180.
- 202405, 265 kWh: 10175 + 85 × 0.6153 = 52.3005 → 5230; principal 15405. Due 2024-06-25: none.
Principal 10544 + 8593 + 15405 = 34542, penalty 538 + 180 = 718, due 35260, cash 35300.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from gridpos.protocol.errors import ErrorCode, error_body
from gridpos.protocol.fields import WireCategory, WirePaymentState
from gridpos.protocol.signing import encode_key, receipt_code
from gridpos.protocol.terminal import (
    accounts,
    batches,
    enrolment,
    journal_upload,
    payments,
    session,
)

KEY = bytes(range(32))
TERMINAL_NO = "34080017"
ACCOUNT_NO = "0301234567"
BUSINESS_DATE = date(2024, 6, 15)
CASH_TIME = datetime(2024, 6, 15, 2, 30, 12, tzinfo=UTC)  # 10:30:12 in 岳西
PAID_AT = datetime(2024, 6, 15, 2, 30, 13, tzinfo=UTC)
TXN_ID = payments.make_txn_id(
    terminal_no=TERMINAL_NO,
    serial=1042,
    nonce=uuid.UUID("9f3a1c2e-5b7d-4c1a-8e2f-0a1b2c3d4e5f"),
)
OFFLINE_TXN_ID = payments.make_txn_id(
    terminal_no=TERMINAL_NO,
    serial=1043,
    nonce=uuid.UUID("0c4d2e11-0000-4000-8000-000000000000"),
)

RECEIPT_LINES = (
    payments.ReceiptLine(period="202403", kwh=186, principal=10544, penalty=538),
    payments.ReceiptLine(period="202404", kwh=152, principal=8593, penalty=180),
    payments.ReceiptLine(period="202405", kwh=265, principal=15405, penalty=0),
)

ENROL_REQUEST = enrolment.EnrolRequest(
    code="482913650271", device_serial="PAX-S90-7731", version="1.4.2"
)
ENROL_ANSWER = enrolment.EnrolAnswer(
    terminal_no=TERMINAL_NO,
    key=encode_key(KEY),
    server_time=PAID_AT,
    collection_point="杨畈村惠民超市",
)

HEARTBEAT = session.Heartbeat(signal_dbm=-71, battery_percent=83, queue_depth=0, version="1.4.2")
# a journal whose row 1043 was deleted (a gap, then a row that follows nothing) and whose row 1187
# was altered: three places in the chain fail
DAMAGED_HEARTBEAT = HEARTBEAT.model_copy(
    update={
        "journal_damage": session.JournalDamage(
            problems=3,
            first_seq=1043,
            last_seq=1187,
            kinds=(
                session.JournalDamageKind.MISSING,
                session.JournalDamageKind.LINK_BROKEN,
                session.JournalDamageKind.ALTERED,
            ),
        )
    }
)
HEARTBEAT_ANSWER = session.HeartbeatAnswer(
    server_time=PAID_AT, signed_in=True, business_date=BUSINESS_DATE
)
SIGN_IN_REQUEST = session.SignInRequest(
    agent_account="yx0317",
    password="Dq#2024pos",
    organisation_code="340828",
    offline_allowance=300_000,
    heartbeat=HEARTBEAT,
)
PARAMS = session.TerminalParams(
    company="国网安徽省电力有限公司岳西县供电公司",
    station="店前供电所",
    collection_point="杨畈村惠民超市",
    hotline="95598",
    per_payment_limit=500_000,
    per_day_limit=5_000_000,
    offline_per_payment_limit=100_000,
    offline_per_day_limit=300_000,
)
SIGN_IN_ANSWER = session.SignInAnswer(
    business_date=BUSINESS_DATE,
    batch_no=17,
    server_time=PAID_AT,
    operator="王春梅",
    params=PARAMS,
    float_available=1_200_000,
    float_held=300_000,
    offline_allowance=300_000,
)
SIGN_OUT_REQUEST = session.SignOutRequest(batch_no=17)
SIGN_OUT_ANSWER = session.SignOutAnswer(
    business_date=BUSINESS_DATE, released=291_400, float_available=1_456_100
)

ACCOUNT_QUERY = accounts.AccountQuery(account_no=ACCOUNT_NO)
RECEIVABLES = (
    accounts.ReceivableLine(
        period="202403", kwh=186, principal=10544, penalty=538, due_date=date(2024, 4, 25)
    ),
    accounts.ReceivableLine(
        period="202404", kwh=152, principal=8593, penalty=180, due_date=date(2024, 5, 25)
    ),
    accounts.ReceivableLine(period="202405", kwh=265, principal=15405, due_date=date(2024, 6, 25)),
)
ACCOUNT_ANSWER = accounts.AccountAnswer(
    account_no=ACCOUNT_NO,
    name="储德胜",
    address="岳西县店前镇杨畈村杨畈组12号",
    category=WireCategory.RESIDENTIAL,
    business_date=BUSINESS_DATE,
    lines=RECEIVABLES,
    total_due=35260,
    round_up=40,
)
ARREARS_QUERY = accounts.ArrearsQuery(area="340828105", limit=50)
ARREARS_ANSWER = accounts.ArrearsAnswer(
    business_date=BUSINESS_DATE,
    area="340828105",
    accounts=(
        accounts.OfflineAccount(
            account_no=ACCOUNT_NO,
            name="储德胜",
            address="岳西县店前镇杨畈村杨畈组12号",
            category=WireCategory.RESIDENTIAL,
            lines=RECEIVABLES,
        ),
    ),
    next_after=ACCOUNT_NO,
)

PAY_REQUEST = payments.PayRequest(
    txn_id=TXN_ID,
    trace_no=1042,
    account_no=ACCOUNT_NO,
    cash=35300,
    round_up=40,
    amount_due=35260,
    cash_time=CASH_TIME,
)
PAY_ANSWER = payments.PayAnswer(
    txn_id=TXN_ID,
    trace_no=1042,
    company="国网安徽省电力有限公司岳西县供电公司",
    station="店前供电所",
    collection_point="杨畈村惠民超市",
    terminal_no=TERMINAL_NO,
    operator="王春梅",
    business_date=BUSINESS_DATE,
    paid_at=PAID_AT,
    account_no=ACCOUNT_NO,
    name="储德胜",
    address="岳西县店前镇杨畈村杨畈组12号",
    category=WireCategory.RESIDENTIAL,
    lines=RECEIPT_LINES,
    prepaid_before=0,
    prepaid_after=0,
    rounding_credit_before=0,
    rounding_credit_after=40,
    total_due=35260,
    cash=35300,
    verification_code=receipt_code(key=KEY, txn_id=TXN_ID, account_no=ACCOUNT_NO, cash=35300),
    float_available=1_164_700,
)
STATUS_QUERY = payments.PaymentStatusQuery(txn_id=TXN_ID)
STATUS_ANSWER = payments.PaymentStatusAnswer(
    txn_id=TXN_ID, state=WirePaymentState.CONFIRMED, receipt=PAY_ANSWER
)
REVERSE_REQUEST = payments.ReverseRequest(
    txn_id=TXN_ID, trace_no=1042, business_date=BUSINESS_DATE, cash=35300, reversal_trace_no=1044
)
REVERSE_ANSWER = payments.UndoAnswer(
    txn_id=TXN_ID,
    state=WirePaymentState.REVERSED,
    undone_at=PAID_AT,
    tombstone=True,
    float_available=1_200_000,
)
VOID_REQUEST = payments.VoidRequest(
    txn_id=TXN_ID,
    trace_no=1042,
    business_date=BUSINESS_DATE,
    cash=35300,
    void_trace_no=1045,
    supervisor="dq_zhang",
    supervisor_password="Zs@9981",
)
REPRINT_QUERY = payments.ReprintQuery(limit=3)
REPRINT_ANSWER = payments.ReprintAnswer(receipts=(PAY_ANSWER,))
OFFLINE_PAYMENT = payments.OfflinePayment(
    txn_id=OFFLINE_TXN_ID,
    trace_no=1043,
    account_no="0301234571",
    cash=8600,
    round_up=0,
    amount_due=8600,
    cash_time=datetime(2024, 6, 15, 6, 5, 0, tzinfo=UTC),
    offline_seq=12,
    verification_code=receipt_code(
        key=KEY, txn_id=OFFLINE_TXN_ID, account_no="0301234571", cash=8600
    ),
)
OFFLINE_UPLOAD_REQUEST = payments.OfflineUploadRequest(payments=(OFFLINE_PAYMENT,))
OFFLINE_UPLOAD_ANSWER = payments.OfflineUploadAnswer(
    results=(payments.OfflineResult(txn_id=OFFLINE_TXN_ID, state=WirePaymentState.CONFIRMED),),
    float_available=1_164_700,
    float_held=291_400,
)

TOTALS = batches.BatchTotals(count=1, amount=35300)
CLOSE_REQUEST = batches.CloseBatchRequest(batch_no=17, totals=TOTALS)
CLOSE_ANSWER = batches.CloseBatchAnswer(
    batch_no=17,
    business_date=BUSINESS_DATE,
    balanced=False,
    server_totals=batches.BatchTotals(count=2, amount=43900),
)
UPLOAD_REQUEST = batches.UploadBatchRequest(
    batch_no=17,
    part=1,
    parts=1,
    items=(
        batches.BatchItem(
            txn_id=TXN_ID,
            trace_no=1042,
            account_no=ACCOUNT_NO,
            cash=35300,
            state=WirePaymentState.CONFIRMED,
            cash_time=CASH_TIME,
        ),
    ),
)
UPLOAD_ANSWER = batches.UploadBatchAnswer(
    batch_no=17,
    part=1,
    received=1,
    complete=True,
    closed=True,
    differences=(
        batches.Difference(
            kind=batches.DifferenceKind.MISSING_ON_TERMINAL,
            txn_id=OFFLINE_TXN_ID,
            trace_no=1043,
            server_cash=8600,
            server_state=WirePaymentState.CONFIRMED,
        ),
    ),
)
STATISTICS_QUERY = batches.StatisticsQuery(page=2, limit=10)
STATISTICS_ANSWER = batches.StatisticsAnswer(
    business_date=BUSINESS_DATE,
    batch_no=17,
    float_available=1_164_700,
    float_held=291_400,
    totals=batches.BatchTotals(count=2, amount=43900),
    lines=(
        batches.DetailLine(
            txn_id=TXN_ID,
            trace_no=1042,
            account_no=ACCOUNT_NO,
            cash=35300,
            state=WirePaymentState.CONFIRMED,
            paid_at=PAID_AT,
        ),
    ),
    page=2,
)
RECONCILE_QUERY = batches.ReconcileQuery(date_from=date(2024, 6, 1), date_to=BUSINESS_DATE)
RECONCILE_ANSWER = batches.ReconcileAnswer(
    date_from=date(2024, 6, 1),
    date_to=BUSINESS_DATE,
    days=(
        batches.DayTotals(
            business_date=date(2024, 6, 14),
            totals=batches.BatchTotals(
                count=31, amount=1_045_700, undone_count=1, undone_amount=5000
            ),
            closed=True,
        ),
    ),
    totals=batches.BatchTotals(count=31, amount=1_045_700, undone_count=1, undone_amount=5000),
)

JOURNAL_REQUEST = session.JournalRequestNotice(
    request_id=7, date_from=date(2024, 6, 1), date_to=BUSINESS_DATE
)
HEARTBEAT_ANSWER_WITH_REQUEST = session.HeartbeatAnswer(
    server_time=PAID_AT,
    signed_in=True,
    business_date=BUSINESS_DATE,
    journal_request=JOURNAL_REQUEST,
)
JOURNAL_UPLOAD_REQUEST = journal_upload.JournalUploadRequest(
    request_id=7,
    part=1,
    parts=1,
    items=(
        journal_upload.JournalItem(
            txn_id=TXN_ID,
            trace_no=1042,
            account_no=ACCOUNT_NO,
            cash=35300,
            state=WirePaymentState.CONFIRMED,
            cash_time=CASH_TIME,
            business_date=BUSINESS_DATE,
            batch_no=17,
        ),
    ),
)
JOURNAL_UPLOAD_ANSWER = journal_upload.JournalUploadAnswer(
    request_id=7, part=1, received=1, complete=True, rows=1
)

MIS_NOTICE = error_body(ErrorCode.MIS_UNAVAILABLE)

SAMPLES = (
    ENROL_REQUEST,
    ENROL_ANSWER,
    HEARTBEAT,
    DAMAGED_HEARTBEAT,
    HEARTBEAT_ANSWER,
    SIGN_IN_REQUEST,
    SIGN_IN_ANSWER,
    SIGN_OUT_REQUEST,
    SIGN_OUT_ANSWER,
    ACCOUNT_QUERY,
    ACCOUNT_ANSWER,
    ARREARS_QUERY,
    ARREARS_ANSWER,
    PAY_REQUEST,
    PAY_ANSWER,
    STATUS_QUERY,
    STATUS_ANSWER,
    REVERSE_REQUEST,
    REVERSE_ANSWER,
    VOID_REQUEST,
    REPRINT_QUERY,
    REPRINT_ANSWER,
    OFFLINE_UPLOAD_REQUEST,
    OFFLINE_UPLOAD_ANSWER,
    CLOSE_REQUEST,
    CLOSE_ANSWER,
    UPLOAD_REQUEST,
    UPLOAD_ANSWER,
    JOURNAL_UPLOAD_REQUEST,
    JOURNAL_UPLOAD_ANSWER,
    HEARTBEAT_ANSWER_WITH_REQUEST,
    STATISTICS_QUERY,
    STATISTICS_ANSWER,
    RECONCILE_QUERY,
    RECONCILE_ANSWER,
)
"""One example of every message the routes send or answer."""
