"""The one-time tokens of console forms, claimed first thing in the transaction of the form's
write: a form sent twice finds its token taken and acts once.

On PostgreSQL a second, concurrent claim of the same token waits on the first transaction's
row and fails once that commits (or succeeds, if the first rolled back — a refused form may be
corrected and sent again); on SQLite writers are serialised by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.tables import console_form_submissions


@dataclass(frozen=True, slots=True)
class PreviousSubmission:
    """What the earlier submission of a form did."""

    action: str
    subject: str


class FormSubmissions:
    """Claims of form tokens, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def previous(self, token: str) -> PreviousSubmission | None:
        """The submission that already used ``token``, or None."""
        row = self._connection.execute(
            select(console_form_submissions.c.action, console_form_submissions.c.subject).where(
                console_form_submissions.c.token == token
            )
        ).first()
        return None if row is None else PreviousSubmission(row.action, row.subject)

    def claim(
        self, token: str, *, operator_id: int, action: str, now: datetime
    ) -> PreviousSubmission | None:
        """Claim ``token`` for ``action``: None when this is its first use (the claim is part of
        the caller's transaction), else the earlier submission (nothing is written then)."""
        earlier = self.previous(token)
        if earlier is not None:
            return earlier
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    insert(console_form_submissions).values(
                        token=token, operator_id=operator_id, action=action, submitted_at=now
                    )
                )
        except IntegrityError:
            # a concurrent submission of the same form committed first
            return self.previous(token) or PreviousSubmission(action, "")
        return None

    def settle(self, token: str, *, subject: str) -> None:
        """Name what the claimed submission acted on (an id, to find it again)."""
        self._connection.execute(
            update(console_form_submissions)
            .where(console_form_submissions.c.token == token)
            .values(subject=subject)
        )

    def prune(self, *, submitted_before: datetime) -> int:
        """Forget the tokens of forms sent before ``submitted_before``; how many."""
        result = self._connection.execute(
            delete(console_form_submissions).where(
                console_form_submissions.c.submitted_at < submitted_before
            )
        )
        return int(result.rowcount)
