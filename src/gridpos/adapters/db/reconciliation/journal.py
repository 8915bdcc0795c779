"""What confirming a payment from a terminal's journal reads and writes beyond the payment store:
the journal row of a transaction, the collector to record it under, and a resend's adoption."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from gridpos.adapters.db.reconciliation.candidates import JournalSide, journal_by_id
from gridpos.adapters.db.tables import batch_upload_items, batches, operators, payments


def journal_row(connection: Connection, terminal_id: int, txn_id: str) -> JournalSide | None:
    """The latest uploaded journal row of a transaction of a terminal, or None."""
    item_id = connection.execute(
        select(batch_upload_items.c.id)
        .join(batches, batches.c.id == batch_upload_items.c.batch_id)
        .where(batches.c.terminal_id == terminal_id, batch_upload_items.c.txn_id == txn_id)
        .order_by(batch_upload_items.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if item_id is None:
        return None
    return journal_by_id(connection, [int(item_id)]).get(int(item_id))


def collector_of(connection: Connection, agent_id: int) -> int | None:
    """The agent's own operator account (the collector), or None."""
    value = connection.execute(
        select(operators.c.id)
        .where(operators.c.agent_id == agent_id, operators.c.role == "agent")
        .order_by(operators.c.id)
        .limit(1)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def adopt_request_hash(connection: Connection, payment_id: int, *, was: str, now: str) -> bool:
    """Give a payment confirmed from the journal the hash of the request the terminal sends for
    it at last, so every later resend matches; whether it was still the journal's hash."""
    result = connection.execute(
        update(payments)
        .where(payments.c.id == payment_id, payments.c.request_hash == was)
        .values(request_hash=now)
    )
    return result.rowcount == 1


def lock_payment_state(connection: Connection, payment_id: int) -> str | None:
    """The payment's state, its row locked until the transaction ends (on PostgreSQL; SQLite's
    writer holds the whole database already); None when there is no such payment."""
    query = select(payments.c.state).where(payments.c.id == payment_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    value = connection.execute(query).scalar_one_or_none()
    return str(value) if value is not None else None
