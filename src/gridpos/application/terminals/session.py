"""Sign-in (签到), sign-out (签退) and the heartbeat.

Sign-in checks the collector's agent account, password and organisation code — each wrong one
refused with its own code, wrong passwords counted towards a lockout — opens the terminal's
business day (the county's calendar date, from the server's clock) and its batch, and, on request,
holds an offline allowance from the agent's float. Sign-out releases what is left of the hold,
unless offline payments still wait to be uploaded: the hold stays for them.

A heartbeat (its own request, or inside a sign-in) may report a damaged terminal journal: the
terminal's row keeps the latest report, and a report other than the one kept is audited as
``terminal.journal_damaged``. The heartbeat's and the sign-in's answers carry the company's
pending request for the terminal's journal (:mod:`.journal_upload`).
"""

from __future__ import annotations

from datetime import date, datetime

from gridpos.adapters.db.agent_store import OperatorRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import (
    SignedRequest,
    claim,
    heartbeat_values,
    journal_damage_details,
)
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.application.terminals.journal_upload import pending_notice
from gridpos.application.terminals.passwords import count_failure, is_locked, password_matches
from gridpos.domain.audit import AuditAction
from gridpos.domain.ledger import LedgerError, hold_posting, hold_release_posting
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.session import (
    Heartbeat,
    HeartbeatAnswer,
    SignInAnswer,
    SignInRequest,
    SignOutAnswer,
    SignOutRequest,
    TerminalParams,
)


def _collector(uow: SqlUnitOfWork, request: SignInRequest) -> tuple[OperatorRecord, str | None]:
    """The collector named by the request, and the organisation path of the code given."""
    candidates = uow.agents.operators_by_account(request.agent_account, roles=("agent",))
    if not candidates:
        raise RefusalError(ErrorCode.AGENT_ACCOUNT_UNKNOWN)
    org_path = uow.agents.organisation_path(request.organisation_code)
    if org_path is not None:
        for candidate in candidates:
            if candidate.org_path.startswith(org_path):
                return candidate, org_path
    return candidates[0], org_path


def _same_branch(operator: OperatorRecord, terminal_path: str) -> bool:
    # a collection point's terminal serves its agent; a station's terminal, the station's agents
    return operator.org_path.startswith(terminal_path) or terminal_path.startswith(
        operator.org_path
    )


def sign_in(services: Services, signed: SignedRequest, request: SignInRequest) -> SignInAnswer:
    """Open the terminal's business day for the collector.

    Raises :class:`RefusalError`: ``agent_account_unknown``, ``operator_locked``, ``password_wrong``
    (the failure is counted and kept), ``organisation_wrong`` (the code is not the collector's
    organisation or one above it, or the terminal stands elsewhere), ``agent_disabled``,
    ``offline_allowance_exceeded`` (more than the ``collection.offline_allowance_max``
    parameter), ``float_insufficient`` (field ``off``: the float cannot cover the allowance),
    and the signing refusals of :func:`claim`.
    """
    now = services.clock.now()
    terminal = signed.terminal
    with services.writing() as uow:
        claim(uow, signed, services)
        if request.heartbeat is not None:
            _keep_heartbeat(uow, terminal, request.heartbeat, now=now)
        operator, org_path = _collector(uow, request)
        if is_locked(operator, now=now):
            raise RefusalError(ErrorCode.OPERATOR_LOCKED)
        if not password_matches(
            services.passwords, password_hash=operator.password_hash, password=request.password
        ):
            left = count_failure(uow, operator, now=now)
            uow.commit()  # the failure counts even though the sign-in is refused
            raise RefusalError(ErrorCode.PASSWORD_WRONG, details={"attempts_left": left})
        if org_path is None or not operator.org_path.startswith(org_path):
            raise RefusalError(ErrorCode.ORGANISATION_WRONG)
        if not _same_branch(operator, terminal.place.org_path):
            raise RefusalError(
                ErrorCode.ORGANISATION_WRONG,
                message_zh="该账号不属于本终端所在的代收点",
                message_en="this account does not belong to the collection point of this terminal",
            )
        if operator.agent_id is None or operator.disabled:
            raise RefusalError(ErrorCode.AGENT_DISABLED)
        agent = uow.agents.agent_float(operator.agent_id)
        if agent.disabled:
            raise RefusalError(ErrorCode.AGENT_DISABLED)
        business_date = services.today(now)
        params = services.parameters.on(uow, business_date)
        uow.agents.clear_failed_attempts(operator.id)
        uow.terminals.sign_in(
            terminal.id,
            business_date=business_date,
            operator_id=operator.id,
            agent_id=agent.agent_id,
            now=now,
        )
        batch = uow.terminals.open_batch(
            terminal.id, business_date=business_date, operator_id=operator.id, now=now
        )
        allowance = _hold_allowance(
            uow,
            terminal=terminal,
            agent_id=agent.agent_id,
            wanted=request.offline_allowance,
            maximum=params.offline_allowance_max,
            business_date=business_date,
            services=services,
        )
        agent = uow.agents.agent_float(agent.agent_id)
        journal_request = pending_notice(uow, terminal.id)
        uow.audit.append(
            occurred_at=now,
            actor=f"operator:{operator.account}",
            action=AuditAction.TERMINAL_SIGN_IN,
            subject=f"terminal:{terminal.terminal_no}",
            details={
                "business_date": business_date,
                "batch_no": batch.batch_no,
                "offline_allowance": allowance,
            },
        )
        uow.commit()
    place = terminal.place
    return SignInAnswer(
        business_date=business_date,
        batch_no=batch.batch_no,
        server_time=now,
        operator=operator.name,
        params=TerminalParams(
            company=place.company,
            station=place.station,
            collection_point=place.collection_point,
            hotline=params.hotline,
            per_payment_limit=params.per_payment_limit,
            per_day_limit=params.per_day_limit,
            offline_per_payment_limit=params.offline_per_payment_limit,
            offline_per_day_limit=params.offline_per_day_limit,
            partial_allowed=params.partial_allowed,
            round_up_allowed=params.round_up_allowed,
            receipt_copies=params.receipt_copies,
            allowed_skew_s=services.allowed_skew_s,
        ),
        float_available=agent.float_available,
        float_held=agent.float_held,
        offline_allowance=allowance,
        journal_request=journal_request,
    )


def _hold_allowance(
    uow: SqlUnitOfWork,
    *,
    terminal: TerminalIdentity,
    agent_id: int,
    wanted: int,
    maximum: int,
    business_date: date,
    services: Services,
) -> int:
    """Hold the offline allowance the terminal asked for; what it now has to collect offline."""
    hold = uow.agents.open_hold(terminal.id)
    have = hold.remaining if hold is not None else 0
    if wanted > maximum:
        raise RefusalError(
            ErrorCode.OFFLINE_ALLOWANCE_EXCEEDED,
            field="off",
            details={"max": maximum},
            message_zh=f"脱机额度最多 {maximum / 100:.2f} 元",
            message_en=f"the offline allowance is at most {maximum / 100:.2f} yuan",
        )
    more = wanted - have
    if more <= 0:
        return have
    now = services.clock.now()
    try:
        uow.ledger.record(
            hold_posting(agent_id=agent_id, amount=more),
            business_date=business_date,
            recorded_at=now,
            agent_id=agent_id,
            memo=f"terminal:{terminal.terminal_no}",
        )
    except LedgerError as exc:
        if exc.code != "float_insufficient":
            raise
        raise RefusalError.wrapping(ErrorCode.FLOAT_INSUFFICIENT, exc, field="off") from exc
    if hold is None:
        uow.agents.add_hold(
            agent_id=agent_id,
            terminal_id=terminal.id,
            business_date=business_date,
            amount=more,
            now=now,
        )
    else:
        uow.agents.grow_hold(hold.id, by=more)
    return wanted


def sign_out(services: Services, signed: SignedRequest, request: SignOutRequest) -> SignOutAnswer:
    """Close the terminal's business day, releasing what is left of its offline allowance unless
    offline payments still wait (``pend`` > 0).

    Raises :class:`RefusalError`: ``not_signed_in``, ``batch_mismatch`` (not the terminal's current
    batch), and the signing refusals of :func:`claim`.
    """
    now = services.clock.now()
    terminal = signed.terminal
    with services.writing() as uow:
        session = claim(uow, signed, services)
        if session.business_date is None or session.operator_id is None:
            raise RefusalError(ErrorCode.NOT_SIGNED_IN)
        business_date = session.business_date
        batch = uow.terminals.current_batch(terminal.id, business_date)
        if batch is None or batch.batch_no != request.batch_no:
            raise RefusalError(
                ErrorCode.BATCH_MISMATCH,
                details={"batch": batch.batch_no if batch is not None else None},
            )
        released = 0
        hold = uow.agents.open_hold(terminal.id)
        if hold is not None and request.offline_pending == 0:
            released = hold.remaining
            if released > 0:
                uow.ledger.record(
                    hold_release_posting(agent_id=hold.agent_id, amount=released),
                    business_date=business_date,
                    recorded_at=now,
                    agent_id=hold.agent_id,
                    memo=f"terminal:{terminal.terminal_no}",
                )
            uow.agents.close_hold(hold.id, released=released, now=now)
        uow.terminals.sign_out(terminal.id)
        agent_id = (
            session.agent_id if session.agent_id is not None else hold.agent_id if hold else None
        )
        float_available = float_held = 0
        if agent_id is not None:
            agent = uow.agents.agent_float(agent_id)
            float_available, float_held = agent.float_available, agent.float_held
        uow.audit.append(
            occurred_at=now,
            actor=f"terminal:{terminal.terminal_no}",
            action=AuditAction.TERMINAL_SIGN_OUT,
            subject=f"terminal:{terminal.terminal_no}",
            details={
                "business_date": business_date,
                "batch_no": request.batch_no,
                "released": released,
                "offline_pending": request.offline_pending,
            },
        )
        uow.commit()
    return SignOutAnswer(
        business_date=business_date,
        released=released,
        float_available=float_available,
        float_held=float_held,
    )


def _keep_heartbeat(
    uow: SqlUnitOfWork, terminal: TerminalIdentity, heartbeat: Heartbeat, *, now: datetime
) -> None:
    """Keep the reported health; audit a journal-damage report other than the one kept."""
    damage = heartbeat.journal_damage
    changed = uow.terminals.record_heartbeat(terminal.id, heartbeat_values(heartbeat), now=now)
    if changed and damage is not None:
        uow.audit.append(
            occurred_at=now,
            actor=f"terminal:{terminal.terminal_no}",
            action=AuditAction.TERMINAL_JOURNAL_DAMAGED,
            subject=f"terminal:{terminal.terminal_no}",
            details=journal_damage_details(damage),
        )


def heartbeat(services: Services, signed: SignedRequest, request: Heartbeat) -> HeartbeatAnswer:
    """Keep the terminal's health (and audit a new journal-damage report as
    ``terminal.journal_damaged``); answer the server's time, whether it is signed in and the
    company's pending request for its journal (终端流水调阅), if any.

    Raises the signing refusals of :func:`claim`.
    """
    now = services.clock.now()
    with services.writing() as uow:
        session = claim(uow, signed, services)
        _keep_heartbeat(uow, signed.terminal, request, now=now)
        journal_request = pending_notice(uow, signed.terminal.id)
        uow.commit()
    return HeartbeatAnswer(
        server_time=now,
        signed_in=session.business_date is not None,
        business_date=session.business_date,
        journal_request=journal_request,
    )
