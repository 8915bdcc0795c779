"""The web console's own records: signed-in sessions and the forms already acted on.

A session row is looked up by the SHA-256 of the token in the browser's cookie, so the table
alone never lets anyone sign in as someone else. Revoking a session (sign-out, an operator
disabled or given a new password) sets ``revoked_at``; nothing is deleted on sign-out.

``console_form_submissions`` holds the one-time token every console form carries: the use case
claims it in the same transaction as its write, so a form sent twice acts once.
"""

from __future__ import annotations

from sqlalchemy import CHAR, Column, ForeignKey, Index, String, Table

from gridpos.adapters.db.tables._base import EMPTY, Id, UtcDateTime, metadata

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", CHAR(64), primary_key=True),  # sha256 hex of the cookie's token
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index(None, "operator_id"),
)

console_form_submissions = Table(
    "console_form_submissions",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=False, server_default=EMPTY),
    Column("submitted_at", UtcDateTime, nullable=False),
    Index(None, "submitted_at"),
)
