"""Payment status by transaction id, and reprint of the day's recent receipts."""

from __future__ import annotations

from gridpos.application.context import Services
from gridpos.application.payments.receipts import stored_receipt, terminal_of
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest, claim
from gridpos.application.terminals.day import require_day
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.fields import WirePaymentState
from gridpos.protocol.terminal.payments import (
    PaymentStatusAnswer,
    PaymentStatusQuery,
    ReprintAnswer,
    ReprintQuery,
)


def payment_status(
    services: Services, signed: SignedRequest, query: PaymentStatusQuery
) -> PaymentStatusAnswer:
    """What became of the payment: its state and, once received, its receipt.

    Raises :class:`RefusalError`: ``payment_not_found`` (never received, or not this
    terminal's), and
    the signing refusals.
    """
    terminal = signed.terminal
    with services.writing() as uow:
        claim(uow, signed, services)
        if terminal_of(query.txn_id) != terminal.terminal_no:
            raise RefusalError(ErrorCode.PAYMENT_NOT_FOUND, details={"txn": query.txn_id})
        payment = uow.payments.find(terminal.id, query.txn_id)
        if payment is not None:
            # the receipt as stored, with the agent's float as it is now (the terminal shows it)
            available = uow.agents.agent_float(payment.agent_id).float_available
            receipt = stored_receipt(uow, payment).model_copy(update={"float_available": available})
            answer = PaymentStatusAnswer(
                txn_id=query.txn_id, state=WirePaymentState(payment.state), receipt=receipt
            )
        elif uow.payments.tombstone(terminal.id, query.txn_id) is not None:
            answer = PaymentStatusAnswer(txn_id=query.txn_id, state=WirePaymentState.REVERSED)
        else:
            raise RefusalError(ErrorCode.PAYMENT_NOT_FOUND, details={"txn": query.txn_id})
        uow.commit()
    return answer


def reprint(services: Services, signed: SignedRequest, query: ReprintQuery) -> ReprintAnswer:
    """The latest confirmed receipts of the terminal's business day, newest first.

    Raises :class:`RefusalError`: ``not_signed_in``, ``session_expired``, and the signing refusals.
    """
    terminal = signed.terminal
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now, collecting=False)
        receipts = []
        for payment_id in uow.payment_reports.recent_payment_ids(
            terminal.id, day.business_date, limit=query.limit, trace_no=query.trace_no
        ):
            payment = uow.payments.by_id(payment_id)
            receipts.append(stored_receipt(uow, payment))
        uow.commit()
    return ReprintAnswer(receipts=tuple(receipts))
