"""Offline upload (脱机上送): payments collected without a link, accepted against the hold.

Each payment is answered on its own, in its own savepoint. The cash time is honoured: the
penalty is computed as of the cash date (in the county's time) and the payment counts on that
date. A payment is never refused after the fact for money reasons — the hold taken at sign-in
guarantees the float — and a receivable paid meanwhile elsewhere turns the excess into prepaid.
The limits are checked again (a terminal that broke them is refused, to be settled by
reconciliation), and a terminal clock that cannot be right (a cash time in the future, or before
the hold existed) is flagged in the audit log and the logs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from gridpos.adapters.db.agent_store import HoldRecord
from gridpos.adapters.db.terminal_store import TerminalSession
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.arrears import price
from gridpos.application.context import Services
from gridpos.application.payments.receipts import (
    build_receipt,
    request_hash,
    require_own_txn,
)
from gridpos.application.payments.recording import PaymentFacts, record_payment
from gridpos.application.reconciliation.resend import adopts_resend
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest, claim
from gridpos.domain.allocation import allocate, amount_due
from gridpos.domain.audit import AuditAction
from gridpos.protocol.errors import ErrorBody, ErrorCode, error_body
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.signing import receipt_code_matches
from gridpos.protocol.terminal.payments import (
    OfflinePayment,
    OfflineResult,
    OfflineUploadAnswer,
    OfflineUploadRequest,
)

_log = structlog.get_logger(__name__)


def _body(refusal: RefusalError) -> ErrorBody:
    return error_body(
        refusal.error_code,
        field=refusal.field,
        details=refusal.details or None,
        message_zh=refusal.message_zh,
        message_en=refusal.message_en,
    )


def upload_offline(
    services: Services, signed: SignedRequest, request: OfflineUploadRequest
) -> OfflineUploadAnswer:
    """Accept each offline payment against the terminal's hold; one result each, in order.

    Per payment, refusals come back in its result: ``invalid_field`` (a transaction id of another
    terminal, a verification code that does not match), ``txn_id_reused``,
    ``payment_already_reversed``, ``account_unknown``, ``account_other_county``,
    ``over_payment_limit``, ``over_daily_limit``, ``offline_allowance_exceeded``.

    Raises :class:`RefusalError`: ``not_signed_in``, and the signing refusals.
    """
    terminal = signed.terminal
    now = services.clock.now()
    results: list[OfflineResult] = []
    with services.writing() as uow:
        session = claim(uow, signed, services)
        if session.operator_id is None or session.agent_id is None:
            raise RefusalError(ErrorCode.NOT_SIGNED_IN)
        for index, payment in enumerate(request.payments):
            try:
                with uow.connection.begin_nested():
                    state = _accept(uow, services, signed, session, payment, index=index, now=now)
                results.append(OfflineResult(txn_id=payment.txn_id, state=state))
            except RefusalError as refusal:
                results.append(
                    OfflineResult(
                        txn_id=payment.txn_id,
                        state=WirePaymentState.REJECTED,
                        error=_body(refusal),
                    )
                )
        hold = uow.agents.open_hold(terminal.id)
        agent = uow.agents.agent_float(hold.agent_id if hold is not None else session.agent_id)
        uow.commit()
    return OfflineUploadAnswer(
        results=tuple(results),
        float_available=agent.float_available,
        float_held=agent.float_held,
    )


def _accept(
    uow: SqlUnitOfWork,
    services: Services,
    signed: SignedRequest,
    session: TerminalSession,
    payment: OfflinePayment,
    *,
    index: int,
    now: datetime,
) -> WirePaymentState:
    terminal = signed.terminal
    where = f"pays.{index}"
    require_own_txn(payment.txn_id, terminal, field=f"{where}.txn")
    digest = request_hash(payment)
    existing = uow.payments.find(terminal.id, payment.txn_id)
    if existing is not None:
        # a payment reconciliation confirmed from the journal before this upload got through
        # is this payment: answered as it stands (see application.reconciliation.resend)
        if existing.request_hash != digest and not adopts_resend(
            uow, existing, digest=digest, trace_no=payment.trace_no, cash=payment.cash
        ):
            raise RefusalError(ErrorCode.TXN_ID_REUSED, field=f"{where}.txn")
        return WirePaymentState(existing.state)
    if uow.payments.tombstone(terminal.id, payment.txn_id) is not None:
        raise RefusalError(ErrorCode.PAYMENT_ALREADY_REVERSED, field=f"{where}.txn")
    customer = uow.payments.customer(
        payment.account_no, county_path=terminal.place.county_path, lock=True
    )
    if customer is None:
        raise RefusalError(ErrorCode.ACCOUNT_UNKNOWN, field=f"{where}.acct")
    if not customer.in_county:
        raise RefusalError(ErrorCode.ACCOUNT_OTHER_COUNTY, field=f"{where}.acct")
    if not receipt_code_matches(
        key=terminal.key,
        txn_id=payment.txn_id,
        account_no=payment.account_no,
        cash=payment.cash,
        code=payment.verification_code,
    ):
        raise RefusalError(
            ErrorCode.INVALID_FIELD,
            field=f"{where}.vc",
            message_zh="脱机收据校验码不符",
            message_en="the offline receipt's verification code does not match",
            details={"reason": "verification_code_mismatch"},
        )
    cash_date = services.today(payment.cash_time)
    params = services.parameters.on(uow, cash_date)
    if payment.cash > params.offline_per_payment_limit:
        raise RefusalError(
            ErrorCode.OVER_PAYMENT_LIMIT,
            field=f"{where}.cash",
            details={"limit": params.offline_per_payment_limit},
        )
    offline_today = uow.payments.cash_on(terminal.id, cash_date, offline=True)
    if offline_today + payment.cash > params.offline_per_day_limit:
        raise RefusalError(
            ErrorCode.OVER_DAILY_LIMIT,
            field=f"{where}.cash",
            details={"limit": params.offline_per_day_limit, "today": offline_today},
        )
    hold = uow.agents.open_hold(terminal.id)
    if hold is None or hold.remaining < payment.cash:
        raise RefusalError(
            ErrorCode.OFFLINE_ALLOWANCE_EXCEEDED,
            field=f"{where}.cash",
            details={"remaining": hold.remaining if hold is not None else 0},
        )
    implausible = _implausible_clock(services, payment.cash_time, hold, now=now)
    if implausible:
        _log.warning(
            "offline_cash_time_implausible",
            terminal_no=terminal.terminal_no,
            txn_id=payment.txn_id,
            cash_time=payment.cash_time.isoformat(),
        )
    priced = price(
        uow.payments.open_receivables(customer.id),
        category=customer.category,
        on=cash_date,
        rules=params.penalty_rules or services.penalty_rules,
    )
    open_items = [item.open for item in priced]
    due = amount_due(
        receivables=open_items, prepaid=customer.prepaid, rounding_credit=customer.rounding_credit
    )
    # what the terminal rounded up is kept only while it still rounds the amount due now
    rounding_up = payment.round_up if payment.round_up <= max(payment.cash - due, 0) else 0
    allocation = allocate(
        receivables=open_items,
        cash=payment.cash,
        prepaid=customer.prepaid,
        rounding_credit=customer.rounding_credit,
        allow_partial=True,  # collected is collected: never refused after the fact
        rounding_up=rounding_up,
    )
    operator = uow.agents.operator(session.operator_id or 0)
    batch = uow.terminals.current_batch(terminal.id, cash_date)
    receipt = build_receipt(
        terminal=terminal,
        operator_name=operator.name,
        txn_id=payment.txn_id,
        trace_no=payment.trace_no,
        business_date=cash_date,
        paid_at=payment.cash_time,
        customer=customer,
        priced=priced,
        allocation=allocation,
        verification_code=payment.verification_code,
        offline=True,
    )
    record_payment(
        uow,
        facts=PaymentFacts(
            txn_id=payment.txn_id,
            request_hash=digest,
            trace_no=payment.trace_no,
            batch_no=batch.batch_no if batch is not None else None,
            agent_id=hold.agent_id,
            operator_id=operator.id,
            operator_account=operator.account,
            business_date=cash_date,
            cash_date=cash_date,
            cash_time=payment.cash_time,
            rounding_up=rounding_up,
            offline=True,
            verification_code=payment.verification_code,
        ),
        terminal=terminal,
        customer=customer,
        allocation=allocation,
        periods={item.record.id: (item.record.period, item.record.run_no) for item in priced},
        receipt=receipt,
        params=params,
        now=now,
    )
    uow.agents.use_hold(hold.id, amount=payment.cash)
    if implausible:
        uow.audit.append(
            occurred_at=now,
            actor=f"terminal:{terminal.terminal_no}",
            action=AuditAction.PAYMENT_OFFLINE_CLOCK_IMPLAUSIBLE,
            subject=f"payment:{payment.txn_id}",
            details={"cash_time": payment.cash_time, "offline_seq": payment.offline_seq},
        )
    return WirePaymentState.CONFIRMED


def _implausible_clock(
    services: Services, cash_time: datetime, hold: HoldRecord, *, now: datetime
) -> bool:
    skew = timedelta(seconds=services.allowed_skew_s)
    return cash_time > now + skew or cash_time < hold.created_at - skew
