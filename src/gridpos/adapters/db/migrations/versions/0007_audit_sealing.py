"""The audit log takes entries that are chained later (sealed), so payments do not queue on it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Until now every append read the chain's head and wrote ``prev_hash``/``hash`` under one lock, so
every payment's commit waited for the one before it. From here on:

- ``id`` is given by the database (a sequence on PostgreSQL, the rowid on SQLite);
- ``chain_position`` (new) is the entry's place in the chain; every existing entry keeps its
  place (``chain_position = id``) and its hash, which covered that same number;
- ``chain_position``, ``prev_hash`` and ``hash`` may be empty — an *unsealed* entry — but only all
  three together; a partial index lists the unsealed entries for the sealer;
- the append-only triggers now let exactly one UPDATE through: filling the three empty chain
  columns of an unsealed entry while every other column stays as it was. DELETE, TRUNCATE and
  every other UPDATE are refused as before.

SQLite cannot change a column's nullability in place, so there the table is rebuilt (its indexes
are read from ``sqlite_master`` first and created again). Downgrading needs every entry sealed; the
ids are then renumbered to the chain positions, as the old schema wants.

Written out in full, not importing the application's tables (the drift test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_REFUSAL = "audit_log is append-only"
_SEALED_WHOLE = (
    "(chain_position IS NULL) = (prev_hash IS NULL) AND (chain_position IS NULL) = (hash IS NULL)"
)
_SEALING_UPDATE = (
    "OLD.chain_position IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL"
    " AND NEW.chain_position IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL"
    " AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at AND NEW.actor = OLD.actor"
    " AND NEW.action = OLD.action AND NEW.subject = OLD.subject AND NEW.details = OLD.details"
)

_DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_refuse_change()",
    ),
}
_SEALABLE_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
        f" WHEN NOT ({_SEALING_UPDATE})"
        f" BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        f" BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF TG_OP = 'UPDATE' AND {_SEALING_UPDATE} THEN RETURN NEW; END IF;"
        f" RAISE EXCEPTION '{_REFUSAL}'"
        " USING ERRCODE = 'integrity_constraint_violation'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ),
}
_OLD_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
        f" BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        f" BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'integrity_constraint_violation';"
        " END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ),
}

_SQLITE_SEALABLE_TABLE = f"""CREATE TABLE audit_log_rebuilt (
	id INTEGER NOT NULL,
	occurred_at DATETIME NOT NULL,
	actor VARCHAR(100) NOT NULL,
	action VARCHAR(64) NOT NULL,
	subject VARCHAR(255) DEFAULT '' NOT NULL,
	details TEXT NOT NULL,
	prev_hash CHAR(64),
	hash CHAR(64),
	chain_position BIGINT,
	CONSTRAINT pk_audit_log PRIMARY KEY (id),
	CONSTRAINT uq_audit_log_prev_hash UNIQUE (prev_hash),
	CONSTRAINT uq_audit_log_chain_position UNIQUE (chain_position),
	CONSTRAINT ck_audit_log_id_positive CHECK (id >= 1),
	CONSTRAINT ck_audit_log_sealed_whole CHECK ({_SEALED_WHOLE}),
	CONSTRAINT ck_audit_log_chain_position_positive CHECK (chain_position >= 1)
)"""
_SQLITE_OLD_TABLE = """CREATE TABLE audit_log_rebuilt (
	id INTEGER NOT NULL,
	occurred_at DATETIME NOT NULL,
	actor VARCHAR(100) NOT NULL,
	action VARCHAR(64) NOT NULL,
	subject VARCHAR(255) DEFAULT '' NOT NULL,
	details TEXT NOT NULL,
	prev_hash CHAR(64) NOT NULL,
	hash CHAR(64) NOT NULL,
	CONSTRAINT pk_audit_log PRIMARY KEY (id),
	CONSTRAINT uq_audit_log_prev_hash UNIQUE (prev_hash),
	CONSTRAINT ck_audit_log_id_positive CHECK (id >= 1)
)"""
_UNSEALED_INDEX = "ix_audit_log_unsealed"
_SEQUENCE = "audit_log_id_seq"


def _dialect() -> str:
    return "postgresql" if op.get_context().dialect.name == "postgresql" else "sqlite"


def _execute(statements: tuple[str, ...]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = _dialect()
    _execute(_DROP_TRIGGERS[dialect])
    if dialect == "postgresql":
        op.add_column("audit_log", sa.Column("chain_position", sa.BigInteger(), nullable=True))
        op.execute("UPDATE audit_log SET chain_position = id")
        op.alter_column("audit_log", "prev_hash", existing_type=sa.CHAR(64), nullable=True)
        op.alter_column("audit_log", "hash", existing_type=sa.CHAR(64), nullable=True)
        op.create_unique_constraint(
            op.f("uq_audit_log_chain_position"), "audit_log", ["chain_position"]
        )
        op.create_check_constraint(op.f("ck_audit_log_sealed_whole"), "audit_log", _SEALED_WHOLE)
        op.create_check_constraint(
            op.f("ck_audit_log_chain_position_positive"), "audit_log", "chain_position >= 1"
        )
        op.execute(f"CREATE SEQUENCE {_SEQUENCE} OWNED BY audit_log.id")
        op.execute(
            f"SELECT setval('{_SEQUENCE}', COALESCE(MAX(id), 0) + 1, false) FROM audit_log"  # noqa: S608 - a constant
        )
        op.execute(f"ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('{_SEQUENCE}')")
    else:
        _rebuild_sqlite(
            _SQLITE_SEALABLE_TABLE,
            "id, occurred_at, actor, action, subject, details, prev_hash, hash, chain_position",
            "id, occurred_at, actor, action, subject, details, prev_hash, hash, id",
        )
    op.create_index(
        _UNSEALED_INDEX,
        "audit_log",
        ["id"],
        postgresql_where=sa.text("chain_position IS NULL"),
        sqlite_where=sa.text("chain_position IS NULL"),
    )
    _execute(_SEALABLE_TRIGGERS[dialect])


def downgrade() -> None:
    dialect = _dialect()
    unsealed = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM audit_log WHERE chain_position IS NULL"))
        .scalar_one()
    )
    if unsealed:
        raise RuntimeError(
            f"{unsealed} audit entries are not sealed yet: run `gridpos audit verify` (which"
            " seals them) before downgrading"
        )
    _execute(_DROP_TRIGGERS[dialect])
    op.drop_index(_UNSEALED_INDEX, table_name="audit_log")
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT")
        op.execute(f"DROP SEQUENCE {_SEQUENCE}")
        # the old schema's id is the chain position: renumber through the negatives
        op.drop_constraint(op.f("ck_audit_log_id_positive"), "audit_log", type_="check")
        op.execute("UPDATE audit_log SET id = -chain_position")
        op.execute("UPDATE audit_log SET id = -id")
        op.create_check_constraint(op.f("ck_audit_log_id_positive"), "audit_log", "id >= 1")
        op.drop_constraint(op.f("ck_audit_log_chain_position_positive"), "audit_log", type_="check")
        op.drop_constraint(op.f("ck_audit_log_sealed_whole"), "audit_log", type_="check")
        op.drop_constraint(op.f("uq_audit_log_chain_position"), "audit_log", type_="unique")
        op.drop_column("audit_log", "chain_position")
        op.alter_column("audit_log", "hash", existing_type=sa.CHAR(64), nullable=False)
        op.alter_column("audit_log", "prev_hash", existing_type=sa.CHAR(64), nullable=False)
    else:
        _rebuild_sqlite(
            _SQLITE_OLD_TABLE,
            "id, occurred_at, actor, action, subject, details, prev_hash, hash",
            "chain_position, occurred_at, actor, action, subject, details, prev_hash, hash",
        )
    _execute(_OLD_TRIGGERS[dialect])


def _rebuild_sqlite(create: str, columns: str, source: str) -> None:
    """Rebuild ``audit_log`` as ``create`` says, copying ``source`` into ``columns``, and create
    its indexes again as they were."""
    bind = op.get_bind()
    indexes = [
        str(sql)
        for sql in bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log'"
                " AND sql IS NOT NULL ORDER BY name"
            )
        ).scalars()
    ]
    op.execute(create)
    op.execute(f"INSERT INTO audit_log_rebuilt ({columns}) SELECT {source} FROM audit_log")  # noqa: S608 - fixed column lists
    op.execute("DROP TABLE audit_log")
    op.execute("ALTER TABLE audit_log_rebuilt RENAME TO audit_log")
    for sql in indexes:
        op.execute(sql)
