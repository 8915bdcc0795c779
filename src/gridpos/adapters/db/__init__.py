"""The server's database: tables, engine, unit of work, ledger store, audit log, migrations.

SQLAlchemy Core (no ORM) on SQLite (the embedded default) or PostgreSQL (psycopg 3).
"""

from gridpos.adapters.db.audit_log import AuditEntry, AuditLog
from gridpos.adapters.db.breaks import Break, CheckResult
from gridpos.adapters.db.engine import DatabaseUnreachableError, create_engine_for, redacted
from gridpos.adapters.db.ledger_store import LedgerStore
from gridpos.adapters.db.migrate import SchemaNotCurrentError, require_current_schema
from gridpos.adapters.db.organisations import Organisation, OrganisationError, OrganisationStore
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

__all__ = [
    "AuditEntry",
    "AuditLog",
    "Break",
    "CheckResult",
    "DatabaseUnreachableError",
    "LedgerStore",
    "Organisation",
    "OrganisationError",
    "OrganisationStore",
    "SchemaNotCurrentError",
    "SqlUnitOfWork",
    "create_engine_for",
    "redacted",
    "require_current_schema",
]
