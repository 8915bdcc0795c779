"""Damage done to postings on purpose, for tests of reconciliation (``/admin/postings/…``): a
posting lost (forgotten as if never made: its receivables and the customer's credits put back
first, unless it was undone already) or edited (its amount changed, the difference taken into
the prepaid it added or used, so its funds still balance; the customer's balances untouched, as
a clerk's wrong correction would leave them)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select, update

from gridpos.protocol.mis import PostingResult
from gridpos.refmis.engine import write_transaction
from gridpos.refmis.errors import posting_not_found
from gridpos.refmis.posting import posting_result
from gridpos.refmis.tables import posting_lines, postings
from gridpos.refmis.undo import _restore  # the same putting back as an undo's


def lose_posting(engine: Engine, payment_id: str) -> PostingResult:
    """Forget the posting of ``payment_id``; what it was. Raises ``posting_not_found``."""
    with write_transaction(engine) as connection:
        row = (
            connection.execute(
                select(postings).where(postings.c.payment_id == payment_id).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise posting_not_found(payment_id)
        was = posting_result(connection, row)
        if row["state"] == "posted":
            _restore(connection, row)
        connection.execute(delete(posting_lines).where(posting_lines.c.posting_id == row["id"]))
        connection.execute(delete(postings).where(postings.c.id == row["id"]))
        return was


def edit_posting(engine: Engine, payment_id: str, *, amount_fen: int) -> PostingResult:
    """Change the amount of the posting of ``payment_id``; the posting after. Raises
    ``posting_not_found``."""
    with write_transaction(engine) as connection:
        row = (
            connection.execute(
                select(postings).where(postings.c.payment_id == payment_id).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise posting_not_found(payment_id)
        added = row["prepaid_added"] + amount_fen - row["amount_fen"]
        used = row["prepaid_used"] + max(-added, 0)
        connection.execute(
            update(postings)
            .where(postings.c.id == row["id"])
            .values(amount_fen=amount_fen, prepaid_added=max(added, 0), prepaid_used=used)
        )
        edited = connection.execute(select(postings).where(postings.c.id == row["id"]))
        return posting_result(connection, edited.mappings().one())
