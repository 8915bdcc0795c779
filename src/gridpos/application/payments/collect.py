"""Collect a payment (缴费), exactly once.

Idempotent on the terminal's transaction id: a repeat answers the stored receipt, the same id
with other content is refused (``txn_id_reused``), an id already reversed by a tombstone is
refused (``payment_already_reversed``). Otherwise, in one transaction: the customer is locked,
penalty and allocation computed as of the business date, the float debited (the database refuses
an overdraft), and the payment written with its allocations, ledger entries, commission, receipt,
audit row and outbox row.
"""

from __future__ import annotations

from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.arrears import price
from gridpos.application.context import Services
from gridpos.application.payments.receipts import (
    build_receipt,
    request_hash,
    require_own_txn,
    stored_receipt,
)
from gridpos.application.payments.recording import PaymentFacts, record_payment
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest, claim
from gridpos.application.terminals.day import require_day
from gridpos.domain.allocation import AllocationError, allocate, amount_due, round_up_amount
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.signing import receipt_code
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest


def _replay(
    uow: SqlUnitOfWork, signed: SignedRequest, request: PayRequest, digest: str
) -> PayAnswer | None:
    """The stored answer when this payment was already received; refusals for a reused id."""
    terminal = signed.terminal
    existing = uow.payments.find(terminal.id, request.txn_id)
    if existing is not None:
        if existing.request_hash != digest:
            raise RefusalError(ErrorCode.TXN_ID_REUSED, details={"txn": request.txn_id})
        return stored_receipt(uow, existing)
    if uow.payments.tombstone(terminal.id, request.txn_id) is not None:
        raise RefusalError(ErrorCode.PAYMENT_ALREADY_REVERSED, details={"txn": request.txn_id})
    return None


def collect_payment(services: Services, signed: SignedRequest, request: PayRequest) -> PayAnswer:
    """Take the payment, or answer it again; the receipt.

    Raises :class:`RefusalError`: ``invalid_field`` (a transaction id of another terminal),
    ``txn_id_reused``, ``payment_already_reversed``, ``not_signed_in``, ``session_expired``,
    ``business_day_closed``, ``over_payment_limit``, ``over_daily_limit``, ``account_unknown``,
    ``account_other_county``, ``amount_due_changed``, ``amount_below_due``, ``amount_invalid``
    (a round-up that is not the one offered), ``float_insufficient``, and the signing refusals.
    """
    terminal = signed.terminal
    require_own_txn(request.txn_id, terminal)
    digest = request_hash(request)
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        replayed = _replay(uow, signed, request, digest)
        if replayed is not None:
            uow.commit()
            return replayed
        day = require_day(uow, services, terminal, session, now=now)
        params = day.params
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
        customer = uow.payments.customer(
            request.account_no, county_path=terminal.place.county_path, lock=True
        )
        if customer is None:
            raise RefusalError(ErrorCode.ACCOUNT_UNKNOWN, details={"acct": request.account_no})
        if not customer.in_county:
            raise RefusalError(ErrorCode.ACCOUNT_OTHER_COUNTY, details={"acct": request.account_no})
        day_cash = uow.payments.cash_on(terminal.id, day.business_date)
        if day_cash + request.cash > params.per_day_limit:
            raise RefusalError(
                ErrorCode.OVER_DAILY_LIMIT,
                details={"limit": params.per_day_limit, "today": day_cash},
            )
        priced = price(
            uow.payments.open_receivables(customer.id),
            category=customer.category,
            on=day.business_date,
            rules=params.penalty_rules or services.penalty_rules,
        )
        open_items = [item.open for item in priced]
        due = amount_due(
            receivables=open_items,
            prepaid=customer.prepaid,
            rounding_credit=customer.rounding_credit,
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
        operator = uow.agents.operator(day.operator_id)
        code = receipt_code(
            key=terminal.key,
            txn_id=request.txn_id,
            account_no=customer.account_no,
            cash=request.cash,
        )
        receipt = build_receipt(
            terminal=terminal,
            operator_name=operator.name,
            txn_id=request.txn_id,
            trace_no=request.trace_no,
            business_date=day.business_date,
            paid_at=now,
            customer=customer,
            priced=priced,
            allocation=allocation,
            verification_code=code,
            offline=False,
        )
        record_payment(
            uow,
            facts=PaymentFacts(
                txn_id=request.txn_id,
                request_hash=digest,
                trace_no=request.trace_no,
                batch_no=day.batch.batch_no if day.batch is not None else None,
                agent_id=day.agent_id,
                operator_id=day.operator_id,
                operator_account=operator.account,
                business_date=day.business_date,
                cash_date=day.business_date,
                cash_time=request.cash_time,
                rounding_up=request.round_up,
                offline=False,
                verification_code=code,
            ),
            terminal=terminal,
            customer=customer,
            allocation=allocation,
            periods={item.record.id: (item.record.period, item.record.run_no) for item in priced},
            receipt=receipt,
            params=params,
            now=now,
        )
        float_available = uow.agents.agent_float(day.agent_id).float_available
        uow.commit()
    return receipt.model_copy(update={"float_available": float_available})
