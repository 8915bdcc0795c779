"""The day judged from the counter: every handover against the terminals' journals, the server's
payments and the MIS's postings.

Rules (the customer's view first):

- the cash is **taken** once the payment is journalled (the terminal journals before it sends,
  and a collector takes cash only then); a handover never journalled was handed back at once —
  legitimately only when the terminal refused it or crashed during that very payment, otherwise
  it is **lost**;
- the cash **went back** when the collector cancelled (冲正), the server rejected the payment at
  the counter, or the payment was voided (撤销);
- **lost**: taken, not gone back, and the server has no confirmed payment for it;
- **duplicated**: more than one server payment (or journal payment) for one handover;
- **one-sided**: the journal and the server disagree about a payment after the final sync — a
  state that differs, a payment one side has and the other lacks, a payment still waiting, a
  cancelled handover the server kept confirmed — or the server has a payment nobody handed
  cash over for;
- **MIS**: every confirmed payment posted exactly once and not undone; every undone payment
  either never posted or undone there; nothing posted that we do not have.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gridpos.domain.payment_state import PaymentState
from gridpos.sim.fleet.events import CounterResult, Event


@dataclass(frozen=True, slots=True)
class JournalPayment:
    """A payment as its terminal's journal holds it after the final sync."""

    terminal_no: str
    txn_id: str
    state: PaymentState
    offline: bool
    cash: int
    cancelled: bool
    waiting: bool


@dataclass(frozen=True, slots=True)
class ServerPayment:
    """A payment as the server's database holds it."""

    terminal_no: str
    txn_id: str
    state: PaymentState
    offline: bool
    cash: int
    agent_code: str


@dataclass(frozen=True, slots=True)
class MisPostings:
    """What the MIS's daily reports list under one payment id."""

    postings: int = 0
    undos: int = 0


@dataclass(frozen=True, slots=True)
class Handover:
    """One customer's cash at the counter, with everything the collector saw of it."""

    terminal_no: str
    visit: int
    nonce: str
    account_no: str
    cash: int
    offline: bool
    result: str | None = None  # CounterResult, None when the terminal died before answering
    served_s: float | None = None
    cancelled: bool = False
    crashed: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.terminal_no, self.nonce


@dataclass
class Truth:
    """The day's figures (see the module's docstring)."""

    attempted: int = 0
    taken: int = 0
    refused_at_terminal: int = 0
    handed_back_at_crash: int = 0
    confirmed: int = 0
    confirmed_at_counter: int = 0
    offline: int = 0
    unknown_at_counter: int = 0
    resolved_after_unknown: int = 0
    reversed: int = 0
    voided: int = 0
    rejected: int = 0
    rejected_after_unknown: int = 0
    lost: int = 0
    duplicated: int = 0
    one_sided: int = 0
    unmatched_server_payments: int = 0
    receipts_printed: int = 0
    receipts_without_payment: int = 0
    mis_posted_once: int = 0
    mis_missing: int = 0
    mis_duplicated: int = 0
    mis_extra: int = 0
    served_s: list[float] = field(default_factory=list)  # online: query and pay over the link
    served_offline_s: list[float] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def note(self, kind: str, what: str) -> None:
        """Keep a few examples of each problem for the report."""
        if len(self.examples[kind]) < 5:
            self.examples[kind].append(what)

    @property
    def mis_ok(self) -> bool:
        return not (self.mis_missing or self.mis_duplicated or self.mis_extra)


def nonce_of(txn_id: str) -> str:
    """The UUID part of a transaction id (``<terminal>-<serial>-<nonce>``)."""
    return txn_id.rsplit("-", 1)[-1]


def handovers_of(events: Iterable[Event]) -> list[Handover]:
    """Every handover with its counter outcome, cancellation and crash, in the order they came."""
    found: dict[tuple[str, str], Handover] = {}
    by_visit: dict[tuple[str, int], tuple[str, str]] = {}
    crashed_visits: set[tuple[str, int]] = set()
    for event in events:
        kind, term = event.get("ev"), str(event.get("term"))
        if kind == "handover":
            handover = Handover(
                terminal_no=term,
                visit=int(event["visit"]),
                nonce=str(event["nonce"]),
                account_no=str(event["acct"]),
                cash=int(event["cash"]),
                offline=bool(event["offline"]),
            )
            found[handover.key] = handover
            by_visit[(term, handover.visit)] = handover.key
        elif kind == "outcome" and (term, str(event.get("nonce"))) in found:
            key = (term, str(event["nonce"]))
            served = event.get("served_s")
            found[key] = _replace(
                found[key],
                result=str(event["result"]),
                served_s=float(served) if served is not None else None,
            )
        elif kind == "cancelled" and (term, int(event["visit"])) in by_visit:
            key = by_visit[(term, int(event["visit"]))]
            found[key] = _replace(found[key], cancelled=True)
        elif kind == "crash":
            crashed_visits.add((term, int(event["visit"])))
    for term_visit in crashed_visits:
        if term_visit in by_visit:
            key = by_visit[term_visit]
            found[key] = _replace(found[key], crashed=True)
    return list(found.values())


def _replace(handover: Handover, **changes: Any) -> Handover:
    values = {name: getattr(handover, name) for name in Handover.__dataclass_fields__}
    values.update(changes)
    return Handover(**values)


def judge(
    *,
    events: Sequence[Event],
    journals: Mapping[str, Sequence[JournalPayment]],
    server: Sequence[ServerPayment],
    tombstones: set[tuple[str, str]],
    mis: Mapping[str, MisPostings] | None,
) -> Truth:
    """The figures of the day (see the module's docstring)."""
    truth = Truth()
    handovers = handovers_of(events)
    journal_by_key: dict[tuple[str, str], list[JournalPayment]] = defaultdict(list)
    journal_by_txn: dict[tuple[str, str], JournalPayment] = {}
    for terminal_no, records in journals.items():
        for record in records:
            journal_by_key[(terminal_no, nonce_of(record.txn_id))].append(record)
            journal_by_txn[(terminal_no, record.txn_id)] = record
    server_by_key: dict[tuple[str, str], list[ServerPayment]] = defaultdict(list)
    server_by_txn: dict[tuple[str, str], ServerPayment] = {}
    for payment in server:
        server_by_key[(payment.terminal_no, nonce_of(payment.txn_id))].append(payment)
        server_by_txn[(payment.terminal_no, payment.txn_id)] = payment
    handover_keys = {handover.key for handover in handovers}

    for handover in handovers:
        _judge_handover(truth, handover, journal_by_key, server_by_key, tombstones)

    # one-sided: every payment either side has, compared after the final sync
    for key, record in journal_by_txn.items():
        found = server_by_txn.get(key)
        if not _agree(record, found, tombstone=key in tombstones):
            truth.one_sided += 1
            server_state = found.state.value if found else "none"
            truth.note(
                "one_sided", f"{key[1]}: journal {record.state.value}, server {server_state}"
            )
    for key, payment in server_by_txn.items():
        if key not in journal_by_txn:
            truth.one_sided += 1
            truth.note("one_sided", f"{key[1]}: server {payment.state.value}, journal none")
        if (key[0], nonce_of(key[1])) not in handover_keys:
            truth.unmatched_server_payments += 1
            truth.note("unmatched", key[1])

    _judge_receipts(truth, events, server_by_txn)
    if mis is not None:
        _judge_mis(truth, server, mis)
    return truth


def _judge_handover(
    truth: Truth,
    handover: Handover,
    journal_by_key: Mapping[tuple[str, str], list[JournalPayment]],
    server_by_key: Mapping[tuple[str, str], list[ServerPayment]],
    tombstones: set[tuple[str, str]],
) -> None:
    truth.attempted += 1
    records = journal_by_key.get(handover.key, [])
    payments = server_by_key.get(handover.key, [])
    label = f"{handover.terminal_no} visit {handover.visit} ({handover.nonce})"
    if len(records) > 1 or len(payments) > 1:
        truth.duplicated += max(len(records), len(payments)) - 1
        truth.note("duplicated", label)
    if handover.served_s is not None and handover.result not in (None, CounterResult.REFUSED):
        served = truth.served_offline_s if handover.offline else truth.served_s
        served.append(handover.served_s)
    if not records:
        if handover.result == CounterResult.REFUSED:
            truth.refused_at_terminal += 1
        elif handover.crashed and handover.result is None:
            truth.handed_back_at_crash += 1
        else:
            truth.lost += 1
            truth.note("lost", f"{label}: never journalled")
        if payments:
            truth.note("one_sided", f"{label}: server payment without a journal row")
        return
    truth.taken += 1
    record = records[0]
    payment = payments[0] if payments else None
    state = payment.state if payment is not None else None
    at_counter = handover.result
    if record.offline:
        truth.offline += 1
    if at_counter == CounterResult.WAITING or (at_counter is None and not record.offline):
        truth.unknown_at_counter += 1
        if state is not None or (handover.terminal_no, record.txn_id) in tombstones:
            truth.resolved_after_unknown += 1
    if at_counter == CounterResult.CONFIRMED:
        truth.confirmed_at_counter += 1
    cancelled = handover.cancelled or record.cancelled
    if state is PaymentState.CONFIRMED:
        truth.confirmed += 1
        if cancelled:
            truth.one_sided += 1
            truth.note("one_sided", f"{label}: cash handed back, payment kept")
        return
    if state is PaymentState.VOIDED:
        truth.voided += 1
        return
    if cancelled and state in (None, PaymentState.REVERSED):
        truth.reversed += 1
        return
    if record.state is PaymentState.REJECTED and state in (None, PaymentState.REJECTED):
        if at_counter == CounterResult.REJECTED:
            truth.rejected += 1
        else:
            truth.rejected_after_unknown += 1
            truth.note("rejected_after_unknown", label)
        return
    truth.lost += 1
    truth.note("lost", f"{label}: journal {record.state.value}, server {state or 'none'}")


def _agree(record: JournalPayment, payment: ServerPayment | None, *, tombstone: bool) -> bool:
    if record.waiting:
        return False
    if payment is None:
        return record.state is PaymentState.REJECTED or (
            record.state is PaymentState.REVERSED and tombstone
        )
    return payment.state is record.state


def _judge_receipts(
    truth: Truth, events: Sequence[Event], server_by_txn: Mapping[tuple[str, str], ServerPayment]
) -> None:
    for event in events:
        if event.get("ev") != "printed":
            continue
        truth.receipts_printed += 1
        payment = server_by_txn.get((str(event["term"]), str(event["txn"])))
        standing = (PaymentState.CONFIRMED, PaymentState.VOIDED)
        if not event.get("offline") and (payment is None or payment.state not in standing):
            truth.receipts_without_payment += 1
            truth.note("receipt_without_payment", str(event["txn"]))


def _judge_mis(
    truth: Truth, server: Sequence[ServerPayment], mis: Mapping[str, MisPostings]
) -> None:
    ours = {payment.txn_id: payment for payment in server}
    for payment in server:
        posted = mis.get(payment.txn_id, MisPostings())
        if posted.postings > 1:
            truth.mis_duplicated += 1
            truth.note("mis_duplicated", payment.txn_id)
        if payment.state is PaymentState.CONFIRMED:
            if posted.postings == 0:
                truth.mis_missing += 1
                truth.note("mis_missing", payment.txn_id)
            elif posted.undos:
                truth.mis_extra += 1
                truth.note("mis_extra", f"{payment.txn_id}: undone in the MIS")
            elif posted.postings == 1:
                truth.mis_posted_once += 1
        elif posted.postings > posted.undos:
            truth.mis_extra += 1
            truth.note("mis_extra", f"{payment.txn_id}: {payment.state.value}, posted")
    for payment_id, posted in mis.items():
        if payment_id not in ours and posted.postings > posted.undos:
            truth.mis_extra += 1
            truth.note("mis_extra", f"{payment_id}: not ours")


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def query_results(events: Iterable[Event]) -> dict[str, int]:
    """How each customer's account query ended: ``online``, ``offline`` (from the download),
    ``refused`` (a mistyped or unknown number) or ``no_answer`` (no service: the link was out
    and the terminal had no offline copy of the customer)."""
    last: dict[tuple[str, int], str] = {}
    for event in events:
        if event.get("ev") == "query":
            last[(str(event.get("term")), int(event.get("visit", -1)))] = str(event.get("result"))
    return dict(Counter(last.values()))
