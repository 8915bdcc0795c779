"""The work queue's resolutions under maker-checker, through one connection (a unit of work's).

The database keeps the rules a race could break: the requester never decides
(``ck_reconciliation_resolutions_decided_by_not_requester``), one request of an item waits at a
time (``ix_reconciliation_resolutions_open_item``), and a decision is a conditional ``UPDATE …
WHERE state = 'requested'`` — of two operators deciding at once, one changes the row and the
other is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.tables import operators, reconciliation_resolutions

_OPEN_TWICE: Final = "ix_reconciliation_resolutions_open_item"


class ResolutionWaitingError(Exception):
    """Another request of the same item is already waiting for a decision."""


@dataclass(frozen=True, slots=True)
class ResolutionRow:
    """A request to resolve an item, and its decision once made."""

    id: int
    item_id: int
    action: str
    reason: str
    state: str
    requested_by: int
    requested_by_name: str
    requested_at: datetime
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str
    outcome: str


_requester = operators.alias("requester")
_decider = operators.alias("decider")
_COLUMNS: Final = (
    reconciliation_resolutions,
    _requester.c.name.label("requested_by_name"),
    _decider.c.name.label("decided_by_name"),
)


def _row(row: Any) -> ResolutionRow:
    return ResolutionRow(
        id=int(row.id),
        item_id=int(row.item_id),
        action=row.action,
        reason=row.reason,
        state=row.state,
        requested_by=int(row.requested_by),
        requested_by_name=row.requested_by_name,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_by_name=row.decided_by_name,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        outcome=row.outcome,
    )


class ResolutionStore:
    """Requests and decisions of the work queue."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _query(self) -> Any:
        r = reconciliation_resolutions
        return (
            select(*_COLUMNS)
            .select_from(r)
            .join(_requester, _requester.c.id == r.c.requested_by)
            .outerjoin(_decider, _decider.c.id == r.c.decided_by)
        )

    def request(
        self, *, item_id: int, action: str, reason: str, requested_by: int, now: datetime
    ) -> int:
        """Write a waiting request; its id.

        Raises :class:`ResolutionWaitingError` when another request of the item waits.
        """
        try:
            with self._connection.begin_nested():
                return int(
                    self._connection.execute(
                        insert(reconciliation_resolutions)
                        .values(
                            item_id=item_id,
                            action=action,
                            reason=reason,
                            state="requested",
                            requested_by=requested_by,
                            requested_at=now,
                        )
                        .returning(reconciliation_resolutions.c.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:
            message = str(exc.orig)
            if _OPEN_TWICE in message or "reconciliation_resolutions.item_id" in message:
                raise ResolutionWaitingError(item_id) from exc
            raise

    def get(self, resolution_id: int) -> ResolutionRow | None:
        """The request ``resolution_id``, or None."""
        row = self._connection.execute(
            self._query().where(reconciliation_resolutions.c.id == resolution_id)
        ).first()
        return _row(row) if row is not None else None

    def of_item(self, item_id: int) -> list[ResolutionRow]:
        """Every request of an item, oldest first."""
        r = reconciliation_resolutions
        rows = self._connection.execute(
            self._query().where(r.c.item_id == item_id).order_by(r.c.id)
        )
        return [_row(row) for row in rows]

    def waiting(self, *, limit: int, offset: int = 0) -> list[ResolutionRow]:
        """The requests waiting for a decision, oldest first."""
        r = reconciliation_resolutions
        rows = self._connection.execute(
            self._query()
            .where(r.c.state == "requested")
            .order_by(r.c.requested_at, r.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_row(row) for row in rows]

    def decide(
        self,
        resolution_id: int,
        *,
        state: str,
        decided_by: int,
        now: datetime,
        note: str,
        outcome: str = "",
    ) -> bool:
        """Decide a waiting request; whether it was still waiting (else another operator decided
        it first and nothing changed)."""
        r = reconciliation_resolutions
        result = self._connection.execute(
            update(r)
            .where(r.c.id == resolution_id, r.c.state == "requested")
            .values(
                state=state,
                decided_by=decided_by,
                decided_at=now,
                decision_note=note,
                outcome=outcome[:2000],
            )
        )
        return result.rowcount == 1
