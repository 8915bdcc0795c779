"""Hand-written fakes for the terminal library's unit tests: a payment server behind an httpx
transport, a clock, a UUID source and a printer.

:class:`FakeServer` speaks the real wire contract (routes, codec, signing — verified on every
request) with a small in-memory model of the company: one terminal, one agent, customers with
open receivables, payments idempotent on the transaction id, reversals honoured before their
original (tombstones), voids, offline uploads, batches, statistics and reconciliation. Faults are
queued per route:

- ``drop``: the request never reaches the server (connection refused);
- ``lose_answer``: the server handles it and commits, the answer is lost (read timeout);
- ``cut``: the server handles it, the connection breaks mid-answer;
- ``server_error``: 500 with an error body, nothing done;
- ``slow``: the answer takes ``slow_ms`` of monotonic time.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from gridpos.domain.allocation import OpenReceivable, allocate, amount_due, round_up_amount
from gridpos.protocol.codec import decode, decode_params, encode, encode_error
from gridpos.protocol.errors import ErrorBody, ErrorCode, error_body
from gridpos.protocol.fields import WireCategory, WirePaymentState
from gridpos.protocol.signing import (
    SignatureRefusal,
    encode_key,
    read_signed_headers,
    receipt_code,
    verify_request,
)
from gridpos.protocol.terminal import accounts as acc
from gridpos.protocol.terminal import batches as bat
from gridpos.protocol.terminal import enrolment as enr
from gridpos.protocol.terminal import payments as pay
from gridpos.protocol.terminal import session as ses
from gridpos.protocol.terminal.routes import ROUTES, Route
from gridpos.terminal.client import PROBE_PATH
from gridpos.terminal.receipt import Receipt

TERMINAL_NO = "34080017"
ENROLMENT_CODE = "123456789012"
KEY = bytes(range(32))
START = datetime(2024, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in China
BUSINESS_DATE = date(2024, 6, 15)


class FakeClock:
    """A clock that moves only when told (or by ``step`` on every reading)."""

    def __init__(self, start: datetime = START, *, step: timedelta = timedelta(0)) -> None:
        self.moment = start
        self.step = step

    def __call__(self) -> datetime:
        now = self.moment
        self.moment = now + self.step
        return now

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def uuid_source(start: int = 1) -> Iterator[uuid.UUID]:
    number = start
    while True:
        yield uuid.UUID(int=(number * 0x9E3779B1 % 2**32) << 96 | number)
        number += 1


class FakePrinter:
    """Keeps what it printed; ``fail_with`` makes the next prints raise that error."""

    def __init__(self) -> None:
        self.printed: list[tuple[Receipt, int, bool]] = []
        self.fail_with: BaseException | None = None

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.printed.append((receipt, copies, reprint))


@dataclass
class Line:
    period: str
    kwh: int
    principal: int
    penalty: int
    due_date: date
    run: int = 1


@dataclass
class Customer:
    account_no: str
    name: str
    address: str
    category: WireCategory
    lines: list[Line]
    prepaid: int = 0
    rounding_credit: int = 0


@dataclass
class Payment:
    txn_id: str
    body: bytes
    request: pay.PayRequest
    answer: pay.PayAnswer | None
    state: WirePaymentState
    offline: bool = False
    business_date: date = BUSINESS_DATE


def _customers() -> dict[str, Customer]:
    return {
        "0012345678": Customer(
            "0012345678",
            "张三",
            "岳西县天堂镇",
            WireCategory.RESIDENTIAL,
            [
                Line("202404", 120, 6784, 150, date(2024, 5, 20)),
                Line("202405", 100, 5653, 0, date(2024, 6, 20)),
            ],
        ),
        "0012345679": Customer(
            "0012345679",
            "李四",
            "岳西县店前镇",
            WireCategory.RESIDENTIAL,
            [Line("202405", 200, 11306, 0, date(2024, 6, 20))],
            prepaid=0,
        ),
        "0012345680": Customer(
            "0012345680",
            "王五",
            "岳西县温泉镇",
            WireCategory.NON_RESIDENTIAL,
            [Line("202403", 300, 23280, 0, date(2024, 4, 20))],
        ),
    }


@dataclass
class FakeServer(httpx.BaseTransport):
    """The payment server in one object (see the module's docstring)."""

    clock: FakeClock
    monotonic: FakeMonotonic | None = None
    business_date: date = BUSINESS_DATE
    float_available: int = 10_000_000
    float_held: int = 0
    per_payment_limit: int = 500_000
    per_day_limit: int = 5_000_000
    offline_per_payment: int = 50_000
    offline_per_day: int = 100_000
    partial_allowed: bool = False
    server_offset: timedelta = timedelta(0)
    slow_ms: int = 5000
    customers: dict[str, Customer] = field(default_factory=_customers)
    payments: dict[str, Payment] = field(default_factory=dict)
    tombstones: dict[str, pay.ReverseRequest] = field(default_factory=dict)
    faults: list[tuple[str, str]] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    enrolled: bool = False
    signed_in: bool = False
    batch_no: int = 0
    last_counter: int | None = None
    batch_closed: bool = False
    closes: list[bat.CloseBatchRequest] = field(default_factory=list)
    uploads: list[bat.UploadBatchRequest] = field(default_factory=list)
    heartbeats: list[ses.Heartbeat] = field(default_factory=list)  # own requests and sign-ins'

    # ---- plumbing ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return (self.clock.moment + self.server_offset).replace(microsecond=0)

    def fail(self, route: Route[Any, Any], kind: str, times: int = 1) -> None:
        self.faults.extend([(route.name, kind)] * times)

    def _fault_for(self, name: str) -> str | None:
        for index, (route_name, kind) in enumerate(self.faults):
            if route_name == name:
                del self.faults[index]
                return kind
        return None

    def fail_probe(self, kind: str, times: int = 1) -> None:
        """Fail the next health checks (``drop``: no connection)."""
        self.faults.extend([("probe", kind)] * times)

    def calls(self, name: str) -> int:
        return sum(1 for route_name, _ in self.log if route_name == name)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == PROBE_PATH:  # the health check the link probe asks
            self.log.append(("probe", path))
            if self._fault_for("probe") == "drop":
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, content=b'{"ok":true}')
        route = next(
            (
                r
                for r in ROUTES
                if r.method == request.method and _matches(r.path, path) is not None
            ),
            None,
        )
        if route is None:
            return _error(error_body(ErrorCode.ROUTE_UNKNOWN))
        body = request.read()
        self.log.append((route.name, path))
        fault = self._fault_for(route.name)
        if fault == "drop":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "server_error":
            return _error(error_body(ErrorCode.INTERNAL_ERROR, details={"ref": "x1"}))
        if route.signed:
            refusal = self._check_signature(request, body)
            if refusal is not None:
                return _error(refusal)
        try:
            response = self._dispatch(route, request, body)
        except _RefusedError as exc:
            response = _error(exc.body)
        if fault == "lose_answer":
            raise httpx.ReadTimeout("no answer", request=request)
        if fault == "cut":
            raise httpx.RemoteProtocolError("peer closed mid-answer", request=request)
        if fault == "slow" and self.monotonic is not None:
            self.monotonic.value += self.slow_ms / 1000
        return response

    def _check_signature(self, request: httpx.Request, body: bytes) -> ErrorBody | None:
        signed = read_signed_headers(dict(request.headers))
        if isinstance(signed, SignatureRefusal):
            return signed.body()
        refusal = verify_request(
            signed=signed,
            key=KEY,
            method=request.method,
            target=request.url.raw_path.decode("ascii"),
            body=body,
            now=self.now(),
            last_counter=self.last_counter,
        )
        if refusal is not None:
            return refusal.body()
        self.last_counter = signed.counter
        return None

    def _dispatch(
        self, route: Route[Any, Any], request: httpx.Request, body: bytes
    ) -> httpx.Response:
        handler = getattr(self, f"on_{route.name}")
        if route.method == "GET":
            params = dict(request.url.params)
            params.update(_matches(route.path, request.url.path) or {})
            message = decode_params(route.request, params)
        else:
            message = decode(route.request, body)
        if route.name not in ("enrol", "sign_in", "heartbeat") and not self.signed_in:
            raise _RefusedError(error_body(ErrorCode.NOT_SIGNED_IN))
        answer = handler(message, body)
        return httpx.Response(200, content=encode(answer))

    # ---- enrolment and session --------------------------------------------------------------

    def on_enrol(self, message: enr.EnrolRequest, _body: bytes) -> enr.EnrolAnswer:
        if message.code != ENROLMENT_CODE:
            raise _RefusedError(error_body(ErrorCode.ENROLMENT_CODE_INVALID))
        if self.enrolled:
            raise _RefusedError(error_body(ErrorCode.ENROLMENT_CODE_USED))
        self.enrolled = True
        return enr.EnrolAnswer(
            terminal_no=TERMINAL_NO,
            key=encode_key(KEY),
            server_time=self.now(),
            collection_point="天堂镇代收点",
        )

    def params(self) -> ses.TerminalParams:
        return ses.TerminalParams(
            company="岳西县供电公司",
            station="天堂供电所",
            collection_point="天堂镇代收点",
            per_payment_limit=self.per_payment_limit,
            per_day_limit=self.per_day_limit,
            offline_per_payment_limit=self.offline_per_payment,
            offline_per_day_limit=self.offline_per_day,
            partial_allowed=self.partial_allowed,
            timeout_s=30,
        )

    def on_sign_in(self, message: ses.SignInRequest, _body: bytes) -> ses.SignInAnswer:
        if message.heartbeat is not None:
            self.heartbeats.append(message.heartbeat)
        if message.agent_account != "a01":
            raise _RefusedError(error_body(ErrorCode.AGENT_ACCOUNT_UNKNOWN))
        if message.password != "secret":
            raise _RefusedError(error_body(ErrorCode.PASSWORD_WRONG, details={"attempts_left": 4}))
        self.signed_in = True
        self.batch_closed = False
        self.batch_no += 1
        held = min(message.offline_allowance, self.float_available)
        self.float_available -= held
        self.float_held += held
        return ses.SignInAnswer(
            business_date=self.business_date,
            batch_no=self.batch_no,
            server_time=self.now(),
            operator="收费员甲",
            params=self.params(),
            float_available=self.float_available,
            float_held=self.float_held,
            offline_allowance=held,
        )

    def on_sign_out(self, message: ses.SignOutRequest, _body: bytes) -> ses.SignOutAnswer:
        released = self.float_held if message.offline_pending == 0 else 0
        self.float_available += released
        self.float_held -= released
        self.signed_in = False
        return ses.SignOutAnswer(
            business_date=self.business_date,
            released=released,
            float_available=self.float_available,
            float_held=self.float_held,
        )

    def on_heartbeat(self, message: ses.Heartbeat, _body: bytes) -> ses.HeartbeatAnswer:
        self.heartbeats.append(message)
        return ses.HeartbeatAnswer(server_time=self.now(), signed_in=self.signed_in)

    # ---- accounts --------------------------------------------------------------------------

    def _open(self, customer: Customer) -> list[OpenReceivable]:
        return [
            OpenReceivable(index, line.period, line.run, line.principal, line.penalty)
            for index, line in enumerate(customer.lines, start=1)
            if line.principal + line.penalty > 0
        ]

    def due_of(self, customer: Customer) -> int:
        return amount_due(
            receivables=self._open(customer),
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
        )

    def on_account(self, message: acc.AccountQuery, _body: bytes) -> acc.AccountAnswer:
        customer = self.customers.get(message.account_no)
        if customer is None:
            raise _RefusedError(error_body(ErrorCode.ACCOUNT_UNKNOWN))
        due = self.due_of(customer)
        return acc.AccountAnswer(
            account_no=customer.account_no,
            name=customer.name,
            address=customer.address,
            category=customer.category,
            business_date=self.business_date,
            lines=tuple(_wire_line(line) for line in customer.lines if line.principal > 0),
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
            total_due=due,
            round_up=round_up_amount(due=due) - due,
        )

    def on_arrears(self, message: acc.ArrearsQuery, _body: bytes) -> acc.ArrearsAnswer:
        ordered = sorted(self.customers)
        if message.after is not None:
            ordered = [number for number in ordered if number > message.after]
        page = ordered[: message.limit]
        more = len(ordered) > message.limit
        return acc.ArrearsAnswer(
            business_date=self.business_date,
            area="tiantang",
            accounts=tuple(
                acc.OfflineAccount(
                    account_no=c.account_no,
                    name=c.name,
                    address=c.address,
                    category=c.category,
                    lines=tuple(_wire_line(line) for line in c.lines if line.principal > 0),
                    prepaid=c.prepaid,
                    rounding_credit=c.rounding_credit,
                )
                for c in (self.customers[number] for number in page)
            ),
            next_after=page[-1] if more else None,
        )

    # ---- payments --------------------------------------------------------------------------

    def _receipt(
        self, request: pay.PayRequest, customer: Customer, *, offline: bool = False
    ) -> pay.PayAnswer:
        due = self.due_of(customer)
        if request.amount_due != due and not offline:
            raise _RefusedError(error_body(ErrorCode.AMOUNT_DUE_CHANGED, details={"due": due}))
        if request.cash > self.float_available and not offline:
            raise _RefusedError(error_body(ErrorCode.FLOAT_INSUFFICIENT))
        allocation = allocate(
            receivables=self._open(customer),
            cash=request.cash,
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
            allow_partial=self.partial_allowed or offline,
            rounding_up=min(request.round_up, max(request.cash - due, 0)),
        )
        lines = []
        for paid in allocation.lines:
            line = customer.lines[paid.receivable_id - 1]
            line.penalty -= paid.penalty_paid
            line.principal -= paid.principal_paid
            lines.append(
                pay.ReceiptLine(
                    period=line.period,
                    kwh=line.kwh,
                    principal=paid.principal_paid,
                    penalty=paid.penalty_paid,
                )
            )
        customer.prepaid = allocation.prepaid_after
        customer.rounding_credit = allocation.rounding_after
        if offline:
            self.float_held -= request.cash
        else:
            self.float_available -= request.cash
        return pay.PayAnswer(
            txn_id=request.txn_id,
            trace_no=request.trace_no,
            company="岳西县供电公司",
            station="天堂供电所",
            collection_point="天堂镇代收点",
            terminal_no=TERMINAL_NO,
            operator="收费员甲",
            business_date=self.business_date,
            paid_at=self.now(),
            account_no=customer.account_no,
            name=customer.name,
            address=customer.address,
            category=customer.category,
            lines=tuple(lines),
            prepaid_before=allocation.prepaid_before,
            prepaid_after=allocation.prepaid_after,
            rounding_credit_before=allocation.rounding_before,
            rounding_credit_after=allocation.rounding_after,
            total_due=allocation.total_due,
            cash=request.cash,
            verification_code=receipt_code(
                key=KEY, txn_id=request.txn_id, account_no=customer.account_no, cash=request.cash
            ),
            offline=offline,
            float_available=self.float_available,
        )

    def on_pay(self, message: pay.PayRequest, body: bytes) -> pay.PayAnswer:
        if message.txn_id in self.tombstones:
            raise _RefusedError(error_body(ErrorCode.PAYMENT_ALREADY_REVERSED))
        known = self.payments.get(message.txn_id)
        if known is not None:
            if known.body != body:
                raise _RefusedError(error_body(ErrorCode.TXN_ID_REUSED))
            if known.answer is None:
                raise _RefusedError(error_body(ErrorCode.PAYMENT_STATE_CONFLICT))
            return known.answer.model_copy(update={"state": known.state})
        if self.batch_closed:
            raise _RefusedError(error_body(ErrorCode.BUSINESS_DAY_CLOSED))
        customer = self.customers.get(message.account_no)
        if customer is None:
            raise _RefusedError(error_body(ErrorCode.ACCOUNT_UNKNOWN))
        answer = self._receipt(message, customer)
        self.payments[message.txn_id] = Payment(
            message.txn_id, body, message, answer, WirePaymentState.CONFIRMED
        )
        return answer

    def on_payment_status(
        self, message: pay.PaymentStatusQuery, _body: bytes
    ) -> pay.PaymentStatusAnswer:
        if message.txn_id in self.tombstones:
            return pay.PaymentStatusAnswer(txn_id=message.txn_id, state=WirePaymentState.REVERSED)
        known = self.payments.get(message.txn_id)
        if known is None:
            raise _RefusedError(error_body(ErrorCode.PAYMENT_NOT_FOUND))
        receipt = known.answer if known.state is WirePaymentState.CONFIRMED else None
        return pay.PaymentStatusAnswer(txn_id=message.txn_id, state=known.state, receipt=receipt)

    def on_reverse(self, message: pay.ReverseRequest, _body: bytes) -> pay.UndoAnswer:
        known = self.payments.get(message.txn_id)
        tomb = False
        if known is None:
            self.tombstones[message.txn_id] = message
            tomb = True
        else:
            if known.request.cash != message.cash or known.request.trace_no != message.trace_no:
                raise _RefusedError(error_body(ErrorCode.REVERSAL_MISMATCH))
            if known.state is WirePaymentState.REVERSED:
                raise _RefusedError(error_body(ErrorCode.PAYMENT_ALREADY_REVERSED))
            if known.state is WirePaymentState.CONFIRMED:
                self.float_available += known.request.cash
            known.state = WirePaymentState.REVERSED
        return pay.UndoAnswer(
            txn_id=message.txn_id,
            state=WirePaymentState.REVERSED,
            undone_at=self.now(),
            tombstone=tomb,
            float_available=self.float_available,
        )

    def on_void(self, message: pay.VoidRequest, _body: bytes) -> pay.UndoAnswer:
        if message.supervisor != "sup1" or message.supervisor_password != "1234":
            raise _RefusedError(error_body(ErrorCode.SUPERVISOR_CREDENTIAL_WRONG))
        known = self.payments.get(message.txn_id)
        if known is None:
            raise _RefusedError(error_body(ErrorCode.PAYMENT_NOT_FOUND))
        if known.state is not WirePaymentState.CONFIRMED:
            raise _RefusedError(error_body(ErrorCode.PAYMENT_STATE_CONFLICT))
        known.state = WirePaymentState.VOIDED
        self.float_available += known.request.cash
        return pay.UndoAnswer(
            txn_id=message.txn_id,
            state=WirePaymentState.VOIDED,
            undone_at=self.now(),
            float_available=self.float_available,
        )

    def on_reprint(self, message: pay.ReprintQuery, _body: bytes) -> pay.ReprintAnswer:
        answers = [p.answer for p in self.payments.values() if p.answer is not None]
        if message.trace_no is not None:
            answers = [a for a in answers if a.trace_no == message.trace_no]
        return pay.ReprintAnswer(receipts=tuple(reversed(answers))[: message.limit])

    def on_offline_upload(
        self, message: pay.OfflineUploadRequest, _body: bytes
    ) -> pay.OfflineUploadAnswer:
        results = []
        for payment in message.payments:
            if payment.txn_id not in self.payments:
                customer = self.customers[payment.account_no]
                answer = self._receipt(payment, customer, offline=True)
                self.payments[payment.txn_id] = Payment(
                    payment.txn_id,
                    encode(payment),
                    payment,
                    answer,
                    WirePaymentState.CONFIRMED,
                    offline=True,
                )
            results.append(
                pay.OfflineResult(txn_id=payment.txn_id, state=self.payments[payment.txn_id].state)
            )
        return pay.OfflineUploadAnswer(
            results=tuple(results),
            float_available=self.float_available,
            float_held=self.float_held,
        )

    # ---- batches ---------------------------------------------------------------------------

    def totals(self) -> bat.BatchTotals:
        standing = [p for p in self.payments.values() if p.state is WirePaymentState.CONFIRMED]
        undone = [
            p
            for p in self.payments.values()
            if p.state in (WirePaymentState.REVERSED, WirePaymentState.VOIDED)
        ]
        return bat.BatchTotals(
            count=len(standing),
            amount=sum(p.request.cash for p in standing),
            undone_count=len(undone),
            undone_amount=sum(p.request.cash for p in undone),
        )

    def on_close_batch(self, message: bat.CloseBatchRequest, _body: bytes) -> bat.CloseBatchAnswer:
        if self.batch_closed:
            raise _RefusedError(error_body(ErrorCode.BATCH_ALREADY_CLOSED))
        self.closes.append(message)
        totals = self.totals()
        balanced = totals == message.totals
        self.batch_closed = balanced
        return bat.CloseBatchAnswer(
            batch_no=message.batch_no,
            business_date=self.business_date,
            balanced=balanced,
            server_totals=totals,
            closed=balanced,
            expected_cash=totals.amount if balanced else 0,
        )

    def on_upload_batch(
        self, message: bat.UploadBatchRequest, _body: bytes
    ) -> bat.UploadBatchAnswer:
        if self.batch_closed:
            raise _RefusedError(error_body(ErrorCode.BATCH_ALREADY_CLOSED))
        self.uploads.append(message)
        if message.part < message.parts:
            return bat.UploadBatchAnswer(batch_no=message.batch_no, part=message.part)
        items = [item for upload in self.uploads for item in upload.items]
        seen = {item.txn_id: item for item in items}
        differences = []
        for txn_id, item in seen.items():
            known = self.payments.get(txn_id)
            if known is None:
                differences.append(
                    bat.Difference(
                        kind=bat.DifferenceKind.MISSING_ON_SERVER,
                        txn_id=txn_id,
                        trace_no=item.trace_no,
                        terminal_cash=item.cash,
                        terminal_state=item.state,
                    )
                )
            elif known.state != item.state:
                differences.append(
                    bat.Difference(
                        kind=bat.DifferenceKind.STATE_DIFFERS,
                        txn_id=txn_id,
                        trace_no=item.trace_no,
                        terminal_state=item.state,
                        server_state=known.state,
                    )
                )
        for txn_id, known in self.payments.items():
            if txn_id not in seen:
                differences.append(
                    bat.Difference(
                        kind=bat.DifferenceKind.MISSING_ON_TERMINAL,
                        txn_id=txn_id,
                        server_cash=known.request.cash,
                        server_state=known.state,
                    )
                )
        self.batch_closed = True
        return bat.UploadBatchAnswer(
            batch_no=message.batch_no,
            part=message.part,
            received=len(items),
            complete=True,
            differences=tuple(differences),
            closed=True,
        )

    def on_statistics(self, message: bat.StatisticsQuery, _body: bytes) -> bat.StatisticsAnswer:
        lines = [
            bat.DetailLine(
                txn_id=p.txn_id,
                trace_no=p.request.trace_no,
                account_no=p.request.account_no,
                cash=p.request.cash,
                state=p.state,
                paid_at=self.now(),
                offline=p.offline,
            )
            for p in self.payments.values()
        ]
        start = (message.page - 1) * message.limit
        page = lines[start : start + message.limit]
        more = len(lines) > start + message.limit
        return bat.StatisticsAnswer(
            business_date=self.business_date,
            batch_no=self.batch_no,
            float_available=self.float_available,
            float_held=self.float_held,
            totals=self.totals(),
            lines=tuple(page),
            page=message.page,
            next_page=message.page + 1 if more else None,
        )

    def on_reconcile(self, message: bat.ReconcileQuery, _body: bytes) -> bat.ReconcileAnswer:
        totals = self.totals()
        days = ()
        if message.date_from <= self.business_date <= message.date_to and self.payments:
            days = (bat.DayTotals(business_date=self.business_date, totals=totals),)
        return bat.ReconcileAnswer(
            date_from=message.date_from, date_to=message.date_to, days=days, totals=totals
        )

    def one_cash_payment_each(self) -> dict[str, int]:
        """Cash per customer of standing payments (exactly-once checks)."""
        result: dict[str, int] = {}
        for payment in self.payments.values():
            if payment.state is WirePaymentState.CONFIRMED:
                number = payment.request.account_no
                result[number] = result.get(number, 0) + payment.request.cash
        return result


class _RefusedError(Exception):
    def __init__(self, body: ErrorBody) -> None:
        super().__init__(body.code)
        self.body = body


def _wire_line(line: Line) -> acc.ReceivableLine:
    return acc.ReceivableLine(
        period=line.period,
        run=line.run,
        kwh=line.kwh,
        principal=line.principal,
        penalty=line.penalty,
        due_date=line.due_date,
    )


def _matches(template: str, path: str) -> dict[str, str] | None:
    template_parts = template.split("/")
    path_parts = path.split("/")
    if len(template_parts) != len(path_parts):
        return None
    found: dict[str, str] = {}
    for expected, actual in zip(template_parts, path_parts, strict=True):
        if expected.startswith("{") and expected.endswith("}"):
            found[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return found


def _error(body: ErrorBody) -> httpx.Response:
    return httpx.Response(body.status, content=encode_error(body))


def replace_customer(server: FakeServer, number: str, **changes: Any) -> None:
    server.customers[number] = dataclasses.replace(server.customers[number], **changes)
