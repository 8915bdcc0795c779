"""Batches: close (扎帐), detail upload (批上送), terminal statistics and reconciliation (对帐).

**Close.** The terminal sends its totals for the batch: payments that stand (count and amount)
and payments undone by reversal or void. The server compares them with its own and answers
``balanced`` (the batch is closed, ``cash`` is what the collector should count) or not balanced
(the batch stays open until the detail is uploaded).

**Upload.** The terminal sends every journal row of the batch in parts of at most
:data:`MAX_UPLOAD_ITEMS`. The answer to the last part names every difference — a payment missing on
the server, missing on the terminal, with another amount, or in another state — and closes the
batch; the differences go to reconciliation.

**Statistics** give the float (available and held), today's count and amount, and the detail list
page by page. **Reconciliation** gives the server's totals per business date over a range of at
most :data:`MAX_RECONCILE_DAYS` days, for the terminal to compare with its journal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from gridpos.protocol.fields import (
    AccountNo,
    BatchNo,
    Count,
    FromDigits,
    PositiveFen,
    TotalFen,
    TraceNo,
    TxnId,
    UnixTime,
    WireDate,
    WirePaymentState,
)
from gridpos.protocol.messages import WireAnswer, WireParams, WireRequest

MAX_UPLOAD_ITEMS = 50
MAX_UPLOAD_PARTS = 200
MAX_STATISTICS_PAGE = 50
MAX_RECONCILE_DAYS = 31

PartNo = Annotated[int, Field(strict=True, ge=1, le=MAX_UPLOAD_PARTS)]


class BatchTotals(WireAnswer):
    """Counts and amounts of a batch or a day: payments that stand and payments undone."""

    count: Count = Field(default=0, alias="n")
    amount: TotalFen = Field(default=0, alias="amt")
    undone_count: Count = Field(default=0, alias="un")
    undone_amount: TotalFen = Field(default=0, alias="un_amt")


class CloseBatchRequest(WireRequest):
    """扎帐: the terminal's totals of its open batch, and the cash the collector counted (点钞)
    with a note on any shortage or overage."""

    batch_no: BatchNo = Field(alias="batch")
    totals: BatchTotals = Field(alias="tot")
    cash_counted: TotalFen | None = Field(default=None, alias="cnt")
    note: str = Field(default="", alias="note", max_length=200, strict=True)


class CloseBatchAnswer(WireAnswer):
    """Balanced or not, with the server's totals; the cash to count when balanced."""

    batch_no: BatchNo = Field(alias="batch")
    business_date: WireDate = Field(alias="bd")
    balanced: StrictBool = Field(alias="ok")
    server_totals: BatchTotals = Field(alias="srv")
    closed: StrictBool = False
    expected_cash: TotalFen = Field(default=0, alias="cash")


class BatchItem(WireRequest):
    """One journal row of the batch as the terminal has it."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    account_no: AccountNo = Field(alias="acct")
    cash: PositiveFen
    state: WirePaymentState = Field(alias="st")
    cash_time: UnixTime = Field(alias="at")
    offline: StrictBool = Field(default=False, alias="off")


class UploadBatchRequest(WireRequest):
    """批上送: one part of the batch's detail."""

    batch_no: BatchNo = Field(alias="batch")
    part: PartNo
    parts: PartNo
    items: tuple[BatchItem, ...] = Field(default=(), max_length=MAX_UPLOAD_ITEMS)

    @model_validator(mode="after")
    def _part_within_parts(self) -> UploadBatchRequest:
        check_part_within_parts(self.part, self.parts)
        return self


def check_part_within_parts(part: int, parts: int) -> None:
    """A part numbered beyond the parts announced is refused (``part_over_parts``)."""
    if part > parts:
        raise PydanticCustomError(
            "part_over_parts",
            "part {part} of {parts} does not exist",
            {"field": "part", "part": part, "parts": parts, "zh": "分包序号超过总包数"},
        )


class DifferenceKind(StrEnum):
    """How the terminal's and the server's view of one payment differ."""

    MISSING_ON_SERVER = "missing_on_server"  # 单边帐, terminal side
    MISSING_ON_TERMINAL = "missing_on_terminal"  # 单边帐, company side
    AMOUNT_DIFFERS = "amount_differs"
    STATE_DIFFERS = "state_differs"


class Difference(WireAnswer):
    """One named difference, with what each side has."""

    kind: DifferenceKind
    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo | None = Field(default=None, alias="trace")
    terminal_cash: PositiveFen | None = Field(default=None, alias="t_cash")
    server_cash: PositiveFen | None = Field(default=None, alias="s_cash")
    terminal_state: WirePaymentState | None = Field(default=None, alias="t_st")
    server_state: WirePaymentState | None = Field(default=None, alias="s_st")


class UploadBatchAnswer(WireAnswer):
    """Parts received so far; on the last part, the differences and whether the batch closed."""

    batch_no: BatchNo = Field(alias="batch")
    part: PartNo
    received: Count = Field(default=0, alias="rcvd")
    complete: StrictBool = Field(default=False, alias="done")
    differences: tuple[Difference, ...] = Field(default=(), alias="diff")
    closed: StrictBool = False


class StatisticsQuery(WireParams):
    """``GET /t/v1/stats?page=&n=``: the float, today's totals and one page of the detail."""

    page: Annotated[int, FromDigits, Field(strict=True, ge=1, le=100_000)] = 1
    limit: Annotated[int, FromDigits, Field(strict=True, ge=1, le=MAX_STATISTICS_PAGE)] = Field(
        default=20, alias="n"
    )


class DetailLine(WireAnswer):
    """One payment of the day as the server has it."""

    txn_id: TxnId = Field(alias="txn")
    trace_no: TraceNo = Field(alias="trace")
    account_no: AccountNo = Field(alias="acct")
    cash: PositiveFen
    state: WirePaymentState = Field(alias="st")
    paid_at: UnixTime = Field(alias="at")
    offline: StrictBool = Field(default=False, alias="off")


class StatisticsAnswer(WireAnswer):
    """终端统计: float, hold, today's totals, a page of detail (``next`` absent on the last)."""

    business_date: WireDate = Field(alias="bd")
    batch_no: BatchNo | None = Field(default=None, alias="batch")
    float_available: TotalFen = Field(alias="fa")
    float_held: TotalFen = Field(default=0, alias="fh")
    totals: BatchTotals = Field(alias="tot")
    lines: tuple[DetailLine, ...] = ()
    page: Annotated[int, Field(strict=True, ge=1)] = 1
    next_page: Annotated[int, Field(strict=True, ge=2)] | None = Field(default=None, alias="next")


class ReconcileQuery(WireParams):
    """``GET /t/v1/reconcile?from=YYYYMMDD&to=YYYYMMDD``: both ends included."""

    date_from: WireDate = Field(alias="from")
    date_to: WireDate = Field(alias="to")

    @model_validator(mode="after")
    def _range_is_forward_and_short(self) -> ReconcileQuery:
        if self.date_to < self.date_from:
            raise PydanticCustomError(
                "date_range_reversed",
                "the range ends before it starts",
                {"field": "to", "zh": "结束日期早于开始日期"},
            )
        if (self.date_to - self.date_from).days + 1 > MAX_RECONCILE_DAYS:
            raise PydanticCustomError(
                "date_range_too_long",
                "a range covers at most {days} days",
                {"field": "to", "days": MAX_RECONCILE_DAYS, "zh": "对帐日期范围最多31天"},
            )
        return self

    @property
    def days(self) -> int:
        """How many business dates the range covers."""
        return (self.date_to - self.date_from).days + 1


class DayTotals(WireAnswer):
    """The server's totals of one business date, and whether the day's batches are closed."""

    business_date: WireDate = Field(alias="bd")
    totals: BatchTotals = Field(alias="tot")
    closed: StrictBool = False


class ReconcileAnswer(WireAnswer):
    """Totals per business date (dates without payments left out) and over the range."""

    date_from: WireDate = Field(alias="from")
    date_to: WireDate = Field(alias="to")
    days: tuple[DayTotals, ...] = ()
    totals: BatchTotals = Field(alias="tot")
