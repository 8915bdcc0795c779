"""Store-and-forward: resolve what waits for the server, in journal order, until the link fails.

Waiting payments are taken oldest first. An online one is resolved by
:func:`~gridpos.terminal.payments.resolve_payment` (its reversal or void first when the collector
asked for one; otherwise its status, then the same request again if the server never got it);
consecutive offline ones go up together (:func:`~gridpos.terminal.offline.upload_offline`, at most
20 a request, oldest first). The pass stops at the first exchange without an answer, or when the
server will not look at a payment now (not signed in…): the order is kept, the rest waits for the
next pass. Every pass is bounded by the configured request budget.

Because every step reads the journal afresh, a pass after a crash at any instant — before the
request left, after it left, after the answer came, while printing — continues from what the
journal holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorBody
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.journal import TxnRecord
from gridpos.terminal.offline import upload_offline
from gridpos.terminal.payments import resolve_payment
from gridpos.terminal.sending import SendResult, Step


@dataclass(frozen=True, slots=True)
class ForwardReport:
    """One pass: how many payments got their answer, how many still wait, and why it stopped."""

    resolved: tuple[str, ...]
    remaining: int
    stopped_by: Step | None = None
    error: ErrorBody | None = None

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def _is_upload(record: TxnRecord) -> bool:
    return (
        record.offline
        and record.reversal_seq is None
        and record.void_seq is None
        and record.state in (PaymentState.PENDING, PaymentState.UNKNOWN)
    )


def _upload_group(waiting: list[TxnRecord]) -> list[TxnRecord]:
    group: list[TxnRecord] = []
    for record in waiting:
        if not _is_upload(record):
            break
        group.append(record)
    return group


def resolve_pending(context: TerminalContext, *, budget: int | None = None) -> ForwardReport:
    """One pass of the forwarder (see the module's docstring).

    Raises:
        TerminalRefusalError: ``not_enrolled``.
        JournalUnwritableError: an answer could not be journalled (it will be asked again).
    """
    context.require_identity()
    journal = context.journal
    steps = budget if budget is not None else context.config.resolve_budget
    resolved: list[str] = []
    for _step in range(max(steps, 0)):
        waiting = journal.waiting()
        if not waiting:
            break
        first = waiting[0]
        result: SendResult
        if _is_upload(first):
            group = _upload_group(waiting)
            result = upload_offline(context, group)
            names = [record.txn_id for record in group]
        else:
            result = resolve_payment(context, first)
            names = [first.txn_id]
        if result.step in (Step.NO_ANSWER, Step.BLOCKED):
            return ForwardReport(
                tuple(resolved), journal.waiting_count(), result.step, result.error
            )
        resolved.extend(
            name for name in names if (record := journal.txn(name)) and not record.waiting
        )
    return ForwardReport(tuple(resolved), journal.waiting_count())
