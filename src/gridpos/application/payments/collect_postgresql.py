"""Collect a payment (缴费) on PostgreSQL in two database round trips, in the event loop.

The same rules, answers and refusals, checked in the same order, as
:func:`gridpos.application.payments.collect.collect_payment` (the generic path, statement by
statement, on a worker thread, which SQLite uses): only the way to the database differs. Round
trip 1 claims the request's counter, locks the customer and reads everything the decision needs;
the domain prices and allocates; round trip 2 writes the payment with everything that goes with it
and commits (:class:`~gridpos.adapters.db.payment_store.postgresql.PostgresPayment`). A refusal
rolls back, and the terminal API keeps the counter, as for the generic path. The audit entry is
written unsealed: the payment never waits for the audit chain.

The answer comes back encoded too (:attr:`CollectedPayment.body`): the receipt is encoded once,
for the row that keeps it, and the answer is that encoding with the float after the payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from gridpos.adapters.db.payment_store.postgresql import PaymentConnections
from gridpos.adapters.db.payment_store.postgresql_rows import (
    AuditRecord,
    OutboxRecord,
    PaymentContext,
    PaymentRows,
    StoredPayment,
)
from gridpos.application.arrears import price
from gridpos.application.context import Services
from gridpos.application.parameters import CollectionParameters
from gridpos.application.payments.receipts import build_receipt, request_hash, require_own_txn
from gridpos.application.payments.recording import MIS_POST_TOPIC, PaymentFacts, posting_payload
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest
from gridpos.domain.allocation import (
    Allocation,
    AllocationError,
    allocate,
    amount_due,
    round_up_amount,
)
from gridpos.domain.audit import AuditAction
from gridpos.domain.ledger import (
    LedgerError,
    Posting,
    commission_for,
    commission_posting,
    payment_posting,
)
from gridpos.protocol.codec import decode, encode
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.signing import receipt_code
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest


@dataclass(frozen=True, slots=True)
class CollectedPayment:
    """The answer to a payment: the receipt, and the same encoded for the wire."""

    receipt: PayAnswer
    body: bytes


class _NotCachedError(LookupError):
    """The parameters of the day are not in the process's cache."""


def _cached_only() -> Mapping[str, Any]:
    raise _NotCachedError


async def collect_payment_postgresql(
    services: Services,
    signed: SignedRequest,
    request: PayRequest,
    *,
    connections: PaymentConnections,
) -> CollectedPayment:
    """Take the payment, or answer it again; the receipt. The PostgreSQL path of
    :func:`~gridpos.application.payments.collect.collect_payment`.

    Raises :class:`RefusalError` exactly as the generic path does: ``invalid_field`` (a
    transaction id of another terminal), ``txn_id_reused``, ``payment_already_reversed``,
    ``not_signed_in``, ``session_expired``, ``business_day_closed``, ``over_payment_limit``,
    ``over_daily_limit``, ``account_unknown``, ``account_other_county``, ``amount_due_changed``,
    ``amount_below_due``, ``amount_invalid``, ``float_insufficient``, and the signing refusals of
    the replay guard (``replayed_counter``, ``terminal_disabled``, ``unknown_terminal``); a
    :class:`~gridpos.domain.errors.DomainError` for the other kept-balance refusals;
    :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError`.
    """
    terminal = signed.terminal
    require_own_txn(request.txn_id, terminal)
    digest = request_hash(request)
    now = services.clock.now()
    async with connections.transaction() as payment:
        context = await payment.read(
            terminal_id=terminal.id,
            key_version=terminal.key_version,
            counter=signed.counter,
            txn_id=request.txn_id,
            account_no=request.account_no,
            county_path=terminal.place.county_path,
            now=now,
        )
        # a refusal from here on leaves the transaction, which rolls it back
        repeated = _replay(services, signed, request, context, digest)
        if repeated is not None:
            kept = decode(PayAnswer, await payment.receipt(repeated.id))
            replayed = kept.model_copy(update={"state": WirePaymentState(repeated.state)})
            await payment.commit()
            return CollectedPayment(receipt=replayed, body=encode(replayed))
        day = _signed_in(context)
        try:
            params = services.parameters.lookup(day.business_date, _cached_only)
        except _NotCachedError:
            values = await payment.parameters_in_force(day.business_date)
            params = services.parameters.lookup(day.business_date, lambda: values)
        rows, receipt, stored = _decide(
            services,
            signed,
            request,
            context,
            day=day,
            params=params,
            digest=digest,
            now=now,
        )
        try:
            _, float_available = await payment.write(
                rows, agent_id=day.agent_id, business_date=day.business_date, now=now
            )
        except LedgerError as exc:
            if exc.code != "float_insufficient":
                raise
            raise RefusalError.wrapping(ErrorCode.FLOAT_INSUFFICIENT, exc, field="cash") from exc
    # the answer is the stored receipt with the float after it (``fa``, the model's last field)
    return CollectedPayment(
        receipt=receipt.model_copy(update={"float_available": float_available}),
        body=orjson.dumps({**stored, "fa": float_available}),
    )


def _replay(
    services: Services,
    signed: SignedRequest,
    request: PayRequest,
    context: PaymentContext,
    digest: str,
) -> StoredPayment | None:
    """The refusal of an unclaimed counter (as ``authentication.claim``), the payment already
    received under this id when the request repeats it (answered with its stored receipt),
    refusals for a reused id."""
    terminal = signed.terminal
    if context.session is None:
        if context.terminal_state != "active" or context.key_version != terminal.key_version:
            services.directory.forget(terminal.terminal_no)
            code = (
                ErrorCode.TERMINAL_DISABLED
                if context.terminal_state == "disabled"
                else ErrorCode.UNKNOWN_TERMINAL
            )
            raise RefusalError(code)
        raise RefusalError(ErrorCode.REPLAYED_COUNTER, details={"last": context.last_counter})
    stored = context.stored
    if stored is not None:
        if stored.request_hash != digest:
            raise RefusalError(ErrorCode.TXN_ID_REUSED, details={"txn": request.txn_id})
        return stored
    if context.tombstone:
        raise RefusalError(ErrorCode.PAYMENT_ALREADY_REVERSED, details={"txn": request.txn_id})
    return None


@dataclass(frozen=True, slots=True)
class _SignedInDay:
    """The terminal's sign-in as round trip 1 found it."""

    business_date: date
    operator_id: int
    agent_id: int
    signed_in_at: datetime | None


def _signed_in(context: PaymentContext) -> _SignedInDay:
    """The sign-in of a claimed request. Raises :class:`RefusalError` ``not_signed_in``."""
    session = context.session
    if (
        session is None
        or session.business_date is None
        or session.operator_id is None
        or session.agent_id is None
    ):
        raise RefusalError(ErrorCode.NOT_SIGNED_IN)
    return _SignedInDay(
        business_date=session.business_date,
        operator_id=session.operator_id,
        agent_id=session.agent_id,
        signed_in_at=session.signed_in_at,
    )


def _require_open_day(
    services: Services,
    context: PaymentContext,
    day: _SignedInDay,
    params: CollectionParameters,
    *,
    now: datetime,
) -> None:
    """The checks of ``terminals.day.require_day`` for a collection, on what was read."""
    signed_in_at = day.signed_in_at
    if signed_in_at is None or now - signed_in_at > timedelta(hours=params.session_max_hours):
        raise RefusalError(ErrorCode.SESSION_EXPIRED)
    if day.business_date < services.today(now):
        raise RefusalError(
            ErrorCode.BUSINESS_DAY_CLOSED,
            details={"bd": day.business_date.strftime("%Y%m%d")},
            message_zh="营业日已结束，请签退后重新签到",
            message_en="this business day is over; sign out and sign in again",
        )
    if context.batch is None or not context.batch.is_open:
        raise RefusalError(ErrorCode.BUSINESS_DAY_CLOSED)


def _decide(
    services: Services,
    signed: SignedRequest,
    request: PayRequest,
    context: PaymentContext,
    *,
    day: _SignedInDay,
    params: CollectionParameters,
    digest: str,
    now: datetime,
) -> tuple[PaymentRows, PayAnswer, dict[str, Any]]:
    """Every check of the generic path after the replay, in its order; the rows to write, the
    receipt, and the receipt as stored (its wire form)."""
    terminal = signed.terminal
    business_date = day.business_date
    _require_open_day(services, context, day, params, now=now)
    if request.cash > params.per_payment_limit:
        raise RefusalError(
            ErrorCode.OVER_PAYMENT_LIMIT, details={"limit": params.per_payment_limit}
        )
    if request.round_up and not params.round_up_allowed:
        raise RefusalError(
            ErrorCode.AMOUNT_INVALID,
            field="round",
            message_zh="本单位不允许取整缴费",
            message_en="rounding up is not allowed here",
        )
    customer = context.customer
    if customer is None:
        raise RefusalError(ErrorCode.ACCOUNT_UNKNOWN, details={"acct": request.account_no})
    if not customer.in_county:
        raise RefusalError(ErrorCode.ACCOUNT_OTHER_COUNTY, details={"acct": request.account_no})
    if context.day_cash + request.cash > params.per_day_limit:
        raise RefusalError(
            ErrorCode.OVER_DAILY_LIMIT,
            details={"limit": params.per_day_limit, "today": context.day_cash},
        )
    priced = price(
        context.receivables,
        category=customer.category,
        on=business_date,
        rules=params.penalty_rules or services.penalty_rules,
    )
    open_items = [item.open for item in priced]
    due = amount_due(
        receivables=open_items, prepaid=customer.prepaid, rounding_credit=customer.rounding_credit
    )
    if request.amount_due != due:
        raise RefusalError(ErrorCode.AMOUNT_DUE_CHANGED, details={"due": due})
    offered = round_up_amount(due=due) - due
    if request.round_up not in (0, offered):
        raise RefusalError(
            ErrorCode.AMOUNT_INVALID,
            field="round",
            message_zh=f"取整金额应为 {offered} 分",
            message_en=f"the round-up offered is {offered} fen",
            details={"round": offered},
        )
    try:
        allocation = allocate(
            receivables=open_items,
            cash=request.cash,
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
            allow_partial=params.partial_allowed,
            rounding_up=request.round_up,
        )
    except AllocationError as exc:
        refused = (
            ErrorCode.AMOUNT_BELOW_DUE
            if exc.code == "amount_below_due"
            else ErrorCode.AMOUNT_INVALID
        )
        raise RefusalError.wrapping(
            refused, exc, field="round" if "round" in exc.code else "cash"
        ) from exc
    if context.operator_name is None or context.operator_account is None:
        raise LookupError(f"operator {day.operator_id} of the session does not exist")
    code = receipt_code(
        key=terminal.key, txn_id=request.txn_id, account_no=customer.account_no, cash=request.cash
    )
    receipt = build_receipt(
        terminal=terminal,
        operator_name=context.operator_name,
        txn_id=request.txn_id,
        trace_no=request.trace_no,
        business_date=business_date,
        paid_at=now,
        customer=customer,
        priced=priced,
        allocation=allocation,
        verification_code=code,
        offline=False,
    )
    facts = PaymentFacts(
        txn_id=request.txn_id,
        request_hash=digest,
        trace_no=request.trace_no,
        batch_no=context.batch.batch_no if context.batch is not None else None,
        agent_id=day.agent_id,
        operator_id=day.operator_id,
        operator_account=context.operator_account,
        business_date=business_date,
        cash_date=business_date,
        cash_time=request.cash_time,
        rounding_up=request.round_up,
        offline=False,
        verification_code=code,
    )
    commission = commission_for(
        cash=allocation.cash,
        fixed_fen=params.commission_fixed_fen,
        rate_ppm=params.commission_rate_ppm,
    )
    postings: list[Posting] = [
        payment_posting(agent_id=facts.agent_id, customer_id=customer.id, allocation=allocation)
    ]
    if commission > 0:
        postings.append(commission_posting(agent_id=facts.agent_id, amount=commission))
    periods = {item.record.id: (item.record.period, item.record.run_no) for item in priced}
    stored = receipt.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
    )  # what ``protocol.codec.encode`` writes
    rows = PaymentRows(
        payment=_payment_columns(
            facts,
            terminal_id=terminal.id,
            org_id=terminal.place.org_id,
            customer_id=customer.id,
            allocation=allocation,
            now=now,
        ),
        allocations=[
            (line.receivable_id, line.penalty_paid, line.principal_paid)
            for line in allocation.lines
        ],
        postings=postings,
        receipt=orjson.dumps(stored),
        audit=AuditRecord(
            actor=f"operator:{facts.operator_account}",
            action=AuditAction.PAYMENT_COLLECT,
            subject=f"payment:{facts.txn_id}",
            details={
                "terminal": terminal.terminal_no,
                "account_no": customer.account_no,
                "cash": allocation.cash,
                "business_date": facts.business_date,
                "penalty": allocation.penalty_total,
                "principal": allocation.principal_total,
                "commission": commission,
            },
        ),
        outbox=OutboxRecord(
            topic=MIS_POST_TOPIC,
            aggregate_id=facts.txn_id,
            payload=posting_payload(
                facts, terminal=terminal, customer=customer, allocation=allocation, periods=periods
            ),
        ),
    )
    return rows, receipt, stored


def _payment_columns(
    facts: PaymentFacts,
    *,
    terminal_id: int,
    org_id: int,
    customer_id: int,
    allocation: Allocation,
    now: datetime,
) -> Mapping[str, Any]:
    """The payments row, as ``recording.record_payment`` writes it."""
    return {
        "terminal_id": terminal_id,
        "txn_id": facts.txn_id,
        "request_hash": facts.request_hash,
        "trace_no": facts.trace_no,
        "batch_no": facts.batch_no,
        "agent_id": facts.agent_id,
        "operator_id": facts.operator_id,
        "customer_id": customer_id,
        "org_id": org_id,
        "business_date": facts.business_date,
        "cash_time": facts.cash_time,
        "recorded_at": now,
        "cash": allocation.cash,
        "rounding_up": facts.rounding_up,
        "prepaid_before": allocation.prepaid_before,
        "prepaid_used": allocation.prepaid_used,
        "prepaid_added": allocation.prepaid_added,
        "rounding_before": allocation.rounding_before,
        "rounding_used": allocation.rounding_used,
        "rounding_added": allocation.rounding_added,
        "penalty_total": allocation.penalty_total,
        "principal_total": allocation.principal_total,
        "state": "confirmed",
        "offline": facts.offline,
        "verification_code": facts.verification_code,
        "mis_state": "pending",
    }
