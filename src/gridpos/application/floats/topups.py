"""Float top-ups (充值) under maker-checker.

An agent hands cash to the company (or tops up its float by transfer, T+1), a station or finance
operator records the request, and a *second* person — finance — approves it; only then does the
float grow (Dr topup_clearing, Cr agent_float). The database refuses a top-up decided by its
requester (``ck_float_topups_decided_by_not_requester``); that refusal comes back as
:class:`FloatError` ``topup_self_approval``. A rejected request moves no money.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.tables import float_topups
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.floats._access import FloatError, check_amount, operator_over_agent
from gridpos.application.ports import Clock
from gridpos.domain.audit import AuditAction
from gridpos.domain.ledger import topup_posting

# money is finance's: a station (or finance) asks, a second person of finance approves; the
# company admin runs the system and moves no money
MAKER_ROLES: Final = ("finance", "station_head", "station_staff")
CHECKER_ROLES: Final = ("finance",)
_SELF_APPROVAL_CHECK: Final = "decided_by_not_requester"


@dataclass(frozen=True, slots=True)
class TopupRecord:
    """A top-up request and its decision."""

    id: int
    agent_id: int
    amount: int
    state: str
    requested_by: int
    decided_by: int | None
    note: str
    ledger_transaction_id: int | None = None


def request_topup(
    engine: Engine,
    *,
    agent_id: int,
    amount: int,
    requested_by: int,
    clock: Clock,
    note: str = "",
) -> TopupRecord:
    """Record a request to top up an agent's float by ``amount`` fen (nothing moves yet).

    Raises :class:`FloatError`: ``amount_invalid`` (not 1..1,000,000.00 yuan in whole fen),
    ``agent_unknown``, ``operator_unknown``, ``operator_not_allowed``, ``out_of_scope``.
    """
    check_amount(amount)
    with SqlUnitOfWork(engine, write=True) as uow:
        record = record_topup_request(
            uow, agent_id=agent_id, amount=amount, requested_by=requested_by, now=clock.now(),
            note=note,
        )  # fmt: skip
        uow.commit()
    return record


def record_topup_request(
    uow: SqlUnitOfWork,
    *,
    agent_id: int,
    amount: int,
    requested_by: int,
    now: datetime,
    note: str = "",
) -> TopupRecord:
    """:func:`request_topup` inside a caller's unit of work (not committed), for a caller that
    writes something else in the same transaction (the console's one-time form token).

    Raises :class:`FloatError` as :func:`request_topup` does.
    """
    check_amount(amount)
    account = operator_over_agent(uow, requested_by, agent_id, roles=MAKER_ROLES)
    topup_id = uow.connection.execute(
        insert(float_topups)
        .values(
            agent_id=agent_id,
            amount=amount,
            state="requested",
            requested_by=requested_by,
            requested_at=now,
            note=note.strip()[:500],
        )
        .returning(float_topups.c.id)
    ).scalar_one()
    uow.audit.append(
        occurred_at=now,
        actor=account,
        action=AuditAction.FLOAT_TOPUP_REQUEST,
        subject=f"agent:{agent_id}",
        details={"topup_id": int(topup_id), "amount": amount},
    )
    return _topup(uow, int(topup_id))


def approve_topup(
    engine: Engine, *, topup_id: int, decided_by: int, business_date: date, clock: Clock
) -> TopupRecord:
    """Approve a requested top-up: the agent's float grows by its amount, in the ledger.

    Raises :class:`FloatError`: ``topup_unknown``, ``topup_already_decided``,
    ``topup_self_approval`` (the approver asked for it), ``operator_unknown``,
    ``operator_not_allowed``, ``out_of_scope``.
    """
    return _decide(
        engine, topup_id=topup_id, decided_by=decided_by, approve=True,
        business_date=business_date, clock=clock, reason="",
    )  # fmt: skip


def reject_topup(
    engine: Engine, *, topup_id: int, decided_by: int, clock: Clock, reason: str = ""
) -> TopupRecord:
    """Reject a requested top-up; no money moves.

    Raises :class:`FloatError` as :func:`approve_topup` does.
    """
    return _decide(
        engine, topup_id=topup_id, decided_by=decided_by, approve=False,
        business_date=None, clock=clock, reason=reason,
    )  # fmt: skip


def _decide(
    engine: Engine,
    *,
    topup_id: int,
    decided_by: int,
    approve: bool,
    business_date: date | None,
    clock: Clock,
    reason: str,
) -> TopupRecord:
    with SqlUnitOfWork(engine, write=True) as uow:
        record = record_topup_decision(
            uow, topup_id=topup_id, decided_by=decided_by, approve=approve,
            business_date=business_date, now=clock.now(), reason=reason,
        )  # fmt: skip
        uow.commit()
    return record


def record_topup_decision(
    uow: SqlUnitOfWork,
    *,
    topup_id: int,
    decided_by: int,
    approve: bool,
    business_date: date | None,
    now: datetime,
    reason: str = "",
) -> TopupRecord:
    """Approve (``business_date`` given) or reject a requested top-up inside a caller's unit of
    work (not committed); see :func:`approve_topup` and :func:`reject_topup`.

    Raises :class:`FloatError` as :func:`approve_topup` does.
    """
    current = _topup(uow, topup_id, lock=True)
    account = operator_over_agent(uow, decided_by, current.agent_id, roles=CHECKER_ROLES)
    if current.state != "requested":
        raise FloatError(
            code="topup_already_decided",
            field="topup_id",
            message_zh=f"充值申请 {topup_id} 已处理（{current.state}）",
            message_en=f"top-up {topup_id} was already decided ({current.state})",
            details={"topup_id": topup_id, "state": current.state},
        )
    state = "approved" if approve else "rejected"
    try:
        with uow.connection.begin_nested():
            uow.connection.execute(
                update(float_topups)
                .where(float_topups.c.id == topup_id)
                .values(state=state, decided_by=decided_by, decided_at=now)
            )
    except IntegrityError as exc:
        if _SELF_APPROVAL_CHECK not in str(exc.orig):
            raise
        raise FloatError(
            code="topup_self_approval",
            field="decided_by",
            message_zh="充值申请须由申请人以外的另一人审批",
            message_en="a top-up must be decided by someone other than its requester",
            details={"topup_id": topup_id, "operator_id": decided_by},
        ) from exc
    transaction_id = None
    if approve and business_date is not None:
        transaction_id = uow.ledger.record(
            topup_posting(agent_id=current.agent_id, amount=current.amount),
            business_date=business_date,
            recorded_at=now,
            agent_id=current.agent_id,
            memo=f"float_topup:{topup_id}",
        )
    uow.audit.append(
        occurred_at=now,
        actor=account,
        action=AuditAction.FLOAT_TOPUP_APPROVE if approve else AuditAction.FLOAT_TOPUP_REJECT,
        subject=f"agent:{current.agent_id}",
        details={"topup_id": topup_id, "amount": current.amount, "reason": reason[:200]},
    )
    record = _topup(uow, topup_id)
    return replace(record, ledger_transaction_id=transaction_id)


def _topup(uow: SqlUnitOfWork, topup_id: int, *, lock: bool = False) -> TopupRecord:
    query = select(float_topups).where(float_topups.c.id == topup_id)
    row = uow.connection.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise FloatError(
            code="topup_unknown",
            field="topup_id",
            message_zh=f"充值申请 {topup_id} 不存在",
            message_en=f"there is no top-up {topup_id}",
            details={"topup_id": topup_id},
        )
    return TopupRecord(
        id=int(row.id),
        agent_id=int(row.agent_id),
        amount=int(row.amount),
        state=row.state,
        requested_by=int(row.requested_by),
        decided_by=None if row.decided_by is None else int(row.decided_by),
        note=row.note,
    )
