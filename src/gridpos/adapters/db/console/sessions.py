"""Console sessions kept on the server, and what a sign-in needs to know of an operator.

A session is found by the SHA-256 of its cookie token (see
:mod:`gridpos.adapters.db.tables.console`); reading one also reads its operator and the
operator's place in the tree, so every request costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.orm import aliased

from gridpos.adapters.db.tables import console_sessions, operators, organisations


@dataclass(frozen=True, slots=True)
class SignInCandidate:
    """An operator who might be signing in, with their organisation."""

    id: int
    account: str
    name: str
    password_hash: str
    role: str
    agent_id: int | None
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    org_id: int
    org_code: str
    org_name: str
    org_path: str
    org_level: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A stored session with its operator as they are now."""

    id: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    operator: SignInCandidate


def _candidate(row: Any) -> SignInCandidate:
    return SignInCandidate(
        id=int(row.id),
        account=row.account,
        name=row.name,
        password_hash=row.password_hash,
        role=row.role,
        agent_id=None if row.agent_id is None else int(row.agent_id),
        disabled=bool(row.disabled),
        failed_attempts=int(row.failed_attempts),
        locked_until=row.locked_until,
        org_id=int(row.org_id),
        org_code=row.org_code,
        org_name=row.org_name,
        org_path=row.org_path,
        org_level=row.org_level,
    )


_CANDIDATE_COLUMNS = (
    operators.c.id,
    operators.c.account,
    operators.c.name,
    operators.c.password_hash,
    operators.c.role,
    operators.c.agent_id,
    operators.c.disabled,
    operators.c.failed_attempts,
    operators.c.locked_until,
    operators.c.org_id,
    organisations.c.code.label("org_code"),
    organisations.c.name.label("org_name"),
    organisations.c.path.label("org_path"),
    organisations.c.level.label("org_level"),
)
_OPERATOR_WITH_ORG = operators.join(organisations, organisations.c.id == operators.c.org_id)


class ConsoleSessionStore:
    """Sessions and sign-in look-ups, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # ---- sign-in -------------------------------------------------------------------------

    def organisation_by_code(self, code: str) -> tuple[int, str, bool] | None:
        """``(id, path, disabled)`` of the organisation with ``code``, or None."""
        row = self._connection.execute(
            select(organisations.c.id, organisations.c.path, organisations.c.disabled).where(
                organisations.c.code == code
            )
        ).first()
        return None if row is None else (int(row.id), row.path, bool(row.disabled))

    def candidates(self, account: str) -> list[SignInCandidate]:
        """Every operator with this account, wherever they are, in id order."""
        rows = self._connection.execute(
            select(*_CANDIDATE_COLUMNS)
            .select_from(_OPERATOR_WITH_ORG)
            .where(operators.c.account == account)
            .order_by(operators.c.id)
        )
        return [_candidate(row) for row in rows]

    def disabled_on_path(self, org_path: str) -> list[str]:
        """The codes of disabled organisations on ``org_path`` (the node and those above it)."""
        ids = [int(part) for part in org_path.strip("/").split("/") if part]
        return list(
            self._connection.execute(
                select(organisations.c.code)
                .where(organisations.c.id.in_(ids))
                .where(organisations.c.disabled.is_(True))
                .order_by(organisations.c.path)
            ).scalars()
        )

    def record_failure(self, operator_id: int, *, lock_until: datetime | None) -> int:
        """Count one wrong password (locking until ``lock_until`` if given); the new count."""
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

    def clear_failures(self, operator_id: int) -> None:
        """A right password: failures and any expired lock are forgotten."""
        self._connection.execute(
            update(operators)
            .where(operators.c.id == operator_id)
            .values(failed_attempts=0, locked_until=None)
        )

    # ---- sessions ------------------------------------------------------------------------

    def open(
        self,
        *,
        session_id: str,
        operator_id: int,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a new session."""
        self._connection.execute(
            insert(console_sessions).values(
                id=session_id,
                operator_id=operator_id,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )

    def find(self, session_id: str) -> SessionRecord | None:
        """The session ``session_id`` with its operator, or None."""
        session = aliased(console_sessions)
        row = self._connection.execute(
            select(
                session.c.id.label("session_id"),
                session.c.csrf_token,
                session.c.created_at,
                session.c.last_seen_at,
                session.c.expires_at,
                session.c.revoked_at,
                *_CANDIDATE_COLUMNS,
            )
            .select_from(_OPERATOR_WITH_ORG.join(session, session.c.operator_id == operators.c.id))
            .where(session.c.id == session_id)
        ).first()
        if row is None:
            return None
        return SessionRecord(
            id=row.session_id,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            operator=_candidate(row),
        )

    def touch(self, session_id: str, *, now: datetime) -> None:
        """Note that the session was used at ``now``."""
        self._connection.execute(
            update(console_sessions)
            .where(console_sessions.c.id == session_id)
            .values(last_seen_at=now)
        )

    def revoke(self, session_id: str, *, now: datetime) -> bool:
        """End one session; whether it was still open."""
        result = self._connection.execute(
            update(console_sessions)
            .where(console_sessions.c.id == session_id)
            .where(console_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount > 0

    def revoke_all(self, operator_id: int, *, now: datetime) -> int:
        """End every open session of an operator; how many were open."""
        result = self._connection.execute(
            update(console_sessions)
            .where(console_sessions.c.operator_id == operator_id)
            .where(console_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    def prune(self, *, ended_before: datetime) -> int:
        """Delete sessions that ended (expired or revoked) before ``ended_before``; how many."""
        result = self._connection.execute(
            delete(console_sessions).where(
                or_(
                    console_sessions.c.expires_at < ended_before,
                    console_sessions.c.revoked_at < ended_before,
                )
            )
        )
        return int(result.rowcount)
