"""Appending to the hash-chained audit log, and proving the chain unbroken.

Each entry's hash is ``sha256(prev_hash + canonical JSON of the entry)``, where the entry is its
position ``id``, ``occurred_at`` in UTC ISO form, ``actor``, ``action``, ``subject`` and
``details``. Canonical JSON (sorted keys, no spaces, UTF-8) and UTC timestamps with microseconds
make the hash the same whichever database holds the row, so a chain can be verified after a move
from SQLite to PostgreSQL, or by a program that never saw the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text

from gridpos.adapters.db.breaks import Break, CheckResult
from gridpos.adapters.db.tables import audit_log
from gridpos.adapters.db.tables.audit import APPEND_ONLY_TRIGGERS

GENESIS_HASH = "0" * 64
CHECK_NAME = "audit_chain"
CHECK_DESCRIPTION = "the audit log is an unbroken hash chain"
PROTECTION_CHECK_NAME = "audit_append_only"
PROTECTION_CHECK_DESCRIPTION = "the triggers refusing UPDATE and DELETE of the audit log are on"

# key of the PostgreSQL advisory lock that serialises appends (the bytes of "gpaudit\0")
_APPEND_LOCK_KEY = 0x6770617564697400
_STREAM_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the audit log as written."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, non-ASCII kept, dates in ISO form.

    Raises ``TypeError`` for floats (money is int fen; pass anything else as text) and for
    values JSON cannot hold.
    """
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def utc_iso(moment: datetime) -> str:
    """``moment`` in UTC as ``2024-05-01T08:30:00.000000Z``. Raises ``ValueError`` if naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    prev_hash: str,
    entry_id: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
) -> str:
    """The hash of one entry, chained to ``prev_hash`` (hex sha256)."""
    body = canonical_json(
        {
            "id": entry_id,
            "occurred_at": utc_iso(occurred_at),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


class AuditLog:
    """The audit log, read and appended through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def head(self) -> tuple[int, str]:
        """The id and hash of the last entry, or ``(0, GENESIS_HASH)`` for an empty log."""
        row = self._connection.execute(
            select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
        ).first()
        if row is None:
            return 0, GENESIS_HASH
        return int(row.id), str(row.hash)

    def append(
        self,
        *,
        occurred_at: datetime,
        actor: str,
        action: str,
        subject: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry at the end of the chain, in the caller's transaction.

        Appends are serialised: by ``BEGIN IMMEDIATE`` on SQLite, by a transaction-scoped advisory
        lock on PostgreSQL; and the unique ``prev_hash`` makes a fork impossible even so.

        Raises ``ValueError`` for a naive ``occurred_at`` and ``TypeError`` for details that are
        not plain JSON (see :func:`canonical_json`).
        """
        details = dict(details or {})
        details_json = canonical_json(details)
        if self._connection.dialect.name == "postgresql":
            self._connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK_KEY}
            )
        last_id, prev_hash = self.head()
        entry_id = last_id + 1
        digest = entry_hash(
            prev_hash=prev_hash,
            entry_id=entry_id,
            occurred_at=occurred_at,
            actor=actor,
            action=action,
            subject=subject,
            details=details,
        )
        self._connection.execute(
            insert(audit_log).values(
                id=entry_id,
                occurred_at=occurred_at,
                actor=actor,
                action=action,
                subject=subject,
                details=details_json,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        return AuditEntry(
            id=entry_id,
            occurred_at=occurred_at,
            actor=actor,
            action=action,
            subject=subject,
            details=details,
            prev_hash=prev_hash,
            hash=digest,
        )

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry in chain order, streamed (details of an unreadable row come back empty)."""
        for row in self._rows():
            yield AuditEntry(
                id=int(row.id),
                occurred_at=row.occurred_at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                details=_parse_details(row.details) or {},
                prev_hash=row.prev_hash,
                hash=row.hash,
            )

    def verify(self, *, limit: int = 1_000) -> CheckResult:
        """Walk the chain and name every break (at most ``limit``): a missing entry (a gap in the
        positions), a broken link (``prev_hash`` not the hash before it), an altered entry (its
        hash does not match its content) or unreadable details.

        The chain alone cannot show that entries were cut off its end: compare the head (id and
        hash, see :meth:`head`) with one recorded elsewhere for that. Nor can it show history
        rewritten and rehashed from some entry on by someone able to drop the triggers:
        :meth:`protection` checks that they are in place.
        """
        breaks: list[Break] = []
        truncated = False
        expected_id = 1
        expected_prev = GENESIS_HASH
        for row in self._rows():
            row_id = int(row.id)
            found = _row_breaks(row, expected_id=expected_id, expected_prev=expected_prev)
            breaks.extend(found)
            if len(breaks) > limit:
                truncated = True
                breaks = breaks[:limit]
                break
            expected_id = row_id + 1
            expected_prev = row.hash
        return CheckResult(
            name=CHECK_NAME,
            description=CHECK_DESCRIPTION,
            breaks=tuple(breaks),
            truncated=truncated,
        )

    def protection(self) -> CheckResult:
        """Check that the triggers making the log append-only exist (and on PostgreSQL are
        enabled): someone with DDL rights could otherwise rewrite history and rehash the chain
        from that point on, which the chain alone would not show."""
        dialect = self._connection.dialect.name
        if dialect == "postgresql":
            query = text(
                "SELECT tgname AS name, tgenabled <> 'D' AS enabled FROM pg_trigger"
                " WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            )
        else:
            query = text(
                "SELECT name, 1 AS enabled FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            )
        present = {row.name: bool(row.enabled) for row in self._connection.execute(query)}
        breaks = tuple(
            Break(
                PROTECTION_CHECK_NAME,
                "audit_log",
                None,
                f"trigger {name}",
                "enabled",
                "disabled" if name in present else "missing",
            )
            for name in APPEND_ONLY_TRIGGERS[dialect]
            if not present.get(name, False)
        )
        return CheckResult(
            name=PROTECTION_CHECK_NAME, description=PROTECTION_CHECK_DESCRIPTION, breaks=breaks
        )

    def _rows(self) -> Iterator[Any]:
        statement = (
            select(audit_log).order_by(audit_log.c.id).execution_options(yield_per=_STREAM_BATCH)
        )
        yield from self._connection.execute(statement)


def _row_breaks(row: Any, *, expected_id: int, expected_prev: str) -> list[Break]:
    row_id = int(row.id)
    breaks: list[Break] = []

    def add(what: str, expected: int | str, found: int | str) -> None:
        breaks.append(Break(CHECK_NAME, "audit_log", row_id, what, expected, found))

    if row_id != expected_id:
        add("id (entries missing before this one)", expected_id, row_id)
    if row.prev_hash != expected_prev:
        add("prev_hash (link to the entry before)", expected_prev, row.prev_hash)
    details = _parse_details(row.details)
    if details is None:
        add("details (not a JSON object)", "a JSON object", row.details)
        return breaks
    recomputed = entry_hash(
        prev_hash=row.prev_hash,
        entry_id=row_id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=details,
    )
    if recomputed != row.hash:
        add("hash (content altered)", recomputed, row.hash)
    return breaks


def _parse_details(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats have no place in the audit log; money is int fen")
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"{type(value).__name__} cannot go into the audit log as JSON")
