"""补单: confirm a payment the terminal took but the company never had, from the journal row the
terminal uploaded, with its original cash time — then post it to the MIS.

It is the payment the terminal would have recorded had its request got through, written by the
same code (:func:`gridpos.application.payments.recording.record_payment`: payment, allocation,
ledger, commission, receipt, audit and the ``mis.post`` outbox row, in the caller's transaction):
penalty and allocation as of the cash date (so no penalty accrues after the cash was handed over),
the agent's float debited — the offline allowance held for the terminal when the payment was
taken offline and the allowance is still open, the available float otherwise — and the receipt
with the verification code the terminal printed. The terminal's own request for it, when it
arrives at last, is answered with this payment (:mod:`.resend`).
"""

from __future__ import annotations

from datetime import datetime

from gridpos.adapters.db.reconciliation.candidates import JournalSide
from gridpos.adapters.db.reconciliation.journal import collector_of
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.arrears import price
from gridpos.application.parameters import CollectionParameters
from gridpos.application.payments.receipts import build_receipt
from gridpos.application.payments.recording import PaymentFacts, record_payment
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import refusal
from gridpos.application.reconciliation.resend import journal_hash
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.domain.allocation import allocate
from gridpos.domain.audit import AuditAction
from gridpos.protocol.signing import receipt_code


def confirm_from_journal(
    uow: SqlUnitOfWork,
    services: ReconciliationServices,
    journal: JournalSide,
    *,
    actor: str,
    now: datetime,
    enforce_limits: bool,
) -> int:
    """Record the payment of ``journal`` (see the module docstring); its id. Nothing is
    committed.

    Raises :class:`~gridpos.application.reconciliation.errors.ReconciliationError`:
    ``payment_exists`` (the company has it after all), ``payment_already_reversed`` (a reversal
    tombstone), ``terminal_without_key``, ``terminal_without_agent``, ``collector_unknown``,
    ``account_unknown``, ``over_payment_limit`` / ``over_daily_limit`` (when ``enforce_limits``:
    an automatic repair keeps to the day's limits, a person may decide otherwise); and
    :class:`~gridpos.application.refusals.RefusalError` ``float_insufficient`` when the agent's
    float cannot cover the cash (the database's CHECK is the last word).
    """
    terminal = uow.terminals.by_id(journal.terminal_id)
    if uow.payments.find(terminal.id, journal.txn_id) is not None:
        raise refusal(
            "payment_exists",
            field="txn_id",
            zh="公司已有该笔交易，无需补单",
            en="the company has this payment already",
            txn_id=journal.txn_id,
        )
    if uow.payments.tombstone(terminal.id, journal.txn_id) is not None:
        raise refusal(
            "payment_already_reversed",
            field="txn_id",
            zh="该笔交易已被终端冲正，不能补单",
            en="the terminal reversed this payment before it arrived: it cannot be confirmed",
        )
    if terminal.key_material is None:
        raise refusal(
            "terminal_without_key",
            field="terminal",
            zh="终端尚未启用，无法生成收据校验码",
            en="the terminal is not enrolled: no receipt code can be made",
        )
    if terminal.agent_id is None:
        raise refusal(
            "terminal_without_agent",
            field="terminal",
            zh="终端未分配代理商，无法扣减备付金",
            en="the terminal has no agent whose float could take the payment",
        )
    place = uow.terminals.organisation_context(terminal.org_id)
    identity = TerminalIdentity(
        id=terminal.id,
        terminal_no=terminal.terminal_no,
        key=terminal.key_material,
        key_version=terminal.key_version,
        place=place,
    )
    operator_id = journal.operator_id or collector_of(uow.connection, terminal.agent_id)
    if operator_id is None:
        raise refusal(
            "collector_unknown",
            field="terminal",
            zh="找不到该终端的收费员",
            en="no collector can be named for this terminal",
        )
    operator = uow.agents.operator(operator_id)
    customer = uow.payments.customer(journal.account_no, county_path=place.county_path, lock=True)
    if customer is None or not customer.in_county:
        raise refusal(
            "account_unknown",
            field="account_no",
            zh=f"本县没有户号 {journal.account_no}",
            en=f"there is no customer {journal.account_no} in the terminal's county",
        )
    cash_date = services.today(journal.cash_time)
    business_date = journal.business_date
    params = services.parameters.on(uow, business_date)
    if enforce_limits:
        _check_limits(uow, journal, params_limits=_limits(params, offline=journal.offline))
    priced = price(
        uow.payments.open_receivables(customer.id),
        category=customer.category,
        on=min(cash_date, business_date),
        rules=services.penalty_rules,
    )
    allocation = allocate(
        receivables=[item.open for item in priced],
        cash=journal.cash,
        prepaid=customer.prepaid,
        rounding_credit=customer.rounding_credit,
        allow_partial=True,  # the cash was collected: it is never refused after the fact
    )
    hold = uow.agents.open_hold(terminal.id) if journal.offline else None
    from_hold = hold is not None and hold.remaining >= journal.cash
    code = receipt_code(
        key=identity.key,
        txn_id=journal.txn_id,
        account_no=customer.account_no,
        cash=journal.cash,
    )
    receipt = build_receipt(
        terminal=identity,
        operator_name=operator.name,
        txn_id=journal.txn_id,
        trace_no=journal.trace_no,
        business_date=business_date,
        paid_at=journal.cash_time,
        customer=customer,
        priced=priced,
        allocation=allocation,
        verification_code=code,
        offline=journal.offline,
    )
    payment_id = record_payment(
        uow,
        facts=PaymentFacts(
            txn_id=journal.txn_id,
            request_hash=journal_hash(
                terminal_no=terminal.terminal_no,
                txn_id=journal.txn_id,
                trace_no=journal.trace_no,
                account_no=customer.account_no,
                cash=journal.cash,
                cash_time=journal.cash_time,
            ),
            trace_no=journal.trace_no,
            batch_no=journal.batch_no,
            agent_id=terminal.agent_id,
            operator_id=operator.id,
            operator_account=operator.account,
            business_date=business_date,
            cash_date=min(cash_date, business_date),
            cash_time=journal.cash_time,
            rounding_up=0,
            offline=from_hold,
            verification_code=code,
        ),
        terminal=identity,
        customer=customer,
        allocation=allocation,
        periods={item.record.id: (item.record.period, item.record.run_no) for item in priced},
        receipt=receipt,
        params=params,
        now=now,
    )
    if from_hold and hold is not None:
        uow.agents.use_hold(hold.id, amount=journal.cash)
    uow.audit.append(
        occurred_at=now,
        actor=actor,
        action=AuditAction.RECONCILIATION_CONFIRM_FROM_JOURNAL,
        subject=f"payment:{journal.txn_id}",
        details={
            "terminal": terminal.terminal_no,
            "account_no": customer.account_no,
            "cash": journal.cash,
            "cash_time": journal.cash_time,
            "business_date": business_date,
            "from_hold": from_hold,
            "journal_item": journal.id,
        },
    )
    return payment_id


def _limits(params: CollectionParameters, *, offline: bool) -> tuple[int, int]:
    if offline:
        return params.offline_per_payment_limit, params.offline_per_day_limit
    return params.per_payment_limit, params.per_day_limit


def _check_limits(
    uow: SqlUnitOfWork, journal: JournalSide, *, params_limits: tuple[int, int]
) -> None:
    per_payment, per_day = params_limits
    if journal.cash > per_payment:
        raise refusal(
            "over_payment_limit",
            field="cash",
            zh="金额超过单笔限额，须由操作员确认",
            en="the cash is above the per-payment limit: an operator must confirm it",
            limit=per_payment,
        )
    day = uow.payments.cash_on(journal.terminal_id, journal.business_date, offline=journal.offline)
    if day + journal.cash > per_day:
        raise refusal(
            "over_daily_limit",
            field="cash",
            zh="金额超过当日限额，须由操作员确认",
            en="the cash is above the day's limit: an operator must confirm it",
            limit=per_day,
            today=day,
        )
