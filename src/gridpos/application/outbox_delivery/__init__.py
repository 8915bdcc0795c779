"""Use case: deliver the outbox to the MIS — every payment, reversal, void and cancellation, once.

Topics (written by the payment use cases in the payment's own transaction):

| topic         | what the MIS is asked                                              |
| ------------- | ------------------------------------------------------------------ |
| ``mis.post``    | post the payment (进账), idempotent on its transaction id          |
| ``mis.reverse`` | undo it: 冲正 on the posting's business day, else 冲销            |
| ``mis.cancel``  | undo it as a next-day cancellation (冲销)                          |

**Claiming.** :func:`deliver_due` claims up to ``batch_size`` due ``pending`` rows in one short
transaction — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the outbox and
never wait for one another — and stamps each with a lease and one more attempt. The lease
(``next_attempt_at`` moved ahead) covers one row's calls to the MIS and a margin, under a minute
with the usual timeouts, and is renewed before a row that might outlast it: a worker killed
mid-batch leaves its rows due again within the minute, a slow one keeps them while it works.
HTTP happens outside any transaction; the outcomes are written in short transactions of up to ten
rows (before an undo, so it sees the posts delivered ahead of it, and before a renewal), each only
if its row still carries this claim's lease: a worker that stalled past its lease finds its rows
taken over, writes nothing and sends no more of them. Outcomes lost to a crash before they were
written only cost a repeat the MIS recognises.

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

from gridpos.application.outbox_delivery.backlog import (
    OutboxStatus,
    RequeueError,
    dead_rows,
    outbox_status,
    requeue_dead,
)
from gridpos.application.outbox_delivery.delivery import deliver_due
from gridpos.application.outbox_delivery.policy import (
    ORDER_SENSITIVE,
    TOPIC_CANCEL,
    TOPIC_POST,
    TOPIC_REVERSE,
    TOPICS,
    DeliveryReport,
    Jitter,
    RetryPolicy,
)

__all__ = [
    "ORDER_SENSITIVE",
    "TOPICS",
    "TOPIC_CANCEL",
    "TOPIC_POST",
    "TOPIC_REVERSE",
    "DeliveryReport",
    "Jitter",
    "OutboxStatus",
    "RequeueError",
    "RetryPolicy",
    "dead_rows",
    "deliver_due",
    "outbox_status",
    "requeue_dead",
]
