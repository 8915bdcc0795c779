"""The audit log's writers: entries chained at once, entries left for the sealer, the sealer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update

from gridpos.adapters.db.audit_log.checks import (
    UNSEALED_GRACE,
    chain_rows,
    check_protection,
    verify_chain,
)
from gridpos.adapters.db.audit_log.hashing import (
    GENESIS_HASH,
    canonical_json,
    entry_hash,
    parse_details,
    utc_iso,
)
from gridpos.adapters.db.breaks import CheckResult
from gridpos.adapters.db.engine import WRITE_OPTION, connect
from gridpos.adapters.db.tables import audit_log
from gridpos.domain.audit import AuditAction

SEAL_BATCH = 2_000
"""Entries chained per sealing transaction."""

# key of the PostgreSQL advisory lock that serialises chaining (the bytes of "gpaudit\0")
_CHAIN_LOCK_KEY = 0x6770617564697400
_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the audit log; ``position``, ``prev_hash`` and ``hash`` are None while it is
    unsealed."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str | None
    hash: str | None
    position: int | None = None


class AuditLog:
    """The audit log, read and appended through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def head(self) -> tuple[int, str]:
        """The chain position and hash of the last sealed entry, ``(0, GENESIS_HASH)`` if none."""
        row = self._connection.execute(
            select(audit_log.c.chain_position, audit_log.c.hash)
            .where(audit_log.c.chain_position.is_not(None))
            .order_by(audit_log.c.chain_position.desc())
            .limit(1)
        ).first()
        if row is None:
            return 0, GENESIS_HASH
        return int(row.chain_position), str(row.hash)

    def append(
        self,
        *,
        occurred_at: datetime,
        actor: str,
        action: AuditAction,
        subject: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry at the end of the chain, sealed, in the caller's transaction; its
        ``action`` one of :class:`~gridpos.domain.audit.AuditAction`, the codes the console names.

        Chaining is serialised: by ``BEGIN IMMEDIATE`` on SQLite, by a transaction-scoped advisory
        lock on PostgreSQL (held until the caller commits); unique positions and ``prev_hash``
        make a fork impossible even so.

        Raises ``ValueError`` for a naive ``occurred_at`` and ``TypeError`` for details that are
        not plain JSON (see :func:`canonical_json`).
        """
        details = dict(details or {})
        details_json = canonical_json(details)
        code = str(action)
        utc_iso(occurred_at)  # refuse a naive time before taking the lock
        self._lock_chain()
        last_position, prev_hash = self.head()
        position = last_position + 1
        digest = entry_hash(
            prev_hash=prev_hash,
            entry_id=position,
            occurred_at=occurred_at,
            actor=actor,
            action=code,
            subject=subject,
            details=details,
        )
        entry_id = self._connection.execute(
            insert(audit_log)
            .values(
                occurred_at=occurred_at,
                actor=actor,
                action=code,
                subject=subject,
                details=details_json,
                chain_position=position,
                prev_hash=prev_hash,
                hash=digest,
            )
            .returning(audit_log.c.id)
        ).scalar_one()
        return AuditEntry(
            id=int(entry_id),
            occurred_at=occurred_at,
            actor=actor,
            action=code,
            subject=subject,
            details=details,
            prev_hash=prev_hash,
            hash=digest,
            position=position,
        )

    def append_unsealed(
        self,
        *,
        occurred_at: datetime,
        actor: str,
        action: AuditAction,
        subject: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry for the sealer to chain later: no lock, no read of the head (on
        SQLite, where writers are serialised anyway, it is sealed at once as by :meth:`append`).

        Raises ``ValueError`` for a naive ``occurred_at`` and ``TypeError`` for details that are
        not plain JSON (see :func:`canonical_json`).
        """
        if self._connection.dialect.name != "postgresql":
            return self.append(
                occurred_at=occurred_at,
                actor=actor,
                action=action,
                subject=subject,
                details=details,
            )
        details = dict(details or {})
        details_json = canonical_json(details)
        code = str(action)
        utc_iso(occurred_at)
        entry_id = self._connection.execute(
            insert(audit_log)
            .values(
                occurred_at=occurred_at,
                actor=actor,
                action=code,
                subject=subject,
                details=details_json,
            )
            .returning(audit_log.c.id)
        ).scalar_one()
        return AuditEntry(
            id=int(entry_id),
            occurred_at=occurred_at,
            actor=actor,
            action=code,
            subject=subject,
            details=details,
            prev_hash=None,
            hash=None,
        )

    def seal(self, *, limit: int = SEAL_BATCH) -> int:
        """Chain up to ``limit`` unsealed entries, in id order, in the caller's transaction (which
        holds the chain's lock from here to its end); how many were sealed.

        An entry whose details are not a JSON object (written around the application) is left
        unsealed, for verification to name.
        """
        if not self.has_unsealed():
            return 0
        self._lock_chain()
        rows = list(
            self._connection.execute(
                select(
                    audit_log.c.id,
                    audit_log.c.occurred_at,
                    audit_log.c.actor,
                    audit_log.c.action,
                    audit_log.c.subject,
                    audit_log.c.details,
                )
                .where(audit_log.c.chain_position.is_(None))
                .order_by(audit_log.c.id)
                .limit(limit)
            )
        )
        position, prev_hash = self.head()
        sealed: list[dict[str, Any]] = []
        for row in rows:
            details = parse_details(row.details)
            if details is None:
                _log.warning("audit_entry_unreadable", entry_id=int(row.id))
                continue
            position += 1
            digest = entry_hash(
                prev_hash=prev_hash,
                entry_id=position,
                occurred_at=row.occurred_at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                details=details,
            )
            sealed.append(
                {"b_id": int(row.id), "b_position": position, "b_prev": prev_hash, "b_hash": digest}
            )
            prev_hash = digest
        if sealed:
            self._connection.execute(
                update(audit_log)
                .where(audit_log.c.id == bindparam("b_id"))
                .where(audit_log.c.chain_position.is_(None))
                .values(
                    chain_position=bindparam("b_position"),
                    prev_hash=bindparam("b_prev"),
                    hash=bindparam("b_hash"),
                ),
                sealed,
            )
        return len(sealed)

    def unsealed_count(self) -> int:
        """How many entries wait for the sealer."""
        return int(
            self._connection.execute(
                text("SELECT count(*) FROM audit_log WHERE chain_position IS NULL")
            ).scalar_one()
        )

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry, streamed: the sealed ones in chain order, then the unsealed ones in id
        order (details of an unreadable row come back empty)."""
        for row in chain_rows(self._connection, sealed=True):
            yield _entry(row)
        for row in chain_rows(self._connection, sealed=False):
            yield _entry(row)

    def verify(
        self,
        *,
        limit: int = 1_000,
        now: datetime | None = None,
        unsealed_grace: timedelta = UNSEALED_GRACE,
    ) -> CheckResult:
        """The chain check (see :func:`~gridpos.adapters.db.audit_log.checks.verify_chain`)."""
        return verify_chain(self._connection, limit=limit, now=now, unsealed_grace=unsealed_grace)

    def protection(self) -> CheckResult:
        """The triggers check (see
        :func:`~gridpos.adapters.db.audit_log.checks.check_protection`)."""
        return check_protection(self._connection)

    def _lock_chain(self) -> None:
        if self._connection.dialect.name == "postgresql":
            self._connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY}
            )

    def has_unsealed(self) -> bool:
        return (
            self._connection.execute(
                select(audit_log.c.id).where(audit_log.c.chain_position.is_(None)).limit(1)
            ).first()
            is not None
        )


def seal_audit_log(engine: Engine, *, batch: int = SEAL_BATCH, max_batches: int = 1_000) -> int:
    """Chain every unsealed entry (at most ``batch × max_batches``), a batch per transaction;
    how many were sealed. Safe to run from several processes at once: they queue on the lock.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the database
    cannot be reached.
    """
    total = 0
    with connect(engine) as connection:
        # a look without the write lock first: most rounds find nothing to seal
        if not AuditLog(connection).has_unsealed():
            return 0
        connection.rollback()
        connection.execution_options(**{WRITE_OPTION: True})
        for _ in range(max_batches):
            with connection.begin():
                sealed = AuditLog(connection).seal(limit=batch)
            total += sealed
            if sealed < batch:
                break
    return total


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row.id),
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=parse_details(row.details) or {},
        prev_hash=row.prev_hash,
        hash=row.hash,
        position=None if row.chain_position is None else int(row.chain_position),
    )
