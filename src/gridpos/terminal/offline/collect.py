"""Collecting without a link (脱机) and uploading when it returns."""

from __future__ import annotations

import orjson

from gridpos.domain.allocation import (
    Allocation,
    AllocationError,
    allocate,
    round_up_amount,
)
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.codec import decode, encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.signing import receipt_code
from gridpos.protocol.terminal.accounts import OfflineAccount, ReceivableLine
from gridpos.protocol.terminal.payments import (
    MAX_OFFLINE_UPLOAD,
    OfflinePayment,
    OfflineUploadRequest,
)
from gridpos.protocol.terminal.routes import OFFLINE_UPLOAD
from gridpos.terminal.accounts import AccountView
from gridpos.terminal.client import NoAnswer, Refused
from gridpos.terminal.context import OFFLINE_SEQ_COUNTER, TerminalContext
from gridpos.terminal.errors import catalogue_refusal, refusal
from gridpos.terminal.journal import EventKind, TxnRecord
from gridpos.terminal.offline.arrears import OfflineStore
from gridpos.terminal.offline.limits import check_offline_limits
from gridpos.terminal.offline.view import offline_view, open_receivables
from gridpos.terminal.printing import offline_receipt_context
from gridpos.terminal.receipt import ReceiptCustomer, ReceiptHeader, ReceiptMonth
from gridpos.terminal.sending import SendResult, Step
from gridpos.terminal.session import with_float

# ---- collecting ----------------------------------------------------------------------------------


def _allocation(
    context: TerminalContext, view: AccountView, *, cash: int, round_part: int
) -> Allocation:
    session = context.require_session()
    try:
        return allocate(
            receivables=open_receivables(view),
            cash=cash,
            prepaid=view.prepaid,
            rounding_credit=view.rounding_credit,
            allow_partial=session.params.partial_allowed,
            rounding_up=round_part,
        )
    except AllocationError as exc:
        if exc.code == "amount_below_due":
            raise catalogue_refusal(ErrorCode.AMOUNT_BELOW_DUE, details=exc.details) from exc
        raise refusal(
            exc.code,
            field="cash",
            message_zh=exc.message_zh,
            message_en=exc.message_en,
            details=exc.details,
        ) from exc


def _paid_down(
    account: OfflineAccount, view: AccountView, allocation: Allocation
) -> OfflineAccount:
    """The customer after the payment: settled months gone, the rest reduced, credits after."""
    paid = {line.receivable_id: line for line in allocation.lines}
    lines: list[ReceivableLine] = []
    for index, line in enumerate(view.lines, start=1):
        remaining = line.principal - (paid[index].principal_paid if index in paid else 0)
        if remaining > 0:
            lines.append(
                ReceivableLine(
                    period=line.period,
                    run=line.run,
                    kwh=line.kwh,
                    principal=remaining,
                    due_date=line.due_date,
                )
            )
    return account.model_copy(
        update={
            "lines": tuple(lines),
            "prepaid": allocation.prepaid_after,
            "rounding_credit": allocation.rounding_after,
        }
    )


def collect_offline(
    context: TerminalContext, view: AccountView, *, cash: int, round_up: bool
) -> TxnRecord:
    """Take a payment without a link: journalled ``pending`` and offline, ready to print.

    Raises:
        TerminalRefusalError: see :func:`check_offline_limits`; ``amount_invalid``,
            ``amount_below_due``, ``round_up_not_allowed``, ``rounding_up_invalid``,
            ``account_unknown``, ``not_signed_in``, ``business_day_closed``.
        JournalUnwritableError: nothing was written; no payment started.
    """
    session = context.require_session()
    identity = context.require_identity()
    params = session.params
    if session.batch_closed:
        raise catalogue_refusal(ErrorCode.BUSINESS_DAY_CLOSED)
    if type(cash) is not int or cash <= 0:
        raise catalogue_refusal(ErrorCode.AMOUNT_INVALID, details={"cash": str(cash)})
    if round_up and not params.round_up_allowed:
        raise refusal(
            "round_up_not_allowed",
            field="round",
            message_zh="本单位不允许取整缴费",
            message_en="rounding up is not allowed by this company",
        )
    check_offline_limits(context, cash)
    store = OfflineStore(context)
    found = store.get(view.account_no)
    if found is None:
        raise catalogue_refusal(ErrorCode.ACCOUNT_UNKNOWN)
    account, _ = found
    view = offline_view(context, view.account_no)  # today's penalties, after earlier payments
    round_part = round_up_amount(due=view.total_due) - view.total_due if round_up else 0
    allocation = _allocation(context, view, cash=cash, round_part=round_part)
    journal = context.journal
    journal.check_space()  # the payment row itself is the write test
    kwh_by_index = {index: line.kwh for index, line in enumerate(view.lines, start=1)}
    months = tuple(
        ReceiptMonth(
            period=line.period,
            kwh=kwh_by_index[line.receivable_id],
            principal=line.principal_paid,
            penalty=line.penalty_paid,
        )
        for line in allocation.lines
    )
    with journal.transaction():
        txn_id, trace_no = context.new_txn()
        sequence = journal.next_value(OFFLINE_SEQ_COUNTER)
        payment = OfflinePayment(
            txn_id=txn_id,
            trace_no=trace_no,
            account_no=view.account_no,
            cash=cash,
            round_up=round_part,
            amount_due=view.total_due,
            cash_time=context.now(),
            offline_seq=sequence,
            verification_code=receipt_code(
                key=identity.key, txn_id=txn_id, account_no=view.account_no, cash=cash
            ),
        )
        receipt = offline_receipt_context(
            header=ReceiptHeader(
                company=params.company,
                station=params.station,
                collection_point=params.collection_point,
                terminal_no=identity.terminal_no,
                operator=session.operator,
            ),
            customer=ReceiptCustomer(
                account_no=view.account_no,
                name=view.name,
                address=view.address,
                category=view.category,
            ),
            business_date=session.business_date,
            months=months,
            prepaid_before=allocation.prepaid_before,
            prepaid_after=allocation.prepaid_after,
            rounding_credit_before=allocation.rounding_before,
            rounding_credit_after=allocation.rounding_after,
        )
        journal.append(
            EventKind.OFFLINE_PAY,
            {"wire": encode(payment).decode("utf-8"), "receipt": receipt},
            txn_id=txn_id,
            state=PaymentState.PENDING,
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
        store.replace(_paid_down(account, view, allocation))
    record = journal.txn(txn_id)
    assert record is not None  # noqa: S101 - just written
    return record


# ---- uploading -----------------------------------------------------------------------------------


def upload_offline(context: TerminalContext, records: list[TxnRecord]) -> SendResult:
    """Upload offline payments (oldest first, at most 20) and journal each one's answer."""
    batch = records[:MAX_OFFLINE_UPLOAD]
    journal = context.journal
    payments = []
    for record in batch:
        row = journal.row(record.request_seq)
        assert row is not None  # noqa: S101
        payments.append(decode(OfflinePayment, str(row.body["wire"]).encode("utf-8")))
    result = context.client.call(OFFLINE_UPLOAD, OfflineUploadRequest(payments=tuple(payments)))
    if isinstance(result, NoAnswer):
        if result.delivered:
            for record in batch:
                if record.state is PaymentState.PENDING:
                    journal.append(
                        EventKind.NO_ANSWER,
                        {"reason": result.reason.value, "via": "upload"},
                        txn_id=record.txn_id,
                        state=PaymentState.UNKNOWN,
                    )
        return SendResult(Step.NO_ANSWER, batch[0], error=result.error)
    if isinstance(result, Refused):
        return SendResult(Step.BLOCKED, batch[0], error=result.error)
    answer = result.answer
    by_txn = {item.txn_id: item for item in answer.results}
    with journal.transaction():
        for record in batch:
            item = by_txn.get(record.txn_id)
            if item is None:
                continue
            state = PaymentState(item.state.value)
            if state in (PaymentState.PENDING, PaymentState.UNKNOWN) and state is record.state:
                continue
            journal.append(
                EventKind.ANSWER,
                {"via": "upload", "res": orjson.loads(encode(item))},
                txn_id=record.txn_id,
                state=state,
            )
    if context.session is not None:
        context.update_session(
            with_float(context.session, available=answer.float_available, held=answer.float_held)
        )
    missing = [record.txn_id for record in batch if record.txn_id not in by_txn]
    step = Step.BLOCKED if missing else Step.RESOLVED
    return SendResult(step, batch[-1])
