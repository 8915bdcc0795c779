"""The audit log: append-only and hash-chained.

``id`` is the entry's position in the chain (1, 2, 3 … assigned by the writer, not by a
sequence), ``prev_hash`` the hash of the entry before it (64 zeros for the first). Unique ids and
unique ``prev_hash`` mean the chain can neither fork nor hide a gap. Triggers created by the
migration (and by ``create_all``) refuse every UPDATE and DELETE on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Column,
    Connection,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

from gridpos.adapters.db.tables._base import EMPTY, Id, UtcDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=False, server_default=EMPTY),
    Column("details", Text, nullable=False),  # canonical JSON text
    Column("prev_hash", CHAR(64), nullable=False),
    Column("hash", CHAR(64), nullable=False),
    UniqueConstraint("prev_hash"),
    CheckConstraint("id >= 1", name="id_positive"),
    Index(None, "occurred_at"),
    Index(None, "action"),
    # the console's searches: by the start of the actor or subject, or by action, newest first
    Index(None, "actor", "occurred_at", postgresql_ops={"actor": "text_pattern_ops"}),
    Index(None, "subject", "occurred_at", postgresql_ops={"subject": "text_pattern_ops"}),
    Index(None, "action", "occurred_at", postgresql_ops={"action": "text_pattern_ops"}),
)

APPEND_ONLY_MESSAGE = "audit_log is append-only"

SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
)
SQLITE_DROP_APPEND_ONLY = (
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
)
POSTGRESQL_APPEND_ONLY = (
    "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
    f" BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'"
    " USING ERRCODE = 'integrity_constraint_violation'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
)
POSTGRESQL_DROP_APPEND_ONLY = (
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_refuse_change()",
)


# the triggers that must exist (and, on PostgreSQL, be enabled) for the log to be append-only
APPEND_ONLY_TRIGGERS = {
    "sqlite": ("audit_log_no_delete", "audit_log_no_update"),
    "postgresql": ("audit_log_append_only", "audit_log_no_truncate"),
}


def append_only_ddl(dialect_name: str) -> tuple[str, ...]:
    """The statements that make ``audit_log`` append-only on this database."""
    return POSTGRESQL_APPEND_ONLY if dialect_name == "postgresql" else SQLITE_APPEND_ONLY


def drop_append_only_ddl(dialect_name: str) -> tuple[str, ...]:
    """The statements that undo :func:`append_only_ddl` (downgrade, and tests that tamper)."""
    return POSTGRESQL_DROP_APPEND_ONLY if dialect_name == "postgresql" else SQLITE_DROP_APPEND_ONLY


def _make_append_only(_target: Table, connection: Connection, **_kw: Any) -> None:
    for statement in append_only_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


event.listen(audit_log, "after_create", _make_append_only)
