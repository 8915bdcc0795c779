"""Checking an operator's password (argon2) and the lockout after repeated failures."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gridpos.adapters.db.agent_store import OperatorRecord
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)


def password_matches(hasher: PasswordHasher, *, password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from (never raises)."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_locked(operator: OperatorRecord, *, now: datetime) -> bool:
    """Whether the operator is locked out after repeated wrong passwords."""
    return operator.locked_until is not None and operator.locked_until > now


def count_failure(uow: SqlUnitOfWork, operator: OperatorRecord, *, now: datetime) -> int:
    """Count one wrong password, locking the operator at the :data:`MAX_FAILED_ATTEMPTS`-th;
    how many attempts are left before the lock."""
    locks = operator.failed_attempts + 1 >= MAX_FAILED_ATTEMPTS
    failed = uow.agents.record_failed_attempt(
        operator.id, lock_until=now + LOCKOUT if locks else None
    )
    return max(MAX_FAILED_ATTEMPTS - failed, 0)
