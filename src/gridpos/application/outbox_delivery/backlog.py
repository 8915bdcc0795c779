"""Reading the outbox's backlog, and putting dead rows back in the queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Engine, func, select, update

from gridpos.adapters.db.tables import operators, outbox
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.ports import Clock
from gridpos.domain.audit import AuditAction
from gridpos.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """The backlog the dashboard shows: rows waiting, due now, dead, and the oldest wait."""

    pending: int
    due: int
    dead: int
    oldest_pending_at: datetime | None
    oldest_age_s: float


def outbox_status(engine: Engine, *, now: datetime) -> OutboxStatus:
    """How much of the outbox is waiting for the MIS, and for how long the oldest has waited."""
    with SqlUnitOfWork(engine, write=False) as uow:
        counts: dict[str, int] = dict(
            uow.connection.execute(
                select(outbox.c.state, func.count()).group_by(outbox.c.state)
            ).all()
        )
        due = uow.connection.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.state == "pending", outbox.c.next_attempt_at <= now)
        ).scalar_one()
        oldest = uow.connection.execute(
            select(func.min(outbox.c.created_at)).where(outbox.c.state == "pending")
        ).scalar_one_or_none()
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return OutboxStatus(
        pending=int(counts.get("pending", 0)),
        due=int(due),
        dead=int(counts.get("dead", 0)),
        oldest_pending_at=oldest,
        oldest_age_s=age,
    )


def dead_rows(engine: Engine, *, limit: int = 100) -> Sequence[tuple[int, str, str, str | None]]:
    """The dead rows, newest first: (id, topic, aggregate_id, last_error)."""
    with SqlUnitOfWork(engine, write=False) as uow:
        rows = uow.connection.execute(
            select(outbox.c.id, outbox.c.topic, outbox.c.aggregate_id, outbox.c.last_error)
            .where(outbox.c.state == "dead")
            .order_by(outbox.c.id.desc())
            .limit(limit)
        ).all()
    return [(int(r.id), r.topic, r.aggregate_id, r.last_error) for r in rows]


REQUEUE_ROLES: Final = ("admin", "finance")


class RequeueError(DomainError):
    """Dead rows that cannot be put back: ``operator_unknown``, ``operator_not_allowed``,
    ``outbox_row_not_dead`` (a row that is not dead, or does not exist); nothing was changed."""

    code = "requeue_error"


def requeue_dead(
    engine: Engine, *, outbox_ids: Sequence[int], operator_id: int, clock: Clock
) -> int:
    """Put dead rows back in the queue (finance's 重新进账 once the cause is fixed): pending again,
    due now, attempts from zero, the last error kept until the next attempt; an audit entry.
    Returns how many rows were requeued.

    Raises :class:`RequeueError` (codes in its docstring).
    """
    wanted = sorted(set(outbox_ids))
    now = clock.now()
    with SqlUnitOfWork(engine, write=True) as uow:
        operator = uow.connection.execute(
            select(operators.c.account, operators.c.role, operators.c.disabled).where(
                operators.c.id == operator_id
            )
        ).first()
        if operator is None or operator.disabled:
            raise RequeueError(
                code="operator_unknown",
                field="operator_id",
                message_zh=f"操作员 {operator_id} 不存在或已停用",
                message_en=f"there is no active operator {operator_id}",
            )
        if operator.role not in REQUEUE_ROLES:
            raise RequeueError(
                code="operator_not_allowed",
                field="operator_id",
                message_zh="只有电费账务或系统管理员可以重新进账",
                message_en="only finance or a company admin may post again",
                details={"role": operator.role},
            )
        dead = set(
            uow.connection.execute(
                select(outbox.c.id).where(outbox.c.id.in_(wanted), outbox.c.state == "dead")
            ).scalars()
        )
        missing = [row_id for row_id in wanted if row_id not in dead]
        if missing or not wanted:
            raise RequeueError(
                code="outbox_row_not_dead",
                field="outbox_ids",
                message_zh=f"以下记录不是失败待处理状态：{missing or '无'}",
                message_en=f"these rows are not dead: {missing or 'none given'}",
                details={"outbox_ids": missing},
            )
        uow.connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(wanted))
            .values(state="pending", attempts=0, next_attempt_at=now)
        )
        uow.audit.append(
            occurred_at=now,
            actor=str(operator.account),
            action=AuditAction.OUTBOX_REQUEUE,
            subject="mis",
            details={"outbox_ids": wanted},
        )
        uow.commit()
    return len(wanted)
