"""Agents, the operators who sign in on terminals or approve a void, and the agents' holds.

The floats themselves move only through the ledger (:class:`~gridpos.adapters.db.ledger_store.
LedgerStore`); this store reads them and keeps the ``holds`` rows that say how much of the held
float belongs to which terminal's offline allowance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gridpos.adapters.db.tables import agents, holds, operators, organisations


@dataclass(frozen=True, slots=True)
class OperatorRecord:
    """An operator (console user, collector or supervisor) with where they stand in the tree."""

    id: int
    org_id: int
    org_path: str
    account: str
    name: str
    password_hash: str
    role: str
    agent_id: int | None
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class AgentFloat:
    """An agent's float: available and held (the offline allowances), and whether it may collect."""

    agent_id: int
    name: str
    float_available: int
    float_held: int
    disabled: bool


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """An offline allowance held from an agent's float for one terminal."""

    id: int
    agent_id: int
    terminal_id: int
    business_date: date
    amount: int
    used: int
    released: int
    created_at: datetime

    @property
    def remaining(self) -> int:
        return self.amount - self.used - self.released


_OPERATOR_COLUMNS = (
    operators.c.id,
    operators.c.org_id,
    organisations.c.path.label("org_path"),
    operators.c.account,
    operators.c.name,
    operators.c.password_hash,
    operators.c.role,
    operators.c.agent_id,
    operators.c.disabled,
    operators.c.failed_attempts,
    operators.c.locked_until,
)


def _operator(row: Any) -> OperatorRecord:
    return OperatorRecord(
        id=int(row.id),
        org_id=int(row.org_id),
        org_path=row.org_path,
        account=row.account,
        name=row.name,
        password_hash=row.password_hash,
        role=row.role,
        agent_id=row.agent_id,
        disabled=bool(row.disabled),
        failed_attempts=int(row.failed_attempts),
        locked_until=row.locked_until,
    )


def _hold(row: Any) -> HoldRecord:
    return HoldRecord(
        id=int(row.id),
        agent_id=int(row.agent_id),
        terminal_id=int(row.terminal_id),
        business_date=row.business_date,
        amount=int(row.amount),
        used=int(row.used),
        released=int(row.released),
        created_at=row.created_at,
    )


class AgentStore:
    """Agents, operators and holds, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- operators -------------------------------------------------------------------------

    def operators_by_account(self, account: str, *, roles: Sequence[str]) -> list[OperatorRecord]:
        """Every operator with this account and one of ``roles``, in id order."""
        rows = self._connection.execute(
            select(*_OPERATOR_COLUMNS)
            .select_from(operators.join(organisations, organisations.c.id == operators.c.org_id))
            .where(operators.c.account == account)
            .where(operators.c.role.in_(list(roles)))
            .order_by(operators.c.id)
        )
        return [_operator(row) for row in rows]

    def operator(self, operator_id: int) -> OperatorRecord:
        """The operator ``operator_id`` (it must exist)."""
        row = self._connection.execute(
            select(*_OPERATOR_COLUMNS)
            .select_from(operators.join(organisations, organisations.c.id == operators.c.org_id))
            .where(operators.c.id == operator_id)
        ).one()
        return _operator(row)

    def organisation_path(self, code: str) -> str | None:
        """The materialised path of the organisation with ``code``, or None."""
        return self._connection.execute(
            select(organisations.c.path).where(organisations.c.code == code)
        ).scalar_one_or_none()

    def record_failed_attempt(self, operator_id: int, *, lock_until: datetime | None) -> int:
        """Count one more wrong password (and lock until ``lock_until`` if given); the count."""
        values: dict[str, Any] = {"failed_attempts": operators.c.failed_attempts + 1}
        if lock_until is not None:
            values["locked_until"] = lock_until
        return int(
            self._connection.execute(
                update(operators)
                .where(operators.c.id == operator_id)
                .values(values)
                .returning(operators.c.failed_attempts)
            ).scalar_one()
        )

    def clear_failed_attempts(self, operator_id: int) -> None:
        """A right password: the count of failures starts again."""
        self._connection.execute(
            update(operators)
            .where(operators.c.id == operator_id)
            .where(operators.c.failed_attempts > 0)
            .values(failed_attempts=0, locked_until=None)
        )

    # ---- agents ----------------------------------------------------------------------------

    def agent_float(self, agent_id: int) -> AgentFloat:
        """The agent's float (the agent must exist)."""
        row = self._connection.execute(
            select(
                agents.c.id,
                agents.c.name,
                agents.c.float_available,
                agents.c.float_held,
                agents.c.disabled,
            ).where(agents.c.id == agent_id)
        ).one()
        return AgentFloat(
            agent_id=int(row.id),
            name=row.name,
            float_available=int(row.float_available),
            float_held=int(row.float_held),
            disabled=bool(row.disabled),
        )

    # ---- holds -----------------------------------------------------------------------------

    def open_hold(self, terminal_id: int) -> HoldRecord | None:
        """The terminal's open hold (its offline allowance), or None."""
        row = self._connection.execute(
            select(holds)
            .where(holds.c.terminal_id == terminal_id)
            .where(holds.c.state == "open")
            .order_by(holds.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _hold(row)

    def add_hold(
        self, *, agent_id: int, terminal_id: int, business_date: date, amount: int, now: datetime
    ) -> HoldRecord:
        """A new open hold of ``amount`` (the ledger's hold posting is the caller's)."""
        row = self._connection.execute(
            insert(holds)
            .values(
                agent_id=agent_id,
                terminal_id=terminal_id,
                business_date=business_date,
                amount=amount,
                state="open",
                created_at=now,
            )
            .returning(*holds.c)
        ).one()
        return _hold(row)

    def grow_hold(self, hold_id: int, *, by: int) -> None:
        """Hold ``by`` more fen under the same hold."""
        self._connection.execute(
            update(holds).where(holds.c.id == hold_id).values(amount=holds.c.amount + by)
        )

    def use_hold(self, hold_id: int, *, amount: int) -> None:
        """An offline payment of ``amount`` drawn from the hold."""
        self._connection.execute(
            update(holds).where(holds.c.id == hold_id).values(used=holds.c.used + amount)
        )

    def close_hold(self, hold_id: int, *, released: int, now: datetime) -> None:
        """Release ``released`` fen (what is left) and close the hold."""
        self._connection.execute(
            update(holds)
            .where(holds.c.id == hold_id)
            .values(released=holds.c.released + released, state="closed", closed_at=now)
        )
