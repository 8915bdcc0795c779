"""What the PostgreSQL payment path reads and writes, as plain records, and the translation from
and to the rows and parameters of its statements (:mod:`.postgresql_sql`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from psycopg.types.json import Jsonb

from gridpos.adapters.db.audit_log import canonical_json
from gridpos.adapters.db.kept_balances import KEPT_BALANCES
from gridpos.adapters.db.payment_store.records import CustomerRecord, ReceivableRecord
from gridpos.adapters.db.terminal_store import BatchRecord, TerminalSession
from gridpos.domain.accounts import AccountRef
from gridpos.domain.audit import AuditAction
from gridpos.domain.ledger import Posting, balance_changes


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """A payment already recorded under the request's transaction id (its receipt is read
    apart, when the request repeats it)."""

    id: int
    request_hash: str
    state: str


@dataclass(frozen=True, slots=True)
class PaymentContext:
    """What round trip 1 read. ``session`` is None when the counter was not claimed (replayed,
    or the terminal disabled or enrolled again: ``terminal_state``, ``key_version`` and
    ``last_counter`` say which)."""

    session: TerminalSession | None
    terminal_state: str
    key_version: int
    last_counter: int
    stored: StoredPayment | None
    tombstone: bool
    batch: BatchRecord | None
    day_cash: int
    operator_name: str | None
    operator_account: str | None
    customer: CustomerRecord | None
    receivables: tuple[ReceivableRecord, ...]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """The audit entry of the payment (written unsealed)."""

    actor: str
    action: AuditAction
    subject: str
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """The outbox row announcing the payment to the MIS."""

    topic: str
    aggregate_id: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PaymentRows:
    """Everything round trip 2 writes for one payment."""

    payment: Mapping[str, Any]  # the payments row's columns, as ``PaymentStore.add`` takes them
    allocations: Sequence[tuple[int, int, int]]  # (receivable id, penalty paid, principal paid)
    postings: Sequence[Posting]  # the ledger transactions, in order (one per event kind)
    receipt: bytes
    audit: AuditRecord
    outbox: OutboxRecord


def context_from_rows(claimed: Any, locked: Any, context: Any) -> PaymentContext:
    """The context of a payment from the rows of round trip 1 (a claim and a customer each
    None when there was none).

    Raises ``LookupError`` when the terminal's row is missing.
    """
    if context is None:
        raise LookupError("the terminal of the payment does not exist")
    session = (
        None
        if claimed is None
        else TerminalSession(
            business_date=claimed[0],
            operator_id=claimed[1],
            signed_in_at=_utc(claimed[2]),
            agent_id=claimed[3],
            org_id=int(claimed[4]),
        )
    )
    (state, key_version, last_counter, payment_id, request_hash, payment_state) = context[:6]
    (tombstone, batch_id, batch_no, batch_date, batch_state, batch_operator) = context[6:12]
    (day_cash, operator_name, operator_account, receivables) = context[12:16]
    return PaymentContext(
        session=session,
        terminal_state=state,
        key_version=int(key_version),
        last_counter=int(last_counter),
        stored=None
        if payment_id is None
        else StoredPayment(id=int(payment_id), request_hash=request_hash, state=payment_state),
        tombstone=bool(tombstone),
        batch=None
        if batch_id is None
        else BatchRecord(
            id=int(batch_id),
            batch_no=int(batch_no),
            business_date=batch_date,
            state=batch_state,
            operator_id=batch_operator,
        ),
        day_cash=int(day_cash),
        operator_name=operator_name,
        operator_account=operator_account,
        customer=None
        if locked is None
        else CustomerRecord(
            id=int(locked[0]),
            account_no=locked[1],
            name=locked[2],
            address=locked[3],
            category=locked[4],
            station_org_id=int(locked[5]),
            prepaid=int(locked[6]),
            rounding_credit=int(locked[7]),
            mis_updated_at=_utc(locked[8]),
            in_county=bool(locked[9]),
        ),
        receivables=tuple(
            ReceivableRecord(
                id=int(row[0]),
                period=row[1],
                run_no=int(row[2]),
                kwh=int(row[3]),
                principal=int(row[4]),
                principal_paid=int(row[5]),
                due_date=date.fromisoformat(row[6]),
            )
            for row in (orjson.loads(receivables) if receivables is not None else ())
        ),
    )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


# the kept balances each table's UPDATE moves (all of them, a zero where nothing changes)
_MOVED = {
    "agents": ("float_available", "float_held", "commission_accrued"),
    "customers": ("prepaid", "rounding_credit"),
    "receivables": ("principal_paid", "penalty_paid"),
}


def write_params(
    rows: PaymentRows, *, agent_id: int, business_date: date, now: datetime
) -> tuple[dict[str, Any], dict[AccountRef, int]]:
    """The parameters of :data:`~.postgresql_sql.WRITE_PAYMENT` (one JSON document and three
    scalars), and every kept balance's move."""
    kinds = [posting.kind.value for posting in rows.postings]
    if len(set(kinds)) != len(kinds):
        raise ValueError("one ledger transaction per event kind in a payment")
    moves: dict[AccountRef, int] = {}
    for posting in rows.postings:
        for account, change in balance_changes(posting).items():
            moves[account] = moves.get(account, 0) + change
    owners: dict[str, dict[int, dict[str, int]]] = {
        "agents": {},
        "customers": {},
        "receivables": {},
    }
    for account, change in moves.items():
        kept = KEPT_BALANCES.get(account.kind)
        if kept is None or account.owner_id is None or not change:
            continue
        group = owners[kept.table.name]
        columns = group.setdefault(account.owner_id, dict.fromkeys(_MOVED[kept.table.name], 0))
        columns[kept.column_name] += change
    document = {
        "payment": dict(rows.payment),
        "allocations": [
            {"receivable_id": receivable, "penalty_paid": penalty, "principal_paid": principal}
            for receivable, penalty, principal in rows.allocations
        ],
        "transactions": [{"n": n, "kind": kind, "memo": ""} for n, kind in enumerate(kinds)],
        "entries": [
            {
                "n": n,
                "txn": posting.kind.value,
                "account_kind": entry.account.kind.value,
                "owner_id": entry.account.owner_id,
                "amount": entry.amount,
            }
            for posting in rows.postings
            for n, entry in enumerate(posting.entries)
        ],
        **{
            table: [{"id": owner, **columns} for owner, columns in sorted(group.items())]
            for table, group in owners.items()
        },
        "receipt": rows.receipt.decode("utf-8"),
        "audit_actor": rows.audit.actor,
        "audit_action": str(rows.audit.action),
        "audit_subject": rows.audit.subject,
        "audit_details": canonical_json(rows.audit.details),
        "outbox_topic": rows.outbox.topic,
        "outbox_aggregate": rows.outbox.aggregate_id,
        "outbox_payload": json.dumps(rows.outbox.payload, ensure_ascii=False, sort_keys=True),
    }
    params = {
        "doc": Jsonb(document, dumps=orjson.dumps),
        "agent_id": agent_id,
        "business_date": business_date,
        "recorded_at": now,
    }
    return params, moves


def parameters_from_rows(rows: Sequence[Any]) -> dict[str, Any]:
    """Every parameter's value (parsed JSON) from (key, value) rows in key and date order, the
    latest winning (as ``parameter_store.parameters_in_force``)."""
    values: dict[str, Any] = {}
    for key, value in rows:
        try:
            values[key] = json.loads(value)
        except ValueError:
            values.pop(key, None)
    return values
