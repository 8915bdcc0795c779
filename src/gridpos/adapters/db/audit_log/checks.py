"""Proving the audit chain unbroken, and its append-only triggers in place."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, text

from gridpos.adapters.db.audit_log.hashing import (
    GENESIS_HASH,
    entry_hash,
    parse_details,
    utc_iso,
)
from gridpos.adapters.db.breaks import Break, CheckResult
from gridpos.adapters.db.tables import audit_log
from gridpos.adapters.db.tables.audit import APPEND_ONLY_TRIGGERS

CHECK_NAME = "audit_chain"
CHECK_DESCRIPTION = "the audit log is an unbroken hash chain"
PROTECTION_CHECK_NAME = "audit_append_only"
PROTECTION_CHECK_DESCRIPTION = "the triggers refusing UPDATE and DELETE of the audit log are on"
UNSEALED_GRACE = timedelta(minutes=10)
"""How long an entry may wait for the sealer before verification names it."""
_STREAM_BATCH = 2_000


def verify_chain(
    connection: Connection,
    *,
    limit: int = 1_000,
    now: datetime | None = None,
    unsealed_grace: timedelta = UNSEALED_GRACE,
) -> CheckResult:
    """Walk the chain and name every break (at most ``limit``): a missing entry (a gap in the
    positions), a broken link (``prev_hash`` not the hash before it), an altered entry (its
    hash does not match its content), unreadable details, and an entry left unsealed for
    longer than ``unsealed_grace`` before ``now`` (the database's clock when None).

    The chain alone cannot show that entries were cut off its end: compare the head (id and
    hash, see ``AuditLog.head``) with one recorded elsewhere for that. Nor can it show history
    rewritten and rehashed from some entry on by someone able to drop the triggers:
    :func:`check_protection` checks that they are in place.
    """
    breaks: list[Break] = []
    truncated = False
    expected_position = 1
    expected_prev = GENESIS_HASH
    for row in chain_rows(connection, sealed=True):
        breaks.extend(
            _row_breaks(row, expected_position=expected_position, expected_prev=expected_prev)
        )
        if len(breaks) > limit:
            return _chain_result(breaks[:limit], truncated=True)
        expected_position = int(row.chain_position) + 1
        expected_prev = row.hash
    cutoff = (now if now is not None else _database_now(connection)) - unsealed_grace
    stale = connection.execute(
        select(audit_log.c.id, audit_log.c.occurred_at)
        .where(audit_log.c.chain_position.is_(None))
        .where(audit_log.c.occurred_at < cutoff)
        .order_by(audit_log.c.id)
        .limit(limit + 1)
    ).all()
    for row in stale:
        breaks.append(
            Break(
                CHECK_NAME,
                "audit_log",
                int(row.id),
                f"chain position (not sealed within {unsealed_grace})",
                "sealed",
                f"unsealed since {utc_iso(row.occurred_at)}",
            )
        )
    if len(breaks) > limit:
        breaks, truncated = breaks[:limit], True
    return _chain_result(breaks, truncated=truncated)


def check_protection(connection: Connection) -> CheckResult:
    """Check that the triggers making the log append-only exist (and on PostgreSQL are
    enabled): someone with DDL rights could otherwise rewrite history and rehash the chain
    from that point on, which the chain alone would not show."""
    dialect = connection.dialect.name
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
    present = {row.name: bool(row.enabled) for row in connection.execute(query)}
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


def chain_rows(connection: Connection, *, sealed: bool) -> Iterator[Any]:
    """The sealed rows in chain order, or the unsealed ones in id order, streamed."""
    position = audit_log.c.chain_position
    statement = (
        select(audit_log)
        .where(position.is_not(None) if sealed else position.is_(None))
        .order_by(position if sealed else audit_log.c.id)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    yield from connection.execute(statement)


def _database_now(connection: Connection) -> datetime:
    if connection.dialect.name == "postgresql":
        moment: datetime = connection.execute(text("SELECT now()")).scalar_one()
        return moment
    stamp = connection.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f')")).scalar_one()
    return datetime.fromisoformat(str(stamp)).replace(tzinfo=UTC)


def _chain_result(breaks: list[Break], *, truncated: bool) -> CheckResult:
    return CheckResult(
        name=CHECK_NAME, description=CHECK_DESCRIPTION, breaks=tuple(breaks), truncated=truncated
    )


def _row_breaks(row: Any, *, expected_position: int, expected_prev: str) -> list[Break]:
    row_id = int(row.id)
    position = int(row.chain_position)
    breaks: list[Break] = []

    def add(what: str, expected: int | str, found: int | str) -> None:
        breaks.append(Break(CHECK_NAME, "audit_log", row_id, what, expected, found))

    if position != expected_position:
        add("chain position (entries missing before this one)", expected_position, position)
    if row.prev_hash != expected_prev:
        add("prev_hash (link to the entry before)", expected_prev, row.prev_hash)
    details = parse_details(row.details)
    if details is None:
        add("details (not a JSON object)", "a JSON object", row.details)
        return breaks
    recomputed = entry_hash(
        prev_hash=row.prev_hash,
        entry_id=position,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=details,
    )
    if recomputed != row.hash:
        add("hash (content altered)", recomputed, row.hash)
    return breaks
