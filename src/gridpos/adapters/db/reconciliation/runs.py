"""Writing a reconciliation run: the run row, the items of the work queue it finds or clears,
and its differences — through one connection (a unit of work's).

An item is the one row of a (transaction, sides, kind) across every run; every change to it is a
conditional ``UPDATE … WHERE version = :seen`` that bumps the version, so a change made on a
stale view (another operator acted first) changes nothing and is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.reconciliation.candidates import among, chunks
from gridpos.adapters.db.tables import (
    reconciliation_differences,
    reconciliation_items,
    reconciliation_runs,
)

CLEARABLE: Final = ("open", "awaiting", "repaired")
_SCHEDULE_TAKEN: Final = ("schedule_key", "uq_reconciliation_runs_schedule_key")


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of one shape: ``COPY`` on PostgreSQL (in the connection's transaction),
    ``executemany`` elsewhere."""
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name != "postgresql":
        for part in chunks(rows, 5_000):
            connection.execute(insert(table), list(part))
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[name] for name in columns))


class ScheduleTakenError(Exception):
    """Another process already started the scheduled run of this key."""


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A work-queue item as stored."""

    id: int
    txn_id: str
    sides: str
    kind: str
    state: str
    remedy: str
    safe: bool
    reason: str
    payment_id: int | None
    terminal_id: int | None
    agent_id: int | None
    org_path: str
    business_date: date
    account_no: str
    cash: int
    signature: str
    version: int
    repairs: int
    note: str
    first_run_id: int
    last_run_id: int
    resolved_by: int | None
    resolved_at: datetime | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.txn_id, self.sides, self.kind)


def item_row(row: Any) -> ItemRow:
    """An :class:`ItemRow` from a row of ``reconciliation_items``."""
    return ItemRow(
        id=int(row.id),
        txn_id=row.txn_id,
        sides=row.sides,
        kind=row.kind,
        state=row.state,
        remedy=row.remedy,
        safe=bool(row.safe),
        reason=row.reason,
        payment_id=row.payment_id,
        terminal_id=row.terminal_id,
        agent_id=row.agent_id,
        org_path=row.org_path,
        business_date=row.business_date,
        account_no=row.account_no,
        cash=int(row.cash),
        signature=row.signature,
        version=int(row.version),
        repairs=int(row.repairs),
        note=row.note,
        first_run_id=int(row.first_run_id),
        last_run_id=int(row.last_run_id),
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )


class RunStore:
    """Runs, items and differences, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- runs --------------------------------------------------------------------------------

    def start(self, values: Mapping[str, Any]) -> int:
        """Write a run in state ``running``; its id.

        Raises :class:`ScheduleTakenError` when its ``schedule_key`` is already taken.
        """
        try:
            with self._connection.begin_nested():
                return int(
                    self._connection.execute(
                        insert(reconciliation_runs)
                        .values({**values, "state": "running"})
                        .returning(reconciliation_runs.c.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:
            message = str(exc.orig)
            if any(name in message for name in _SCHEDULE_TAKEN):
                raise ScheduleTakenError(values.get("schedule_key")) from exc
            raise

    def finish(self, run_id: int, *, now: datetime, values: Mapping[str, Any]) -> None:
        """Mark the run done with its figures."""
        self._connection.execute(
            update(reconciliation_runs)
            .where(reconciliation_runs.c.id == run_id)
            .values({**values, "state": "done", "finished_at": now})
        )

    def update(self, run_id: int, values: Mapping[str, Any]) -> None:
        """Change some of the run's figures."""
        self._connection.execute(
            update(reconciliation_runs).where(reconciliation_runs.c.id == run_id).values(values)
        )

    def count_repairs(self, run_id: int, *, repaired: int, refused: int) -> None:
        """Add what the repair step did to the run's figures: repaired, and refused (queued)."""
        r = reconciliation_runs
        self._connection.execute(
            update(r)
            .where(r.c.id == run_id)
            .values(
                repaired_count=r.c.repaired_count + repaired, open_count=r.c.open_count + refused
            )
        )

    def fail(self, run_id: int, *, now: datetime, failure: str) -> None:
        """Mark the run failed, saying why."""
        self._connection.execute(
            update(reconciliation_runs)
            .where(reconciliation_runs.c.id == run_id, reconciliation_runs.c.state == "running")
            .values(state="failed", finished_at=now, failure=failure[:2000])
        )

    def previous(
        self, *, run_id: int, date_from: date, date_to: date, scope_kind: str, scope_code: str
    ) -> int | None:
        """The latest run done before ``run_id`` over the same range and node."""
        r = reconciliation_runs
        value = self._connection.execute(
            select(func.max(r.c.id)).where(
                r.c.id < run_id,
                r.c.state == "done",
                r.c.date_from == date_from,
                r.c.date_to == date_to,
                r.c.scope_kind == scope_kind,
                r.c.scope_code == scope_code,
            )
        ).scalar_one()
        return int(value) if value is not None else None

    def scheduled(self, schedule_key: str) -> int | None:
        """The run started under ``schedule_key``, if any."""
        value = self._connection.execute(
            select(reconciliation_runs.c.id).where(
                reconciliation_runs.c.schedule_key == schedule_key
            )
        ).scalar_one_or_none()
        return int(value) if value is not None else None

    # ---- items -------------------------------------------------------------------------------

    def items_by_key(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], ItemRow]:
        """The items of these (transaction, sides, kind) keys that exist."""
        wanted = set(keys)
        txns = sorted({txn for txn, _sides, _kind in wanted})
        found: dict[tuple[str, str, str], ItemRow] = {}
        for part in chunks(txns):
            rows = self._connection.execute(
                select(reconciliation_items).where(
                    among(self._connection, reconciliation_items.c.txn_id, part)
                )
            )
            for row in rows:
                item = item_row(row)
                if item.key in wanted:
                    found[item.key] = item
        return found

    def last_differences(self, item_ids: Sequence[int]) -> dict[int, int]:
        """Each item's latest difference id."""
        d = reconciliation_differences
        found: dict[int, int] = {}
        for part in chunks(sorted(set(item_ids))):
            rows = self._connection.execute(
                select(d.c.item_id, func.max(d.c.id))
                .where(among(self._connection, d.c.item_id, part))
                .group_by(d.c.item_id)
            )
            found.update({int(item_id): int(diff_id) for item_id, diff_id in rows})
        return found

    def add_items(
        self, run_id: int, rows: Sequence[Mapping[str, Any]]
    ) -> dict[tuple[str, str, str], int]:
        """Write the items a run found first (version 1); their ids by key.

        Written in bulk (:func:`bulk_insert`), the ids read back in one query — a ``RETURNING``
        of thousands of rows costs the driver more than the database.
        """
        if not rows:
            return {}
        bulk_insert(self._connection, reconciliation_items, [{**row, "version": 1} for row in rows])
        i = reconciliation_items
        found = self._connection.execute(
            select(i.c.id, i.c.txn_id, i.c.sides, i.c.kind).where(i.c.first_run_id == run_id)
        )
        return {(txn, sides, kind): int(item_id) for item_id, txn, sides, kind in found}

    def change_item(self, item_id: int, *, version: int, values: Mapping[str, Any]) -> bool:
        """Change the item if it is still at ``version`` (and bump it); whether it was."""
        result = self._connection.execute(
            update(reconciliation_items)
            .where(reconciliation_items.c.id == item_id, reconciliation_items.c.version == version)
            .values({**values, "version": version + 1})
        )
        return result.rowcount == 1

    def item(self, item_id: int) -> ItemRow | None:
        """The item ``item_id``, or None."""
        row = self._connection.execute(
            select(reconciliation_items).where(reconciliation_items.c.id == item_id)
        ).first()
        return item_row(row) if row is not None else None

    def clearable(
        self,
        *,
        run_id: int,
        date_from: date,
        date_to: date,
        sides: Sequence[str],
        org_prefix: str | None,
        agent_id: int | None,
        terminal_id: int | None,
    ) -> list[ItemRow]:
        """The items still waiting (open, awaiting, repaired) that a run over this range and node
        covers, on these sides."""
        i = reconciliation_items
        query = select(i).where(
            i.c.state.in_(CLEARABLE),
            i.c.business_date.between(date_from, date_to),
            i.c.sides.in_(list(sides)),
            i.c.last_run_id != run_id,  # not what this run found
        )
        if terminal_id is not None:
            query = query.where(i.c.terminal_id == terminal_id)
        elif agent_id is not None:
            query = query.where(i.c.agent_id == agent_id)
        elif org_prefix:
            query = query.where(i.c.org_path.like(f"{org_prefix}%"))
        return [item_row(row) for row in self._connection.execute(query)]

    # ---- differences -------------------------------------------------------------------------

    def add_differences(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write differences (in bulk: :func:`bulk_insert`)."""
        bulk_insert(self._connection, reconciliation_differences, rows)

    def set_outcome(self, difference_id: int, *, outcome: str, note: str) -> None:
        """Record what was done about a difference."""
        self._connection.execute(
            update(reconciliation_differences)
            .where(reconciliation_differences.c.id == difference_id)
            .values(outcome=outcome, outcome_note=note[:2000])
        )

    def difference(self, difference_id: int) -> Any:
        """The difference row ``difference_id`` (a SQLAlchemy row), or None."""
        return self._connection.execute(
            select(reconciliation_differences).where(
                reconciliation_differences.c.id == difference_id
            )
        ).first()

    def differences_of(self, run_id: int) -> list[Any]:
        """Every difference of the run, in order."""
        d = reconciliation_differences
        return list(
            self._connection.execute(select(d).where(d.c.run_id == run_id).order_by(d.c.id))
        )
