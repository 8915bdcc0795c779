"""Delivering claimed rows to the MIS: post, ask before a re-post, undo after the post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final

from pydantic import ValidationError
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.tables import outbox, payments
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient, MisError, MisRefusedError, MisUnreachableError
from gridpos.application.mis_messages import PaymentFacts, payment_ids_of, read_payment
from gridpos.application.outbox_delivery.policy import (
    CALLS_PER_ROW,
    LEASE_MARGIN,
    ORDER_SENSITIVE,
    TOPIC_CANCEL,
    TOPIC_POST,
    TOPICS,
    DeliveryReport,
    Jitter,
    RetryPolicy,
)
from gridpos.application.outbox_delivery.rows import (
    Claim,
    Outcome,
    claim_due,
    first_problem,
    record_all,
    renew_leases,
)
from gridpos.application.ports import Clock
from gridpos.protocol.mis import PostingRequest

FLUSH_ROWS: Final = 10  # outcomes written per transaction: fewer commits, little to redo


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
    # one row at most makes CALLS_PER_ROW calls: the lease covers one row and a margin, and is
    # renewed before a row that might outlast it — so rows a killed worker held are due again
    # within a minute, while a slow batch keeps its rows for as long as it works on them
    row_time = timedelta(seconds=call_timeout * CALLS_PER_ROW)
    lease = row_time + LEASE_MARGIN
    claims = claim_due(engine, now=clock.now(), batch_size=batch_size, lease=lease)
    payments_of = _read_payments(engine, claims) if claims else {}
    counts = {"sent": 0, "retry": 0, "dead": 0, "defer": 0, "release": 0, "lost": 0}
    errors: list[tuple[int, str]] = []
    unavailable = False
    waiting: list[tuple[Claim, Outcome]] = []
    lost: set[int] = set()

    def flush() -> None:
        kept = record_all(engine, waiting, now=clock.now(), policy=policy, jitter=jitter)
        for (_, outcome), was_kept in zip(waiting, kept, strict=True):
            counts[outcome.kind if was_kept else "lost"] += 1
        waiting.clear()

    for position in range(len(claims)):
        claim = claims[position]
        if waiting and claim.topic != TOPIC_POST:
            flush()  # an undo must see the posts delivered before it
        if unavailable or (should_stop is not None and should_stop()):
            outcome = Outcome(kind="release")
        else:
            if claim.lease_until - clock.now() < row_time:
                flush()  # the outcomes so far are written under the lease they were claimed with
                claims[position:], taken = renew_leases(
                    engine, claims[position:], now=clock.now(), lease=lease
                )
                lost |= taken
                claim = claims[position]
            if claim.id in lost:  # taken over while this worker was slow: not ours to send
                counts["lost"] += 1
                continue
            outcome = _deliver(
                engine, client, claim, payments_of[claim.id], clock=clock, timeout_s=timeout_s
            )
            unavailable = outcome.mis_wide
        if outcome.kind == "retry" and claim.attempts >= policy.max_attempts:
            outcome = Outcome(
                kind="dead",
                error=f"gave up after {claim.attempts} attempts: {outcome.error}",
                code=outcome.code,
                mis_state="failed",
                payment=outcome.payment,
            )
        if outcome.code is not None:
            errors.append((claim.id, outcome.code))
        waiting.append((claim, outcome))
        if len(waiting) >= FLUSH_ROWS:
            flush()
    if waiting:
        flush()
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


def _read_payments(engine: Engine, claims: Sequence[Claim]) -> dict[int, PaymentFacts | Outcome]:
    """Each claimed row's payment, read in one go (or the dead outcome of a row naming none)."""
    found: dict[int, PaymentFacts | Outcome] = {}
    with SqlUnitOfWork(engine, write=False) as uow:
        ids = payment_ids_of(uow.connection, sorted({claim.aggregate_id for claim in claims}))
        for claim in claims:
            payment_id = ids.get(claim.aggregate_id)
            try:
                facts = read_payment(uow.connection, payment_id) if payment_id else None
            except ValidationError as exc:
                found[claim.id] = Outcome(
                    kind="dead", code="message_invalid", error=first_problem(exc)
                )
                continue
            found[claim.id] = facts or Outcome(
                kind="dead", code="payment_unknown", error=f"no payment {claim.aggregate_id!r}"
            )
    return found


def _deliver(
    engine: Engine,
    client: MisClient,
    claim: Claim,
    facts: PaymentFacts | Outcome,
    *,
    clock: Clock,
    timeout_s: float | None,
) -> Outcome:
    if isinstance(facts, Outcome):
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
            return Outcome(kind="release", mis_wide=True, code=exc.mis_code, error=str(exc))
        if exc.mis_code in ORDER_SENSITIVE and _older_undelivered(engine, claim, facts):
            return Outcome(kind="retry", code=exc.mis_code, error=str(exc), payment=facts)
        return Outcome(
            kind="dead", code=exc.mis_code, error=str(exc), mis_state="failed", payment=facts
        )
    except MisUnreachableError as exc:
        if exc.code == "mis_timeout":  # counted: a row that always times out must end
            return Outcome(
                kind="retry", mis_wide=True, code=exc.code, error=str(exc), payment=facts
            )
        return Outcome(kind="release", mis_wide=True, code=exc.code, error=str(exc))
    except MisError as exc:
        return Outcome(kind="retry", code=exc.code, error=str(exc), payment=facts)


def _post(
    client: MisClient, claim: Claim, facts: PaymentFacts, *, timeout_s: float | None
) -> Outcome:
    posting = _written_posting(claim.payload, facts)
    if claim.attempts > 1:
        found = client.find_posting(facts.txn_id, timeout_s=timeout_s)
        if found is not None:
            if (found.account_no, found.amount_fen) != (posting.account_no, posting.amount_fen):
                return Outcome(
                    kind="dead",
                    code="posting_differs",
                    error=(
                        f"the MIS holds posting {found.serial} under {facts.txn_id} for"
                        f" {found.account_no}, {found.amount_fen} fen: not this payment"
                    ),
                    mis_state="failed",
                    payment=facts,
                )
            return Outcome(kind="sent", mis_state="posted", payment=facts)
    client.post_payment(posting, timeout_s=timeout_s)
    return Outcome(kind="sent", mis_state="posted", payment=facts)


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
    claim: Claim,
    facts: PaymentFacts,
    post_state: str | None,
    *,
    clock: Clock,
    timeout_s: float | None,
) -> Outcome:
    if post_state == "pending":
        # the post first: an undo never overtakes the posting it undoes
        return Outcome(kind="defer", defer_until=clock.now() + timedelta(seconds=1))
    if facts.undo is None:
        return Outcome(
            kind="dead",
            code="undo_unknown",
            error=f"payment {facts.txn_id} has no reversal, void or cancellation recorded",
            mis_state="failed",
            payment=facts,
        )
    found = client.find_posting(facts.txn_id, timeout_s=timeout_s)
    if found is None:
        return Outcome(
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
        return Outcome(kind="sent", mis_state="undone", payment=facts)  # undone already
    kind = facts.undo.mis_kind(
        posting_business_date=found.business_date, cancel=claim.topic == TOPIC_CANCEL
    )
    client.undo_posting(
        facts.txn_id,
        facts.undo.request(serial=found.serial, amount_fen=found.amount_fen),
        kind=kind,
        timeout_s=timeout_s,
    )
    return Outcome(kind="sent", mis_state="undone", payment=facts)


def _post_state(uow: SqlUnitOfWork, claim: Claim) -> str | None:
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


def _older_undelivered(engine: Engine, claim: Claim, facts: PaymentFacts) -> bool:
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
