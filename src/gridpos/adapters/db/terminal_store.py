"""Terminals: enrolment, keys, the replay guard, the heartbeat, the open business day and batch.

A heartbeat may carry a report of a damaged terminal journal: the latest is kept in
``journal_damage`` (with ``journal_damage_at``, when it last changed) until the terminal is
enrolled again with a fresh journal.

The replay guard is one statement: ``UPDATE terminals SET last_counter = :n WHERE id = :id AND
last_counter < :n AND state = 'active'`` — two requests with the same counter can never both pass,
whatever the interleaving, and the counter is kept only with the transaction that accepted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from gridpos.adapters.db.tables import batches, organisations, terminals


@dataclass(frozen=True, slots=True)
class TerminalRecord:
    """A terminal as stored."""

    id: int
    terminal_no: str
    org_id: int
    agent_id: int | None
    state: str
    key_material: bytes | None
    key_version: int
    last_counter: int
    business_date: date | None
    signed_in_operator_id: int | None
    signed_in_at: datetime | None
    enrolment_code_hash: str | None
    enrolment_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class TerminalSession:
    """What a terminal's accepted request learns of its sign-in (签到), all None when signed out."""

    business_date: date | None
    operator_id: int | None
    signed_in_at: datetime | None
    agent_id: int | None
    org_id: int


@dataclass(frozen=True, slots=True)
class HeartbeatValues:
    """The health a terminal reports (any part may be missing)."""

    signal: int | None
    battery: int | None
    queue_depth: int | None
    program_version: str | None
    journal_damage: str | None = None  # canonical JSON of a damaged journal's report


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A batch (扎帐 unit) of one terminal on one business date."""

    id: int
    batch_no: int
    business_date: date
    state: str
    operator_id: int | None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True, slots=True)
class OrganisationContext:
    """Where a terminal stands: its county company, supply station and collection point."""

    org_id: int
    org_path: str
    county_id: int
    county_path: str
    company: str
    station_id: int
    station: str
    station_code: str
    collection_point: str
    collection_point_code: str


_COLUMNS = (
    terminals.c.id,
    terminals.c.terminal_no,
    terminals.c.org_id,
    terminals.c.agent_id,
    terminals.c.state,
    terminals.c.key_material,
    terminals.c.key_version,
    terminals.c.last_counter,
    terminals.c.business_date,
    terminals.c.signed_in_operator_id,
    terminals.c.signed_in_at,
    terminals.c.enrolment_code_hash,
    terminals.c.enrolment_expires_at,
)


def _record(row: Any) -> TerminalRecord:
    return TerminalRecord(
        id=int(row.id),
        terminal_no=row.terminal_no,
        org_id=int(row.org_id),
        agent_id=row.agent_id,
        state=row.state,
        key_material=bytes(row.key_material) if row.key_material is not None else None,
        key_version=int(row.key_version),
        last_counter=int(row.last_counter),
        business_date=row.business_date,
        signed_in_operator_id=row.signed_in_operator_id,
        signed_in_at=row.signed_in_at,
        enrolment_code_hash=row.enrolment_code_hash,
        enrolment_expires_at=row.enrolment_expires_at,
    )


class TerminalStore:
    """Terminals and their batches, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- reading ---------------------------------------------------------------------------

    def by_number(self, terminal_no: str) -> TerminalRecord | None:
        """The terminal numbered ``terminal_no``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).where(terminals.c.terminal_no == terminal_no)
        ).first()
        return None if row is None else _record(row)

    def by_id(self, terminal_id: int) -> TerminalRecord:
        """The terminal ``terminal_id`` (it must exist)."""
        row = self._connection.execute(select(*_COLUMNS).where(terminals.c.id == terminal_id)).one()
        return _record(row)

    def by_enrolment_hash(self, code_hash: str) -> TerminalRecord | None:
        """The terminal whose enrolment code hashes to ``code_hash``, or None."""
        row = self._connection.execute(
            select(*_COLUMNS).where(terminals.c.enrolment_code_hash == code_hash)
        ).first()
        return None if row is None else _record(row)

    def listing(self) -> list[TerminalRecord]:
        """Every terminal in number order."""
        return [
            _record(row)
            for row in self._connection.execute(select(*_COLUMNS).order_by(terminals.c.terminal_no))
        ]

    def organisation_context(self, org_id: int) -> OrganisationContext:
        """The county, station and collection point above (or at) ``org_id``.

        A terminal carried by station staff stands at the station itself: its collection point
        is then the station. Raises ``LookupError`` when there is no county above ``org_id``.
        """
        own = self._connection.execute(
            select(organisations.c.path, organisations.c.name, organisations.c.code).where(
                organisations.c.id == org_id
            )
        ).one()
        ids = [int(part) for part in own.path.strip("/").split("/") if part]
        rows = {
            int(row.id): row
            for row in self._connection.execute(
                select(
                    organisations.c.id,
                    organisations.c.level,
                    organisations.c.name,
                    organisations.c.path,
                    organisations.c.code,
                ).where(organisations.c.id.in_(ids))
            )
        }
        county = next((rows[i] for i in ids if rows[i].level == "county"), None)
        if county is None:
            raise LookupError(f"organisation {org_id} has no county company above it")
        station = next((rows[i] for i in ids if rows[i].level == "station"), None) or rows[org_id]
        return OrganisationContext(
            org_id=org_id,
            org_path=own.path,
            county_id=int(county.id),
            county_path=county.path,
            company=county.name,
            station_id=int(station.id),
            station=station.name,
            station_code=station.code,
            collection_point=own.name,
            collection_point_code=own.code,
        )

    # ---- the replay guard and heartbeat ------------------------------------------------------

    def claim_counter(
        self,
        terminal_id: int,
        counter: int,
        *,
        now: datetime,
        heartbeat: HeartbeatValues | None = None,
        key_version: int | None = None,
    ) -> TerminalSession | None:
        """Keep ``counter`` as the terminal's last one if it is higher and the terminal active
        (and, given ``key_version``, still holds the key of that version).

        Returns the terminal's sign-in, or None when the counter is not above the last one, the
        terminal is no longer active or has been enrolled again (nothing changed then).
        """
        values: dict[str, Any] = {"last_counter": counter, "last_seen_at": now}
        if heartbeat is not None:
            values.update(_heartbeat_values(heartbeat))
        guard = (
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .where(terminals.c.last_counter < counter)
            .where(terminals.c.state == "active")
        )
        if key_version is not None:
            guard = guard.where(terminals.c.key_version == key_version)
        row = self._connection.execute(
            guard.values(values).returning(
                terminals.c.business_date,
                terminals.c.signed_in_operator_id,
                terminals.c.signed_in_at,
                terminals.c.agent_id,
                terminals.c.org_id,
            )
        ).first()
        if row is None:
            return None
        return TerminalSession(
            business_date=row.business_date,
            operator_id=row.signed_in_operator_id,
            signed_in_at=row.signed_in_at,
            agent_id=row.agent_id,
            org_id=int(row.org_id),
        )

    def record_heartbeat(
        self, terminal_id: int, heartbeat: HeartbeatValues, *, now: datetime
    ) -> bool:
        """Keep the health a terminal reported; whether it carried a journal-damage report other
        than the one kept (the new one is then kept, changed at ``now``)."""
        self._connection.execute(
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .values(_heartbeat_values(heartbeat))
        )
        if heartbeat.journal_damage is None:
            return False
        # one statement: of two heartbeats with the same new report, only one changes the row
        changed = self._connection.execute(
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .where(
                or_(
                    terminals.c.journal_damage.is_(None),
                    terminals.c.journal_damage != heartbeat.journal_damage,
                )
            )
            .values(journal_damage=heartbeat.journal_damage, journal_damage_at=now)
            .returning(terminals.c.id)
        ).first()
        return changed is not None

    # ---- administration and enrolment ----------------------------------------------------------

    def add(self, *, terminal_no: str, org_id: int, agent_id: int | None) -> int:
        """A new terminal, issued but not yet enrolled; its id."""
        return int(
            self._connection.execute(
                insert(terminals)
                .values(terminal_no=terminal_no, org_id=org_id, agent_id=agent_id, state="issued")
                .returning(terminals.c.id)
            ).scalar_one()
        )

    def set_enrolment_code(self, terminal_id: int, *, code_hash: str, expires_at: datetime) -> None:
        """Give the terminal a new one-time enrolment code (only its hash is kept)."""
        self._connection.execute(
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .values(enrolment_code_hash=code_hash, enrolment_expires_at=expires_at)
        )

    def enrol(self, terminal_id: int, *, key: bytes, program_version: str, now: datetime) -> None:
        """Store the terminal's new key: active, counter from zero, the code spent."""
        self._connection.execute(
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .values(
                state="active",
                key_material=key,
                key_version=terminals.c.key_version + 1,
                last_counter=0,
                last_seen_at=now,
                program_version=program_version,
                enrolment_expires_at=None,
                business_date=None,
                signed_in_operator_id=None,
                signed_in_at=None,
                journal_damage=None,  # a terminal enrols only on a journal without identity
                journal_damage_at=None,
            )
        )

    def set_state(self, terminal_id: int, state: str) -> None:
        """Disable (or re-enable) a terminal."""
        self._connection.execute(
            update(terminals).where(terminals.c.id == terminal_id).values(state=state)
        )

    # ---- the business day --------------------------------------------------------------------

    def sign_in(
        self,
        terminal_id: int,
        *,
        business_date: date,
        operator_id: int,
        agent_id: int,
        now: datetime,
    ) -> None:
        """Open (or reopen) the terminal's business day for ``operator_id`` of ``agent_id``."""
        self._connection.execute(
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .values(
                business_date=business_date,
                signed_in_operator_id=operator_id,
                signed_in_at=now,
                agent_id=agent_id,
            )
        )

    def sign_out(self, terminal_id: int) -> None:
        """Close the terminal's session."""
        self._connection.execute(
            update(terminals)
            .where(terminals.c.id == terminal_id)
            .values(business_date=None, signed_in_operator_id=None, signed_in_at=None)
        )

    def current_batch(self, terminal_id: int, business_date: date) -> BatchRecord | None:
        """The latest batch of the terminal on ``business_date``, or None."""
        row = self._connection.execute(
            select(batches)
            .where(batches.c.terminal_id == terminal_id)
            .where(batches.c.business_date == business_date)
            .order_by(batches.c.batch_no.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return BatchRecord(
            id=int(row.id),
            batch_no=int(row.batch_no),
            business_date=row.business_date,
            state=row.state,
            operator_id=row.operator_id,
        )

    def open_batch(
        self, terminal_id: int, *, business_date: date, operator_id: int, now: datetime
    ) -> BatchRecord:
        """The terminal's open batch on ``business_date``: the current one, or a new one."""
        current = self.current_batch(terminal_id, business_date)
        if current is not None and current.is_open:
            return current
        number = 1 if current is None else current.batch_no + 1
        new_id = self._connection.execute(
            insert(batches)
            .values(
                terminal_id=terminal_id,
                business_date=business_date,
                batch_no=number,
                operator_id=operator_id,
                state="open",
                opened_at=now,
            )
            .returning(batches.c.id)
        ).scalar_one()
        return BatchRecord(
            id=int(new_id),
            batch_no=number,
            business_date=business_date,
            state="open",
            operator_id=operator_id,
        )

    def batch_closed_on(self, terminal_id: int, business_date: date) -> bool:
        """Whether every batch of the terminal on ``business_date`` is closed (and there is one)."""
        row = self._connection.execute(
            select(
                func.count().label("all_"),
                func.count().filter(batches.c.state == "open").label("open_"),
            )
            .where(batches.c.terminal_id == terminal_id)
            .where(batches.c.business_date == business_date)
        ).one()
        return int(row.all_) > 0 and int(row.open_) == 0


def _heartbeat_values(heartbeat: HeartbeatValues) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if heartbeat.signal is not None:
        values["signal"] = heartbeat.signal
    if heartbeat.battery is not None:
        values["battery"] = heartbeat.battery
    if heartbeat.queue_depth is not None:
        values["queue_depth"] = heartbeat.queue_depth
    if heartbeat.program_version is not None:
        values["program_version"] = heartbeat.program_version
    return values
