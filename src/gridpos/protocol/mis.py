"""The HTTP interface of the marketing MIS (营销MIS), as pydantic messages.

The reference MIS (``gridpos refmis serve``) answers with these messages and the server's MIS client
sends and reads them; nothing else is shared between the two. Every amount is an ``int`` number of
fen, refused at parsing when it is not a JSON integer. Dates are ISO ``YYYY-MM-DD``; billing months
(电费年月) are ``"YYYYMM"``; customer numbers (户号) are ten digits.

Authentication: every request but ``/healthz`` and the OpenAPI documents carries the header
:data:`API_KEY_HEADER`. Refusals answer an :class:`ErrorResponse` with a stable code.

Routes (prefix :data:`API_PREFIX`):

| method and path                                  | request               | answer                |
| ------------------------------------------------ | --------------------- | --------------------- |
| GET  /organisation                               |                       | Organisation          |
| GET  /changes?since=W&limit=N                    |                       | ChangesPage           |
| GET  /customers/{account_no}                     |                       | CustomerRecord        |
| GET  /customers/{account_no}/arrears?as_of=D     |                       | Arrears               |
| POST /meter-readings                             | MeterReadingRequest   | MeterReadingRecord    |
| POST /billing-runs                               | BillingRunRequest     | BillingRunResult      |
| POST /postings                                   | PostingRequest        | PostingResult         |
| GET  /postings/{payment_id}                      |                       | PostingResult         |
| POST /postings/{payment_id}/reversal             | UndoRequest           | UndoResult            |
| POST /postings/{payment_id}/cancellation         | UndoRequest           | UndoResult            |
| GET  /reports/postings?business_date=D           |                       | PostingReport         |
| GET  /reconciliation-files/{YYYYMMDD}            |                       | GBK text (bank_file)  |
| GET, POST /admin/faults (no prefix)              | FaultSettings         | FaultSettings         |
| POST /admin/postings/{payment_id}/lose           |                       | PostingResult         |
| POST /admin/postings/{payment_id}/edit           | PostingEdit           | PostingResult         |

The two ``/admin/postings`` routes exist only in the reference MIS, for tests of reconciliation:
*lose* forgets a posting as if it had never been made (its receivables and credits back as
before); *edit* changes a posting's amount (the difference taken into its prepaid), as a clerk's
wrong correction would.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

API_PREFIX: Final[str] = "/v1"
API_KEY_HEADER: Final[str] = "X-API-Key"
MAX_AMOUNT_FEN: Final[int] = 100_000_000  # 1,000,000.00 yuan: anything above is absurd at a POS
MAX_POSTING_LINES: Final[int] = 240  # twenty years of monthly bills
MAX_PAGE_SIZE: Final[int] = 5_000

Fen = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT_FEN)]
PositiveFen = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT_FEN)]
Period = Annotated[str, Field(pattern=r"^[0-9]{4}(0[1-9]|1[0-2])$")]
AccountNo = Annotated[str, Field(pattern=r"^[0-9]{10}$")]
# Identifiers travel in the reconciliation file's ``|``-separated lines: no separators allowed.
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Channel = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Z0-9_]+$")]

CategoryValue = Literal["residential", "shared_meter", "subsidised", "non_residential"]
SettleState = Literal["unpaid", "partial", "settled"]  # 欠费 / 部分结清 / 全部结清
PostingState = Literal["posted", "reversed", "cancelled"]  # 已进账 / 已冲正 / 已冲销
UndoKind = Literal["reversal", "cancellation"]  # 冲正 (same business day) / 冲销 (later)
FaultMode = Literal["normal", "slow", "error", "down"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(_Message):
    """One refusal: stable ``code``, the ``field`` concerned, and the message in both languages."""

    code: str
    field: str | None = None
    message_zh: str
    message_en: str
    details: dict[str, object] = Field(default_factory=dict)


class ErrorResponse(_Message):
    error: ErrorBody


class Station(_Message):
    """A supply station (供电所) with the organisation code the server imports."""

    code: str
    name_zh: str
    township_zh: str


class Organisation(_Message):
    """The county company and its supply stations."""

    county_code: str
    company_name_zh: str
    county_name_zh: str
    stations: list[Station]


class CustomerRecord(_Message):
    """A customer as the MIS holds it, with the change sequence of its last change."""

    account_no: AccountNo
    name: str
    address: str
    category: CategoryValue
    station_code: str
    segment_code: str  # 抄表段
    meter_no: str
    prepaid: int  # 预存余额, fen
    rounding_credit: int  # 调尾, fen
    status: Literal["active", "closed"]
    change_seq: int


class ReceivableRecord(_Message):
    """A receivable (应收电费): one customer, one billing month, one billing run."""

    account_no: AccountNo
    period: Period
    run_no: int
    kwh: int
    free_kwh: int
    year_kwh_before: int
    principal: int
    principal_paid: int
    penalty_paid: int
    due_date: date
    billed_on: date
    settle_state: SettleState
    settled_on: date | None
    change_seq: int


class ChangesPage(_Message):
    """Customers and receivables changed after a watermark, in change order.

    Every row has ``watermark < change_seq <= next_watermark``; ask again with
    ``since=next_watermark`` while ``has_more``.
    """

    since: int
    next_watermark: int
    has_more: bool
    customers: list[CustomerRecord]
    receivables: list[ReceivableRecord]


class ChargeLineRecord(_Message):
    """One line of a bill: kWh at a unit price (in 1/10000 yuan), rounded half-up to the fen."""

    label_zh: str
    label_en: str
    kwh: int
    unit_price_e4: int
    amount_fen: int


class ArrearsLine(_Message):
    """An open receivable with its late penalty as of the arrears' date."""

    period: Period
    run_no: int
    kwh: int
    principal: int
    principal_paid: int
    principal_unpaid: int
    penalty: int
    due_date: date
    settle_state: SettleState
    charge_lines: list[ChargeLineRecord]


class Arrears(_Message):
    """One account's current arrears (欠费) and credits, oldest receivable first."""

    account_no: AccountNo
    name: str
    address: str
    category: CategoryValue
    station_code: str
    as_of: date
    prepaid: int
    rounding_credit: int
    receivables: list[ArrearsLine]
    principal_unpaid_total: int
    penalty_total: int
    total_due: int  # penalty + unpaid principal − credits, never below zero


class MeterReadingRequest(_Message):
    """A meter reading (抄表示数) for a billing month, before billing runs."""

    account_no: AccountNo
    period: Period
    reading: Annotated[int, Field(strict=True, ge=0, le=10**9)]
    read_on: date


class MeterReadingRecord(_Message):
    account_no: AccountNo
    period: Period
    previous_reading: int
    reading: int
    kwh: int
    read_on: date


class BillingRunRequest(_Message):
    """Bill every active customer not yet billed for ``period`` (run 1)."""

    period: Period


class BillingRunResult(_Message):
    period: Period
    run_no: int
    customers_billed: int
    already_billed: int
    readings_estimated: int  # customers without a reading got one from their consumption profile
    kwh_total: int
    principal_total: int


class PostingLine(_Message):
    """What a payment pays on one receivable: penalty first, then principal."""

    period: Period
    run_no: Annotated[int, Field(strict=True, ge=1, le=99)] = 1
    penalty: Fen
    principal: Fen


class PostingRequest(_Message):
    """A payment to post (进账), identified by the poster's own ``payment_id``.

    Funds balance: ``amount_fen + prepaid_used + rounding_used ==
    Σ(penalty + principal) + prepaid_added + rounding_added``.
    """

    payment_id: Identifier
    account_no: AccountNo
    amount_fen: PositiveFen
    cash_date: date
    business_date: date
    channel: Channel
    collection_point_id: Identifier
    terminal_id: Identifier
    operator_id: Identifier
    lines: Annotated[list[PostingLine], Field(max_length=MAX_POSTING_LINES)]
    prepaid_used: Fen = 0
    prepaid_added: Fen = 0
    rounding_used: Fen = 0
    rounding_added: Annotated[int, Field(strict=True, ge=0, le=99)] = 0

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the request: the same id with other content differs."""
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()


class PostedLine(_Message):
    period: Period
    run_no: int
    penalty: int
    principal: int
    settle_state: SettleState  # of the receivable right after this posting


class PostingResult(_Message):
    """The MIS's answer to a posting: its own serial (进账流水号) and the posting's state now."""

    serial: str
    payment_id: str
    account_no: AccountNo
    station_code: str
    amount_fen: int
    cash_date: date
    business_date: date
    channel: str
    state: PostingState
    penalty_total: int
    principal_total: int
    prepaid_used: int
    prepaid_added: int
    rounding_used: int
    rounding_added: int
    lines: list[PostedLine]
    posted_at: datetime


class UndoRequest(_Message):
    """A reversal (冲正, same business day) or cancellation (冲销, a later day) of a posting.

    It names the original: the MIS serial and the amount must match the posting.
    """

    serial: Annotated[str, Field(min_length=1, max_length=32)]
    amount_fen: PositiveFen
    business_date: date
    operator_id: Identifier
    reason: Annotated[str, Field(min_length=1, max_length=200)]


class UndoResult(_Message):
    serial: str
    payment_id: str
    kind: UndoKind
    state: PostingState
    amount_fen: int
    business_date: date  # of the undo
    operator_id: str
    reason: str
    undone_at: datetime


class ReportSummaryLine(_Message):
    """One station and channel on one business date: postings, undos and the net."""

    station_code: str
    station_name_zh: str
    channel: str
    posting_count: int
    posting_amount: int
    undo_count: int
    undo_amount: int  # negative or zero
    net_amount: int
    penalty: int
    principal: int
    prepaid_net: int  # prepaid and rounding credit added, less used


class ReportDetailLine(_Message):
    """A posting made on the date (positive) or an undo made on the date (negative)."""

    kind: Literal["posting", "reversal", "cancellation"]
    serial: str
    payment_id: str
    account_no: AccountNo
    customer_name: str
    station_code: str
    channel: str
    amount_fen: int
    penalty: int
    principal: int
    prepaid_net: int
    cash_date: date
    collection_point_id: str
    terminal_id: str
    operator_id: str


class PostingReport(_Message):
    """The daily posting report (日进账汇总 and 明细); the summary is the sum of the detail."""

    business_date: date
    summary: list[ReportSummaryLine]
    detail: list[ReportDetailLine]
    posting_count: int
    undo_count: int
    net_amount: int


class FaultSettings(_Message):
    """Failure on purpose: ``slow`` waits ``delay_ms`` before answering; ``error`` answers 503
    ``mis_unavailable`` to ``error_percent`` of requests (spread evenly, not at random); ``down``
    answers 503 ``mis_down`` to every request and closes the connection. ``/admin`` is exempt.
    """

    mode: FaultMode = "normal"
    delay_ms: Annotated[int, Field(strict=True, ge=0, le=600_000)] = 0
    error_percent: Annotated[int, Field(strict=True, ge=0, le=100)] = 100


class PostingEdit(_Message):
    """The amount a posting is changed to by the reference MIS's ``/admin`` edit (tests only)."""

    amount_fen: PositiveFen
