"""Figures of the server read from the database at scrape time, for ``/metrics``.

Read from the database rather than counted in a process, they are right however many server
processes there are: payments and undos by kind, the outbox backlog and its oldest row, rows the
MIS refused or failed (an error kept on the row), dead letters, and how long ago the replica last
synced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from gridpos.adapters.db.tables import outbox, payment_undos, payments, sync_watermarks


@dataclass(frozen=True, slots=True)
class ServerFigures:
    """The figures of one scrape."""

    payments_by_state: dict[str, int]
    payments_offline: int
    undos_by_kind: dict[str, int]
    outbox_pending: int
    outbox_oldest_age_s: float
    outbox_dead: int
    outbox_with_error: int
    sync_age_s: float | None


def read_figures(connection: Connection, *, now: datetime) -> ServerFigures:
    """Every figure, in a handful of aggregate queries."""
    by_state = {
        row.state: int(row.n)
        for row in connection.execute(
            select(payments.c.state, func.count().label("n")).group_by(payments.c.state)
        )
    }
    offline = int(
        connection.execute(select(func.count()).where(payments.c.offline.is_(True))).scalar_one()
    )
    undos = {
        row.kind: int(row.n)
        for row in connection.execute(
            select(payment_undos.c.kind, func.count().label("n")).group_by(payment_undos.c.kind)
        )
    }
    pending = connection.execute(
        select(func.count().label("n"), func.min(outbox.c.created_at).label("oldest")).where(
            outbox.c.state == "pending"
        )
    ).one()
    dead = int(
        connection.execute(select(func.count()).where(outbox.c.state == "dead")).scalar_one()
    )
    with_error = int(
        connection.execute(
            select(func.count())
            .where(outbox.c.state != "sent")
            .where(outbox.c.last_error.is_not(None))
        ).scalar_one()
    )
    last_sync = connection.execute(select(func.max(sync_watermarks.c.updated_at))).scalar_one()
    oldest = pending.oldest
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    if last_sync is not None and last_sync.tzinfo is None:
        last_sync = last_sync.replace(tzinfo=now.tzinfo)
    return ServerFigures(
        payments_by_state=by_state,
        payments_offline=offline,
        undos_by_kind=undos,
        outbox_pending=int(pending.n),
        outbox_oldest_age_s=(now - oldest).total_seconds() if oldest is not None else 0.0,
        outbox_dead=dead,
        outbox_with_error=with_error,
        sync_age_s=(now - last_sync).total_seconds() if last_sync is not None else None,
    )
