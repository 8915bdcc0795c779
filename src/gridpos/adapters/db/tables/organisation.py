"""The organisation tree and the operators who work in it.

省公司 → 市供电公司 → 县供电公司 → 供电所 → 代收点. Every node keeps a materialised ``path``
of the ids from the root to itself (``/1/5/23/``), so "the subtree of node N" is one prefix
match.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)

from gridpos.adapters.db.tables._base import Id, UtcDateTime, metadata, one_of

ORGANISATION_LEVELS = ("province", "city", "county", "station", "collection_point")
OPERATOR_ROLES = ("admin", "finance", "station_head", "station_staff", "auditor", "agent")

organisations = Table(
    "organisations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("parent_id", Id, ForeignKey("organisations.id"), nullable=True),
    Column("level", String(20), nullable=False),
    Column("path", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("code"),
    one_of("level", ORGANISATION_LEVELS, name="level_known"),
    Index(None, "parent_id"),
    Index(None, "path", postgresql_ops={"path": "text_pattern_ops"}),
)

operators = Table(
    "operators",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("account", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=True),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime, nullable=True),
    UniqueConstraint("org_id", "account"),
    one_of("role", OPERATOR_ROLES, name="role_known"),
    CheckConstraint("role <> 'agent' OR agent_id IS NOT NULL", name="agent_role_has_agent"),
    CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    Index(None, "agent_id"),
)
