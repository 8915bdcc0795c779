"""Use case: deliver the outbox to the MIS — every payment, reversal, void and cancellation, once.

Topics (written by the payment use cases in the payment's own transaction):

| topic         | what the MIS is asked                                              |
| ------------- | ------------------------------------------------------------------ |
| ``mis.post``    | post the payment (进账), idempotent on its transaction id          |
| ``mis.reverse`` | undo it: 冲正 on the posting's business day, else 冲销            |
| ``mis.cancel``  | undo it as a next-day cancellation (冲销)                          |

**Claiming.** :func:`deliver_due` claims up to ``batch_size`` due ``pending`` rows in one short
transaction — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the outbox and
never wait for one another — and stamps each with a lease (``next_attempt_at`` moved past the time
the batch may take) and one more attempt. HTTP happens outside any transaction, and each row's
outcome is written in its own short transaction, only if the row still carries this claim's lease:
a worker that stalled past its lease finds its rows taken over and writes nothing.

**Exactly once.** The MIS's ``payment_id`` is the payment's transaction id and every attempt sends
the same request — the posting the payment's transaction wrote into the row, or, for a row that
holds none, the posting rebuilt from the payment (see :mod:`~gridpos.application.mis_messages`);
the MIS answers a repeat with the first result. A re-post (any attempt after the
first) asks the MIS first whether it already has the posting, so even an MIS that could not dedupe
would get the payment once. An undo waits until its payment's post has been delivered, asks the MIS
for the posting (its serial and state) and is a no-op when it is already undone.

**Failure.** The MIS out of reach (no connection, 5xx, a key it refuses) stops the batch and
counts no attempt: an outage only grows the backlog, and the caller waits before trying again. A
timeout or an unreadable answer counts the row's attempt and is retried after an exponential
backoff (``RetryPolicy``) with jitter passed in; ``dead`` after ``max_attempts``. A refusal is
permanent and goes straight to ``dead`` — unless an older row of the same customer is still
undelivered and the refusal may only be its consequence (a credit not yet there, an older bill
still open): then it is retried. ``last_error`` always says why. ``payments.mis_state`` follows:
``posted`` / ``undone`` when delivered, ``failed`` when dead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from pydantic import ValidationError
from sqlalchemy import Engine, and_, func, select, update

from gridpos.adapters.db.tables import outbox, payments
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient, MisError, MisRefusedError, MisUnreachableError
from gridpos.application.mis_messages import PaymentFacts, payment_ids_of, read_payment
from gridpos.application.mis_replica import recompute_principal
from gridpos.application.ports import Clock
from gridpos.protocol.mis import PostingRequest

TOPIC_POST: Final[str] = "mis.post"
TOPIC_REVERSE: Final[str] = "mis.reverse"
TOPIC_CANCEL: Final[str] = "mis.cancel"
TOPICS: Final = (TOPIC_POST, TOPIC_REVERSE, TOPIC_CANCEL)
# refusals that an older, still undelivered row of the same customer can cause
ORDER_SENSITIVE: Final = frozenset(
    {
        "allocation_order",
        "prepaid_insufficient",
        "rounding_credit_insufficient",
        "receivable_overpaid",
        "receivable_settled",
        "prepaid_already_used",
    }
)
_CALLS_PER_ROW: Final = 3  # at most: ask, post or undo, and a spare
_LEASE_MARGIN: Final = timedelta(seconds=30)
_ERROR_MAX: Final = 500

Jitter = Callable[[], float]
"""Returns a number in [0, 1): how far into its backoff window a retry lands."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``base × 2^(attempt−1)`` capped at ``cap``, the second half of the
    window jittered; dead after ``max_attempts`` attempts."""

    max_attempts: int = 30
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("a retry policy needs max_attempts ≥ 1 and 0 < base ≤ cap")

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the ``attempts``-th failed attempt; ``jitter`` in [0, 1)."""
        window: timedelta = min(self.cap, self.base * (2 ** min(max(attempts - 1, 0), 30)))
        spread: float = min(max(jitter, 0.0), 1.0)
        return window / 2 + (window / 2) * spread


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did, row by row counted."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # undos waiting for their post
    released: int = 0  # not tried (the MIS out of reach, or asked to stop), no attempt counted
    lost: int = 0  # rows whose lease ran out before their outcome was written
    errors: tuple[tuple[int, str], ...] = field(default=())  # (outbox id, code) of failures
    mis_unavailable: bool = False  # the batch stopped because the MIS was out of reach


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    topic: str
    aggregate_id: str
    payload: str
    attempts: int
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class _Outcome:
    kind: str  # sent / retry / dead / defer / release
    mis_wide: bool = False  # the failure is the MIS's, not the row's: stop the batch
    error: str | None = None
    code: str | None = None
    mis_state: str | None = None
    payment: PaymentFacts | None = None
    defer_until: datetime | None = None


def deliver_due(
    engine: Engine,
    client: MisClient,
    *,
    clock: Clock,
    jitter: Jitter,
    batch_size: int = 50,
    policy: RetryPolicy | None = None,
    timeout_s: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Claim up to ``batch_size`` due rows and deliver each to the MIS (see the module docstring).

    When the MIS is out of reach (no connection, 5xx, a key it refuses) or too slow (a timeout),
    the batch stops there: the rows not tried are released as they were, and the report says
    ``mis_unavailable`` so the caller can wait before the next batch. A timed-out row counts the
    attempt (a row that always times out must not block the outbox for ever); the other cases
    count none, so an outage of any length loses nothing. ``should_stop`` is asked before each row;
    when it says so, the rows not tried are released too.

    Never raises for the MIS: every failure is recorded on its row. Raises
    :class:`~gridpos.adapters.db.DatabaseUnreachableError` when the database cannot be reached,
    ``ValueError`` for a batch size below 1.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    policy = policy or RetryPolicy()
    call_timeout = client.timeout_s if timeout_s is None else timeout_s
    lease = timedelta(seconds=call_timeout * _CALLS_PER_ROW * batch_size) + _LEASE_MARGIN
    claims = _claim(engine, now=clock.now(), batch_size=batch_size, lease=lease)
    payments_of = _read_payments(engine, claims) if claims else {}
    counts = {"sent": 0, "retry": 0, "dead": 0, "defer": 0, "release": 0, "lost": 0}
    errors: list[tuple[int, str]] = []
    unavailable = False
    for claim in claims:
        if unavailable or (should_stop is not None and should_stop()):
            outcome = _Outcome(kind="release")
        else:
            outcome = _deliver(
                engine, client, claim, payments_of[claim.id], clock=clock, timeout_s=timeout_s
            )
            unavailable = outcome.mis_wide
        if outcome.kind == "retry" and claim.attempts >= policy.max_attempts:
            outcome = _Outcome(
                kind="dead",
                error=f"gave up after {claim.attempts} attempts: {outcome.error}",
                code=outcome.code,
                mis_state="failed",
                payment=outcome.payment,
            )
        if outcome.code is not None:
            errors.append((claim.id, outcome.code))
        kept = _record(engine, claim, outcome, now=clock.now(), policy=policy, jitter=jitter)
        counts[outcome.kind if kept else "lost"] += 1
    return DeliveryReport(
        claimed=len(claims),
        sent=counts["sent"],
        retried=counts["retry"],
        dead=counts["dead"],
        deferred=counts["defer"],
        released=counts["release"],
        lost=counts["lost"],
        errors=tuple(errors),
        mis_unavailable=unavailable,
    )


def _claim(engine: Engine, *, now: datetime, batch_size: int, lease: timedelta) -> list[_Claim]:
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
        _Claim(
            id=int(row.id),
            topic=row.topic,
            aggregate_id=row.aggregate_id,
            payload=row.payload,
            attempts=int(row.attempts) + 1,
            lease_until=lease_until,
        )
        for row in rows
    ]


def _read_payments(engine: Engine, claims: Sequence[_Claim]) -> dict[int, PaymentFacts | _Outcome]:
    """Each claimed row's payment, read in one go (or the dead outcome of a row naming none)."""
    found: dict[int, PaymentFacts | _Outcome] = {}
    with SqlUnitOfWork(engine, write=False) as uow:
        ids = payment_ids_of(uow.connection, sorted({claim.aggregate_id for claim in claims}))
        for claim in claims:
            payment_id = ids.get(claim.aggregate_id)
            try:
                facts = read_payment(uow.connection, payment_id) if payment_id else None
            except ValidationError as exc:
                found[claim.id] = _Outcome(
                    kind="dead", code="message_invalid", error=_first_problem(exc)
                )
                continue
            found[claim.id] = facts or _Outcome(
                kind="dead", code="payment_unknown", error=f"no payment {claim.aggregate_id!r}"
            )
    return found


def _deliver(
    engine: Engine,
    client: MisClient,
    claim: _Claim,
    facts: PaymentFacts | _Outcome,
    *,
    clock: Clock,
    timeout_s: float | None,
) -> _Outcome:
    if isinstance(facts, _Outcome):
        return facts
    post_state = None
    if claim.topic != TOPIC_POST:
        with SqlUnitOfWork(engine, write=False) as uow:
            post_state = _post_state(uow, claim)
    try:
        if claim.topic == TOPIC_POST:
            return _post(client, claim, facts, timeout_s=timeout_s)
        return _undo(client, claim, facts, post_state, clock=clock, timeout_s=timeout_s)
    except MisRefusedError as exc:
        if exc.transient:  # a key or a rate the MIS refuses: every row would fail alike
            return _Outcome(kind="release", mis_wide=True, code=exc.mis_code, error=str(exc))
        if exc.mis_code in ORDER_SENSITIVE and _older_undelivered(engine, claim, facts):
            return _Outcome(kind="retry", code=exc.mis_code, error=str(exc), payment=facts)
        return _Outcome(
            kind="dead", code=exc.mis_code, error=str(exc), mis_state="failed", payment=facts
        )
    except MisUnreachableError as exc:
        if exc.code == "mis_timeout":  # counted: a row that always times out must end
            return _Outcome(
                kind="retry", mis_wide=True, code=exc.code, error=str(exc), payment=facts
            )
        return _Outcome(kind="release", mis_wide=True, code=exc.code, error=str(exc))
    except MisError as exc:
        return _Outcome(kind="retry", code=exc.code, error=str(exc), payment=facts)


def _post(
    client: MisClient, claim: _Claim, facts: PaymentFacts, *, timeout_s: float | None
) -> _Outcome:
    posting = _written_posting(claim.payload, facts)
    if claim.attempts > 1:
        found = client.find_posting(facts.txn_id, timeout_s=timeout_s)
        if found is not None:
            if (found.account_no, found.amount_fen) != (posting.account_no, posting.amount_fen):
                return _Outcome(
                    kind="dead",
                    code="posting_differs",
                    error=(
                        f"the MIS holds posting {found.serial} under {facts.txn_id} for"
                        f" {found.account_no}, {found.amount_fen} fen: not this payment"
                    ),
                    mis_state="failed",
                    payment=facts,
                )
            return _Outcome(kind="sent", mis_state="posted", payment=facts)
    client.post_payment(posting, timeout_s=timeout_s)
    return _Outcome(kind="sent", mis_state="posted", payment=facts)


def _written_posting(payload: str, facts: PaymentFacts) -> PostingRequest:
    """The posting as the payment's transaction wrote it in the outbox row, when the row holds a
    whole posting of this payment; else the posting rebuilt from the payment."""
    try:
        written = PostingRequest.model_validate_json(payload)
    except ValidationError:
        return facts.posting
    if (written.payment_id, written.account_no, written.amount_fen) != (
        facts.txn_id,
        facts.posting.account_no,
        facts.posting.amount_fen,
    ):
        return facts.posting
    return written


def _undo(
    client: MisClient,
    claim: _Claim,
    facts: PaymentFacts,
    post_state: str | None,
    *,
    clock: Clock,
    timeout_s: float | None,
) -> _Outcome:
    if post_state == "pending":
        # the post first: an undo never overtakes the posting it undoes
        return _Outcome(kind="defer", defer_until=clock.now() + timedelta(seconds=1))
    if facts.undo is None:
        return _Outcome(
            kind="dead",
            code="undo_unknown",
            error=f"payment {facts.txn_id} has no reversal, void or cancellation recorded",
            mis_state="failed",
            payment=facts,
        )
    found = client.find_posting(facts.txn_id, timeout_s=timeout_s)
    if found is None:
        return _Outcome(
            kind="dead",
            code="posting_missing",
            error=(
                f"the MIS has no posting of {facts.txn_id} (its post is {post_state or 'absent'}):"
                " nothing there to undo"
            ),
            mis_state="failed",
            payment=facts,
        )
    if found.state != "posted":
        return _Outcome(kind="sent", mis_state="undone", payment=facts)  # undone already
    kind = facts.undo.mis_kind(
        posting_business_date=found.business_date, cancel=claim.topic == TOPIC_CANCEL
    )
    client.undo_posting(
        facts.txn_id,
        facts.undo.request(serial=found.serial, amount_fen=found.amount_fen),
        kind=kind,
        timeout_s=timeout_s,
    )
    return _Outcome(kind="sent", mis_state="undone", payment=facts)


def _post_state(uow: SqlUnitOfWork, claim: _Claim) -> str | None:
    """The state of the post row of the same payment (None when there is none)."""
    states = set(
        uow.connection.execute(
            select(outbox.c.state).where(
                outbox.c.topic == TOPIC_POST, outbox.c.aggregate_id == claim.aggregate_id
            )
        ).scalars()
    )
    for state in ("pending", "sent", "dead"):
        if state in states:
            return state
    return None


def _older_undelivered(engine: Engine, claim: _Claim, facts: PaymentFacts) -> bool:
    """Whether an older row of the same customer's payments is still pending."""
    with SqlUnitOfWork(engine, write=False) as uow:
        older = list(
            uow.connection.execute(
                select(outbox.c.aggregate_id)
                .where(
                    outbox.c.state == "pending",
                    outbox.c.id < claim.id,
                    outbox.c.topic.in_(TOPICS),
                )
                .order_by(outbox.c.id)
                .limit(1_000)
            ).scalars()
        )
        if not older:
            return False
        ids = list(payment_ids_of(uow.connection, older).values())
        same_customer = uow.connection.execute(
            select(func.count())
            .select_from(payments)
            .where(payments.c.id.in_(ids), payments.c.customer_id == facts.customer_id)
        ).scalar_one()
    return bool(same_customer)


def _record(
    engine: Engine,
    claim: _Claim,
    outcome: _Outcome,
    *,
    now: datetime,
    policy: RetryPolicy,
    jitter: Jitter,
) -> bool:
    """Write the outcome if the row still carries this claim; whether it did."""
    values: dict[str, object]
    if outcome.kind == "sent":
        values = {"state": "sent", "sent_at": now, "last_error": None}
    elif outcome.kind == "dead":
        values = {"state": "dead", "last_error": _clip(outcome.error)}
    elif outcome.kind == "defer":
        values = {"next_attempt_at": outcome.defer_until, "attempts": outbox.c.attempts - 1}
    elif outcome.kind == "release":  # not counted, due again at once
        values = {"next_attempt_at": now, "attempts": outbox.c.attempts - 1}
        if outcome.error is not None:
            values["last_error"] = _clip(outcome.error)
    else:
        delay = policy.delay(claim.attempts, jitter())
        values = {"next_attempt_at": now + delay, "last_error": _clip(outcome.error)}
    with SqlUnitOfWork(engine, write=True) as uow:
        result = uow.connection.execute(
            update(outbox)
            .where(
                outbox.c.id == claim.id,
                outbox.c.state == "pending",
                outbox.c.next_attempt_at == claim.lease_until,
            )
            .values(values)
        )
        if result.rowcount != 1:
            return False
        if outcome.mis_state is not None and outcome.payment is not None:
            _move_mis_state(uow, outcome.payment, outcome.mis_state)
        uow.commit()
    return True


def _move_mis_state(uow: SqlUnitOfWork, payment: PaymentFacts, mis_state: str) -> None:
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


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "the payment cannot be put in the MIS's terms"
    where = ".".join(str(part) for part in errors[0]["loc"]) or "message"
    return f"the payment cannot be put in the MIS's terms: {where}: {errors[0]['msg']}"


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:_ERROR_MAX]


# ---- reading the outbox ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """The backlog the dashboard shows: rows waiting, due now, dead, and the oldest wait."""

    pending: int
    due: int
    dead: int
    oldest_pending_at: datetime | None
    oldest_age_s: float


def outbox_status(engine: Engine, *, now: datetime) -> OutboxStatus:
    """How much of the outbox is waiting for the MIS, and for how long the oldest has waited."""
    with SqlUnitOfWork(engine, write=False) as uow:
        counts: dict[str, int] = dict(
            uow.connection.execute(
                select(outbox.c.state, func.count()).group_by(outbox.c.state)
            ).all()
        )
        due = uow.connection.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.state == "pending", outbox.c.next_attempt_at <= now)
        ).scalar_one()
        oldest = uow.connection.execute(
            select(func.min(outbox.c.created_at)).where(outbox.c.state == "pending")
        ).scalar_one_or_none()
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return OutboxStatus(
        pending=int(counts.get("pending", 0)),
        due=int(due),
        dead=int(counts.get("dead", 0)),
        oldest_pending_at=oldest,
        oldest_age_s=age,
    )


def dead_rows(engine: Engine, *, limit: int = 100) -> Sequence[tuple[int, str, str, str | None]]:
    """The dead rows, newest first: (id, topic, aggregate_id, last_error)."""
    with SqlUnitOfWork(engine, write=False) as uow:
        rows = uow.connection.execute(
            select(outbox.c.id, outbox.c.topic, outbox.c.aggregate_id, outbox.c.last_error)
            .where(outbox.c.state == "dead")
            .order_by(outbox.c.id.desc())
            .limit(limit)
        ).all()
    return [(int(r.id), r.topic, r.aggregate_id, r.last_error) for r in rows]
