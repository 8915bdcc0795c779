"""The audit log: append-only and hash-chained.

``id`` is the row's identity, given by the database in insertion order. ``chain_position`` is
the entry's place in the chain (1, 2, 3 … without gaps) and ``prev_hash`` the hash of the entry
before it (64 zeros for the first); the three chain columns are empty while the entry is
*unsealed* (written by a payment without waiting for the chain) and are filled exactly once, all
together, when the sealer chains it (see :mod:`gridpos.adapters.db.audit_log`). Unique positions
and unique ``prev_hash`` mean the chain can neither fork nor hide a gap. Triggers created by the
migrations (and by ``create_all``) refuse every DELETE and every UPDATE on both databases except
that sealing one: empty chain columns filled, every other column unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)

from gridpos.adapters.db.tables._base import EMPTY, Id, UtcDateTime, metadata

SEALED_WHOLE = (
    "(chain_position IS NULL) = (prev_hash IS NULL) AND (chain_position IS NULL) = (hash IS NULL)"
)
"""The chain columns are filled all together or not at all."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=False, server_default=EMPTY),
    Column("details", Text, nullable=False),  # canonical JSON text
    Column("prev_hash", CHAR(64), nullable=True),
    Column("hash", CHAR(64), nullable=True),
    Column("chain_position", BigInteger, nullable=True),
    UniqueConstraint("prev_hash"),
    UniqueConstraint("chain_position"),
    CheckConstraint("id >= 1", name="id_positive"),
    CheckConstraint(SEALED_WHOLE, name="sealed_whole"),
    CheckConstraint("chain_position >= 1", name="chain_position_positive"),
    Index(None, "occurred_at"),
    Index(None, "action"),
    # the sealer's work list: as small as the backlog of unsealed entries
    Index(
        "ix_audit_log_unsealed",
        "id",
        postgresql_where=text("chain_position IS NULL"),
        sqlite_where=text("chain_position IS NULL"),
    ),
    # the console's searches: by the start of the actor or subject, or by action, newest first
    Index(None, "actor", "occurred_at", postgresql_ops={"actor": "text_pattern_ops"}),
    Index(None, "subject", "occurred_at", postgresql_ops={"subject": "text_pattern_ops"}),
    Index(None, "action", "occurred_at", postgresql_ops={"action": "text_pattern_ops"}),
)

APPEND_ONLY_MESSAGE = "audit_log is append-only"

# the one UPDATE allowed: sealing an unsealed entry, every other column left as it was
SEALING_UPDATE = (
    "OLD.chain_position IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL"
    " AND NEW.chain_position IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL"
    " AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at AND NEW.actor = OLD.actor"
    " AND NEW.action = OLD.action AND NEW.subject = OLD.subject AND NEW.details = OLD.details"
)

SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    f" WHEN NOT ({SEALING_UPDATE})"
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
    f" BEGIN IF TG_OP = 'UPDATE' AND {SEALING_UPDATE} THEN RETURN NEW; END IF;"
    f" RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'"
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
