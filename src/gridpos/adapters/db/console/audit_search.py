"""Searching the audit log for the console: filters on who, what, which subject and when, read a
page at a time by keyset over ``(occurred_at, id)``.

Every search has an index to walk (migration 0006): ``occurred_at`` alone, or ``actor``,
``action`` or ``subject`` each followed by ``occurred_at``. On PostgreSQL the text columns are
indexed with ``text_pattern_ops``, so "starts with" is an index range scan. A prefix may still
match a great part of the history, which then has to be sorted: :meth:`AuditSearch.count` counts
at most ``cap`` matches so a caller can refuse such a search before asking for a page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from gridpos.adapters.db.tables import audit_log


class AuditOrder(StrEnum):
    """The order a page of the log is read in."""

    NEWEST_FIRST = "desc"
    OLDEST_FIRST = "asc"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to show; every part optional. ``actor``, ``subject`` and ``action_prefix``
    match the start of the column; ``since`` is inclusive, ``until`` exclusive."""

    actor: str | None = None
    action: str | None = None
    action_prefix: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def has_prefix(self) -> bool:
        """Whether a part matches by prefix (and so may need a sort of many rows)."""
        return bool(self.actor or self.subject or self.action_prefix)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One entry as the list shows it."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    hash: str | None


def _conditions(wanted: AuditFilter) -> list[ColumnElement[bool]]:
    log = audit_log.c
    found: list[ColumnElement[bool]] = []
    if wanted.actor:
        found.append(log.actor.startswith(wanted.actor, autoescape=True))
    if wanted.action:
        found.append(log.action == wanted.action)
    elif wanted.action_prefix:
        found.append(log.action.startswith(wanted.action_prefix, autoescape=True))
    if wanted.subject:
        found.append(log.subject.startswith(wanted.subject, autoescape=True))
    if wanted.since is not None:
        found.append(log.occurred_at >= wanted.since)
    if wanted.until is not None:
        found.append(log.occurred_at < wanted.until)
    return found


def _details(raw: str) -> Mapping[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class AuditSearch:
    """The audit log for the console, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def count(self, wanted: AuditFilter, *, cap: int) -> int:
        """How many entries match, counting no further than ``cap`` + 1."""
        inner = select(audit_log.c.id).where(*_conditions(wanted)).limit(cap + 1).subquery()
        return int(self._connection.execute(select(func.count()).select_from(inner)).scalar_one())

    def position(self, entry_id: int) -> tuple[datetime, int] | None:
        """Where entry ``entry_id`` stands in the keyset order, or None if there is none."""
        row = self._connection.execute(
            select(audit_log.c.occurred_at, audit_log.c.id).where(audit_log.c.id == entry_id)
        ).first()
        return None if row is None else (row.occurred_at, int(row.id))

    def page(
        self,
        wanted: AuditFilter,
        *,
        order: AuditOrder,
        limit: int,
        after: tuple[datetime, int] | None = None,
        before: tuple[datetime, int] | None = None,
    ) -> list[AuditRow]:
        """At most ``limit`` entries in ``order``: the first ones, those just ``after`` a
        position, or those just ``before`` it (still returned in ``order``)."""
        log = audit_log.c
        query: Select[Any] = select(audit_log).where(*_conditions(wanted))
        descending = order is AuditOrder.NEWEST_FIRST
        backwards = before is not None
        if after is not None or before is not None:
            at, entry_id = after if after is not None else before  # type: ignore[misc]
            # "further along" in the chosen order: older when newest first, and the reverse
            older = descending != backwards
            if older:
                query = query.where(
                    log.occurred_at <= at,
                    or_(log.occurred_at < at, and_(log.occurred_at == at, log.id < entry_id)),
                )
            else:
                query = query.where(
                    log.occurred_at >= at,
                    or_(log.occurred_at > at, and_(log.occurred_at == at, log.id > entry_id)),
                )
        read_descending = descending != backwards
        if read_descending:
            query = query.order_by(log.occurred_at.desc(), log.id.desc())
        else:
            query = query.order_by(log.occurred_at.asc(), log.id.asc())
        rows = [
            AuditRow(
                id=int(row.id),
                occurred_at=row.occurred_at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                details=_details(row.details),
                hash=row.hash,
            )
            for row in self._connection.execute(query.limit(limit))
        ]
        if backwards:
            rows.reverse()
        return rows
