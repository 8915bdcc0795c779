"""Use case: verify the whole database — the ledger's invariants and the audit chain.

First the audit entries written unsealed (by payments) are chained, in transactions of their own;
then every check reads in one read-only unit of work, so every check sees the same snapshot of the
data (one SQLite read transaction; REPEATABLE READ on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridpos.adapters.db.audit_log import seal_audit_log
from gridpos.adapters.db.breaks import Break, CheckResult
from gridpos.adapters.db.invariants import check_ledger
from gridpos.adapters.db.migrate import require_current_schema
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

DEFAULT_BREAK_LIMIT = 1_000


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of every check; ``ok`` only when none of them found a break."""

    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def breaks(self) -> tuple[Break, ...]:
        return tuple(item for check in self.checks for item in check.breaks)

    def as_dict(self) -> dict[str, Any]:
        """``{"ok": bool, "checks": [...], "breaks": [...]}``, as ``--json`` prints it."""
        return {
            "ok": self.ok,
            "checks": [check.as_dict() for check in self.checks],
            "breaks": [item.as_dict() for item in self.breaks],
        }


def verify_database(
    uow: SqlUnitOfWork,
    *,
    limit: int = DEFAULT_BREAK_LIMIT,
    seal: bool = True,
    now: datetime | None = None,
) -> AuditReport:
    """Run every check over the database of ``uow`` (a reading unit of work, not yet open),
    after sealing the unsealed audit entries unless ``seal`` is false.

    At most ``limit`` breaks are named per check; a check with more says it was truncated. An
    audit entry still unsealed some time before ``now`` (the database's clock when None) is a
    break.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the database
    cannot be reached, and :class:`~gridpos.adapters.db.migrate.SchemaNotCurrentError` when it is
    not migrated to the newest revision.
    """
    if seal:
        with uow:  # a schema without the chain columns cannot be sealed: say so first
            require_current_schema(uow.connection)
        seal_audit_log(uow.engine)
    with uow:
        require_current_schema(uow.connection)
        checks = check_ledger(uow.connection, limit=limit)
        checks.append(uow.audit.protection())
        checks.append(uow.audit.verify(limit=limit, now=now))
    return AuditReport(checks=tuple(checks))
