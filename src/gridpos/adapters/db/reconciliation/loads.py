"""The MIS side of reconciliation, loaded in bulk: one load per fetch or imported file.

Lines are written with one multi-row ``INSERT`` per chunk; where each posting was taken (our
terminal, its agent and its place in the tree) is resolved before writing, from the transaction
id's terminal number (the MIS's own terminal field may have been edited) or, for a terminal we do
not know, from the customer's supply station.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select, update

from gridpos.adapters.db.reconciliation.candidates import chunks
from gridpos.adapters.db.tables import (
    organisations,
    reconciliation_mis_lines,
    reconciliation_mis_loads,
    terminals,
)

INSERT_CHUNK: Final = 2_000


@dataclass(frozen=True, slots=True)
class MisLine:
    """One posting of ours as the MIS reports it (``state`` as of the load's last date)."""

    line_no: int
    business_date: date
    payment_id: str
    serial: str
    account_no: str
    amount: int
    penalty: int
    principal: int
    prepaid_net: int
    cash_date: date
    station_code: str
    collection_point_code: str
    terminal_no: str
    operator_code: str
    state: str = "posted"
    undo_date: date | None = None


@dataclass(frozen=True, slots=True)
class LoadRecord:
    """A load as stored."""

    id: int
    source: str
    date_from: date
    date_to: date
    created_at: datetime
    created_by: str
    line_count: int
    amount_total: int
    other_count: int
    other_amount: int
    file_name: str | None


def _terminal_of(payment_id: str, fallback: str) -> str:
    """The terminal number a transaction id of ours starts with (``<terminal>-<serial>-…``)."""
    head, sep, _rest = payment_id.partition("-")
    return head if sep and head else fallback


class MisLoads:
    """Loads and their lines, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(
        self,
        *,
        source: str,
        date_from: date,
        date_to: date,
        lines: Sequence[MisLine],
        other_count: int,
        other_amount: int,
        created_at: datetime,
        created_by: str,
        file_name: str | None = None,
        file_sha256: str | None = None,
    ) -> int:
        """Write a load and its lines; its id."""
        load_id = int(
            self._connection.execute(
                insert(reconciliation_mis_loads)
                .values(
                    source=source,
                    date_from=date_from,
                    date_to=date_to,
                    created_at=created_at,
                    created_by=created_by,
                    line_count=len(lines),
                    amount_total=sum(line.amount for line in lines),
                    other_count=other_count,
                    other_amount=other_amount,
                    file_name=file_name,
                    file_sha256=file_sha256,
                )
                .returning(reconciliation_mis_loads.c.id)
            ).scalar_one()
        )
        places = self._places(lines)
        for part in chunks(lines, INSERT_CHUNK):
            self._connection.execute(
                insert(reconciliation_mis_lines),
                [self._row(load_id, line, places) for line in part],
            )
        return load_id

    def _row(
        self,
        load_id: int,
        line: MisLine,
        places: tuple[dict[str, tuple[int, int | None, str]], dict[str, str]],
    ) -> dict[str, Any]:
        by_terminal, by_station = places
        known = by_terminal.get(_terminal_of(line.payment_id, line.terminal_no))
        return {
            "load_id": load_id,
            "line_no": line.line_no,
            "business_date": line.business_date,
            "payment_id": line.payment_id,
            "serial": line.serial,
            "account_no": line.account_no,
            "amount": line.amount,
            "penalty": line.penalty,
            "principal": line.principal,
            "prepaid_net": line.prepaid_net,
            "cash_date": line.cash_date,
            "station_code": line.station_code,
            "collection_point_code": line.collection_point_code,
            "terminal_no": line.terminal_no,
            "operator_code": line.operator_code,
            "state": line.state,
            "undo_date": line.undo_date,
            "terminal_id": known[0] if known else None,
            "agent_id": known[1] if known else None,
            "org_path": known[2] if known else by_station.get(line.station_code),
        }

    def _places(
        self, lines: Sequence[MisLine]
    ) -> tuple[dict[str, tuple[int, int | None, str]], dict[str, str]]:
        numbers = sorted({_terminal_of(line.payment_id, line.terminal_no) for line in lines})
        by_terminal: dict[str, tuple[int, int | None, str]] = {}
        for part in chunks(numbers):
            rows = self._connection.execute(
                select(
                    terminals.c.terminal_no,
                    terminals.c.id,
                    terminals.c.agent_id,
                    organisations.c.path,
                )
                .join(organisations, organisations.c.id == terminals.c.org_id)
                .where(terminals.c.terminal_no.in_(part))
            )
            for number, terminal_id, agent_id, path in rows:
                by_terminal[number] = (int(terminal_id), agent_id, path)
        stations = sorted({line.station_code for line in lines})
        by_station: dict[str, str] = {}
        for part_codes in chunks(stations):
            rows_codes = self._connection.execute(
                select(organisations.c.code, organisations.c.path).where(
                    organisations.c.code.in_(part_codes)
                )
            )
            by_station.update({str(code): str(path) for code, path in rows_codes})
        return by_terminal, by_station

    def get(self, load_id: int) -> LoadRecord | None:
        """The load ``load_id``, or None."""
        row = self._connection.execute(
            select(reconciliation_mis_loads).where(reconciliation_mis_loads.c.id == load_id)
        ).first()
        if row is None:
            return None
        return LoadRecord(
            id=int(row.id),
            source=row.source,
            date_from=row.date_from,
            date_to=row.date_to,
            created_at=row.created_at,
            created_by=row.created_by,
            line_count=int(row.line_count),
            amount_total=int(row.amount_total),
            other_count=int(row.other_count),
            other_amount=int(row.other_amount),
            file_name=row.file_name,
        )

    def recount(self, load_id: int) -> None:
        """Count and total a load's lines again (after lines were written in bulk by SQL)."""
        lines = reconciliation_mis_lines
        count, total = self._connection.execute(
            select(func.count(), func.coalesce(func.sum(lines.c.amount), 0)).where(
                lines.c.load_id == load_id
            )
        ).one()
        self._connection.execute(
            update(reconciliation_mis_loads)
            .where(reconciliation_mis_loads.c.id == load_id)
            .values(line_count=int(count), amount_total=int(total))
        )
