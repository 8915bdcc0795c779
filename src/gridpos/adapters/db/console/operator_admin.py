"""Admin queries of the operators: one page of a filtered, sorted list; create; change role;
disable; new password. Every list is limited to a subtree of the organisation tree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update

from gridpos.adapters.db.tables import agents, operators, organisations


class OperatorSort(StrEnum):
    """The orders an operator list can be read in."""

    ACCOUNT = "account"
    NAME = "name"
    ROLE = "role"
    ORGANISATION = "organisation"


@dataclass(frozen=True, slots=True)
class OperatorFilter:
    """Which operators a list shows. ``root_path`` is always set: the subtree to look in."""

    root_path: str
    search: str | None = None
    role: str | None = None
    status: str | None = None  # "active", "disabled", "locked" or None for all
    now: datetime | None = None  # needed for status "locked" / "active"


@dataclass(frozen=True, slots=True)
class OperatorRow:
    """An operator as the list shows them."""

    id: int
    account: str
    name: str
    role: str
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    org_id: int
    org_code: str
    org_name: str
    org_path: str
    agent_id: int | None
    agent_code: str | None


_COLUMNS = (
    operators.c.id,
    operators.c.account,
    operators.c.name,
    operators.c.role,
    operators.c.disabled,
    operators.c.failed_attempts,
    operators.c.locked_until,
    operators.c.org_id,
    organisations.c.code.label("org_code"),
    organisations.c.name.label("org_name"),
    organisations.c.path.label("org_path"),
    operators.c.agent_id,
    agents.c.code.label("agent_code"),
)
_FROM = operators.join(organisations, organisations.c.id == operators.c.org_id).outerjoin(
    agents, agents.c.id == operators.c.agent_id
)
_SORT_COLUMNS: dict[OperatorSort, Any] = {
    OperatorSort.ACCOUNT: operators.c.account,
    OperatorSort.NAME: operators.c.name,
    OperatorSort.ROLE: operators.c.role,
    OperatorSort.ORGANISATION: organisations.c.code,
}


def _row(row: Any) -> OperatorRow:
    return OperatorRow(
        id=int(row.id),
        account=row.account,
        name=row.name,
        role=row.role,
        disabled=bool(row.disabled),
        failed_attempts=int(row.failed_attempts),
        locked_until=row.locked_until,
        org_id=int(row.org_id),
        org_code=row.org_code,
        org_name=row.org_name,
        org_path=row.org_path,
        agent_id=None if row.agent_id is None else int(row.agent_id),
        agent_code=row.agent_code,
    )


def _conditions(wanted: OperatorFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [organisations.c.path.startswith(wanted.root_path)]
    if wanted.search:
        conditions.append(
            or_(
                operators.c.account.icontains(wanted.search, autoescape=True),
                operators.c.name.icontains(wanted.search, autoescape=True),
            )
        )
    if wanted.role:
        conditions.append(operators.c.role == wanted.role)
    if wanted.status == "disabled":
        conditions.append(operators.c.disabled.is_(True))
    elif wanted.status in {"active", "locked"} and wanted.now is not None:
        locked = (operators.c.locked_until.is_not(None)) & (operators.c.locked_until > wanted.now)
        if wanted.status == "locked":
            conditions.append(locked)
        else:
            conditions.append(operators.c.disabled.is_(False))
            conditions.append(~locked)
    return conditions


class OperatorAdmin:
    """Operators for the console, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def page(
        self,
        wanted: OperatorFilter,
        *,
        sort: OperatorSort,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[list[OperatorRow], int]:
        """One page of the operators ``wanted`` selects, and how many it selects."""
        conditions = _conditions(wanted)
        total = int(
            self._connection.execute(
                select(func.count()).select_from(_FROM).where(*conditions)
            ).scalar_one()
        )
        column = _SORT_COLUMNS[sort]
        rows = self._connection.execute(
            select(*_COLUMNS)
            .select_from(_FROM)
            .where(*conditions)
            .order_by(column.desc() if descending else column.asc(), operators.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_row(row) for row in rows], total

    def by_id(self, operator_id: int) -> OperatorRow | None:
        """The operator ``operator_id``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(operators.c.id == operator_id)
        ).first()
        return None if row is None else _row(row)

    def account_taken(self, *, org_id: int, account: str) -> bool:
        """Whether the organisation already has an operator with this account."""
        return (
            self._connection.execute(
                select(operators.c.id)
                .where(operators.c.org_id == org_id)
                .where(operators.c.account == account)
            ).first()
            is not None
        )

    def agent_by_code(self, code: str) -> tuple[int, int, str] | None:
        """``(id, org_id, org_path)`` of the agent with ``code``, or None."""
        row = self._connection.execute(
            select(agents.c.id, agents.c.org_id, organisations.c.path)
            .select_from(agents.join(organisations, organisations.c.id == agents.c.org_id))
            .where(agents.c.code == code)
        ).first()
        return None if row is None else (int(row.id), int(row.org_id), row.path)

    def add(
        self,
        *,
        org_id: int,
        account: str,
        name: str,
        role: str,
        password_hash: str,
        agent_id: int | None,
    ) -> int:
        """Add an operator; their id."""
        return int(
            self._connection.execute(
                insert(operators)
                .values(
                    org_id=org_id,
                    account=account,
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    agent_id=agent_id,
                )
                .returning(operators.c.id)
            ).scalar_one()
        )

    def set_role(self, operator_id: int, *, role: str, agent_id: int | None) -> None:
        """Give the operator a new role (and the agent they act for, for the agent role)."""
        self._connection.execute(
            update(operators)
            .where(operators.c.id == operator_id)
            .values(role=role, agent_id=agent_id)
        )

    def set_disabled(self, operator_id: int, *, disabled: bool) -> None:
        """Disable or enable the operator."""
        self._connection.execute(
            update(operators).where(operators.c.id == operator_id).values(disabled=disabled)
        )

    def set_password(self, operator_id: int, *, password_hash: str) -> None:
        """Give the operator a new password; any lock and count of failures is cleared."""
        self._connection.execute(
            update(operators)
            .where(operators.c.id == operator_id)
            .values(password_hash=password_hash, failed_attempts=0, locked_until=None)
        )
