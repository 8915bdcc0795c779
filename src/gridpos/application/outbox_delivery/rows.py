"""Claiming due outbox rows under a lease, and writing each row's outcome if the lease holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from pydantic import ValidationError
from sqlalchemy import Engine, and_, select, update

from gridpos.adapters.db.tables import outbox, payments
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.mis_messages import PaymentFacts
from gridpos.application.mis_replica import recompute_principal
from gridpos.application.outbox_delivery.policy import TOPICS, Jitter, RetryPolicy

ERROR_MAX: Final = 500


@dataclass(frozen=True, slots=True)
class Claim:
    """A row this round claimed: its lease is its token."""

    id: int
    topic: str
    aggregate_id: str
    payload: str
    attempts: int
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a claimed row, to be written on it."""

    kind: str  # sent / retry / dead / defer / release
    mis_wide: bool = False  # the failure is the MIS's, not the row's: stop the batch
    error: str | None = None
    code: str | None = None
    mis_state: str | None = None
    payment: PaymentFacts | None = None
    defer_until: datetime | None = None


def claim_due(engine: Engine, *, now: datetime, batch_size: int, lease: timedelta) -> list[Claim]:
    """Claim up to ``batch_size`` due rows, oldest due first, in one short transaction (rows
    another worker holds are skipped on PostgreSQL): each gets one more attempt and a lease."""
    lease_until = now + lease
    with SqlUnitOfWork(engine, write=True) as uow:
        rows = uow.connection.execute(
            select(
                outbox.c.id,
                outbox.c.topic,
                outbox.c.aggregate_id,
                outbox.c.payload,
                outbox.c.attempts,
            )
            .where(
                outbox.c.state == "pending",
                outbox.c.next_attempt_at <= now,
                outbox.c.topic.in_(TOPICS),
            )
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        uow.connection.execute(
            update(outbox)
            .where(outbox.c.id.in_([row.id for row in rows]))
            .values(attempts=outbox.c.attempts + 1, next_attempt_at=lease_until)
        )
        uow.commit()
    return [
        Claim(
            id=int(row.id),
            topic=row.topic,
            aggregate_id=row.aggregate_id,
            payload=row.payload,
            attempts=int(row.attempts) + 1,
            lease_until=lease_until,
        )
        for row in rows
    ]


def renew_leases(
    engine: Engine, claims: Sequence[Claim], *, now: datetime, lease: timedelta
) -> tuple[list[Claim], set[int]]:
    """Extend the lease of rows still held by these claims to ``now + lease``, in one short
    transaction: the claims with their new lease (in the same order; a row no longer held keeps
    its old claim), and the ids of the rows no longer held (another worker took them over)."""
    lease_until = now + lease
    renewed: list[Claim] = []
    taken: set[int] = set()
    with SqlUnitOfWork(engine, write=True) as uow:
        for claim in claims:
            result = uow.connection.execute(
                update(outbox)
                .where(
                    outbox.c.id == claim.id,
                    outbox.c.state == "pending",
                    outbox.c.next_attempt_at == claim.lease_until,
                )
                .values(next_attempt_at=lease_until)
            )
            if result.rowcount == 1:
                renewed.append(replace(claim, lease_until=lease_until))
            else:
                renewed.append(claim)
                taken.add(claim.id)
        uow.commit()
    return renewed, taken


def record(
    engine: Engine,
    claim: Claim,
    outcome: Outcome,
    *,
    now: datetime,
    policy: RetryPolicy,
    jitter: Jitter,
) -> bool:
    """Write the outcome if the row still carries this claim; whether it did."""
    [kept] = record_all(engine, [(claim, outcome)], now=now, policy=policy, jitter=jitter)
    return kept


def record_all(
    engine: Engine,
    outcomes: Sequence[tuple[Claim, Outcome]],
    *,
    now: datetime,
    policy: RetryPolicy,
    jitter: Jitter,
) -> list[bool]:
    """Write several rows' outcomes in one transaction, each only if its row still carries its
    claim; for each, whether it did."""
    kept: list[bool] = []
    with SqlUnitOfWork(engine, write=True) as uow:
        for claim, outcome in outcomes:
            result = uow.connection.execute(
                update(outbox)
                .where(
                    outbox.c.id == claim.id,
                    outbox.c.state == "pending",
                    outbox.c.next_attempt_at == claim.lease_until,
                )
                .values(_values(claim, outcome, now=now, policy=policy, jitter=jitter))
            )
            kept.append(result.rowcount == 1)
            if kept[-1] and outcome.mis_state is not None and outcome.payment is not None:
                move_mis_state(uow, outcome.payment, outcome.mis_state)
        uow.commit()
    return kept


def _values(
    claim: Claim, outcome: Outcome, *, now: datetime, policy: RetryPolicy, jitter: Jitter
) -> dict[str, object]:
    values: dict[str, object]
    if outcome.kind == "sent":
        values = {"state": "sent", "sent_at": now, "last_error": None}
    elif outcome.kind == "dead":
        values = {"state": "dead", "last_error": clip(outcome.error)}
    elif outcome.kind == "defer":
        values = {"next_attempt_at": outcome.defer_until, "attempts": outbox.c.attempts - 1}
    elif outcome.kind == "release":  # not counted, due again at once
        values = {"next_attempt_at": now, "attempts": outbox.c.attempts - 1}
        if outcome.error is not None:
            values["last_error"] = clip(outcome.error)
    else:
        delay = policy.delay(claim.attempts, jitter())
        values = {"next_attempt_at": now + delay, "last_error": clip(outcome.error)}
    return values


def move_mis_state(uow: SqlUnitOfWork, payment: PaymentFacts, mis_state: str) -> None:
    """The payment's MIS state after a delivery (never back from an undo to ``posted``), and what
    is left to collect on its receivables recomputed."""
    allowed_from = {
        "posted": ("none", "pending", "failed"),
        "undone": ("none", "pending", "posted", "failed", "undo_pending"),
        "failed": ("none", "pending", "posted", "undo_pending"),
    }[mis_state]
    uow.connection.execute(
        update(payments)
        .where(and_(payments.c.id == payment.payment_id, payments.c.mis_state.in_(allowed_from)))
        .values(mis_state=mis_state)
    )
    # what the MIS holds of ours changed: what is left to collect follows
    recompute_principal(uow.connection, payment.receivable_ids)


def first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "the payment cannot be put in the MIS's terms"
    where = ".".join(str(part) for part in errors[0]["loc"]) or "message"
    return f"the payment cannot be put in the MIS's terms: {where}: {errors[0]['msg']}"


def clip(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_MAX]
