"""Holds (脱机额度): part of an agent's available float set aside for one terminal's offline
collection (Dr agent_float, Cr agent_float_held); a release gives back what was not used.

:func:`record_hold` and :func:`record_hold_release` work inside a caller's unit of work (sign-in
and sign-out take and give back holds in their own transaction); :func:`place_hold` and
:func:`release_hold` are the console's use cases around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import Engine, insert, select, update

from gridpos.adapters.db.tables import holds
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.floats._access import FloatError, check_amount, operator_over_agent
from gridpos.application.ports import Clock
from gridpos.domain.audit import AuditAction
from gridpos.domain.ledger import hold_posting, hold_release_posting

HOLD_ROLES: Final = ("admin", "finance", "station_head")


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """An offline allowance held for a terminal: what was held, used and given back."""

    id: int
    agent_id: int
    terminal_id: int
    business_date: date
    amount: int
    used: int
    released: int
    state: str

    @property
    def remaining(self) -> int:
        return self.amount - self.used - self.released


def record_hold(
    uow: SqlUnitOfWork,
    *,
    agent_id: int,
    terminal_id: int,
    business_date: date,
    amount: int,
    actor: str,
    clock: Clock,
) -> HoldRecord:
    """Hold ``amount`` of the agent's available float for a terminal, in ``uow`` (not committed).

    Raises :class:`FloatError` ``amount_invalid``, and
    :class:`~gridpos.domain.ledger.LedgerError` ``float_insufficient`` when the available float
    cannot cover it (nothing of the hold is written then).
    """
    check_amount(amount)
    now = clock.now()
    uow.ledger.record(
        hold_posting(agent_id=agent_id, amount=amount),
        business_date=business_date,
        recorded_at=now,
        agent_id=agent_id,
        memo=f"hold:terminal:{terminal_id}",
    )
    hold_id = uow.connection.execute(
        insert(holds)
        .values(
            agent_id=agent_id,
            terminal_id=terminal_id,
            business_date=business_date,
            amount=amount,
            state="open",
            created_at=now,
        )
        .returning(holds.c.id)
    ).scalar_one()
    uow.audit.append(
        occurred_at=now,
        actor=actor,
        action=AuditAction.FLOAT_HOLD_PLACE,
        subject=f"agent:{agent_id}",
        details={"hold_id": int(hold_id), "terminal_id": terminal_id, "amount": amount},
    )
    return _hold(uow, int(hold_id))


def record_hold_release(
    uow: SqlUnitOfWork, *, hold_id: int, business_date: date, actor: str, clock: Clock
) -> HoldRecord:
    """Close a hold and give what is left of it back to the available float, in ``uow``.

    Raises :class:`FloatError` ``hold_unknown``, ``hold_closed``.
    """
    hold = _hold(uow, hold_id, lock=True)
    if hold.state != "open":
        raise FloatError(
            code="hold_closed",
            field="hold_id",
            message_zh=f"脱机额度 {hold_id} 已释放",
            message_en=f"hold {hold_id} is already closed",
            details={"hold_id": hold_id},
        )
    now = clock.now()
    remaining = hold.remaining
    if remaining > 0:
        uow.ledger.record(
            hold_release_posting(agent_id=hold.agent_id, amount=remaining),
            business_date=business_date,
            recorded_at=now,
            agent_id=hold.agent_id,
            memo=f"hold_release:{hold_id}",
        )
    uow.connection.execute(
        update(holds)
        .where(holds.c.id == hold_id)
        .values(released=holds.c.released + remaining, state="closed", closed_at=now)
    )
    uow.audit.append(
        occurred_at=now,
        actor=actor,
        action=AuditAction.FLOAT_HOLD_RELEASE,
        subject=f"agent:{hold.agent_id}",
        details={"hold_id": hold_id, "released": remaining, "used": hold.used},
    )
    return _hold(uow, hold_id)


def place_hold(
    engine: Engine,
    *,
    agent_id: int,
    terminal_id: int,
    business_date: date,
    amount: int,
    operator_id: int,
    clock: Clock,
) -> HoldRecord:
    """The console's hold: an operator sets part of an agent's float aside for a terminal.

    Raises :class:`FloatError` (``amount_invalid``, ``agent_unknown``, ``operator_unknown``,
    ``operator_not_allowed``, ``out_of_scope``) and ``LedgerError`` ``float_insufficient``.
    """
    with SqlUnitOfWork(engine, write=True) as uow:
        account = operator_over_agent(uow, operator_id, agent_id, roles=HOLD_ROLES)
        hold = record_hold(
            uow, agent_id=agent_id, terminal_id=terminal_id, business_date=business_date,
            amount=amount, actor=account, clock=clock,
        )  # fmt: skip
        uow.commit()
    return hold


def release_hold(
    engine: Engine, *, hold_id: int, business_date: date, operator_id: int, clock: Clock
) -> HoldRecord:
    """The console's release: what is left of a hold goes back to the available float.

    Raises :class:`FloatError` (``hold_unknown``, ``hold_closed``, ``operator_unknown``,
    ``operator_not_allowed``, ``out_of_scope``).
    """
    with SqlUnitOfWork(engine, write=True) as uow:
        hold = _hold(uow, hold_id)
        account = operator_over_agent(uow, operator_id, hold.agent_id, roles=HOLD_ROLES)
        released = record_hold_release(
            uow, hold_id=hold_id, business_date=business_date, actor=account, clock=clock
        )
        uow.commit()
    return released


def _hold(uow: SqlUnitOfWork, hold_id: int, *, lock: bool = False) -> HoldRecord:
    query = select(holds).where(holds.c.id == hold_id)
    row: Any = uow.connection.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise FloatError(
            code="hold_unknown",
            field="hold_id",
            message_zh=f"脱机额度 {hold_id} 不存在",
            message_en=f"there is no hold {hold_id}",
            details={"hold_id": hold_id},
        )
    return HoldRecord(
        id=int(row.id),
        agent_id=int(row.agent_id),
        terminal_id=int(row.terminal_id),
        business_date=row.business_date,
        amount=int(row.amount),
        used=int(row.used),
        released=int(row.released),
        state=row.state,
    )
