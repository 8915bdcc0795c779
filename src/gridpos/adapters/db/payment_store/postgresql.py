"""The payment path on PostgreSQL: a whole payment in two database round trips.

The generic path (:mod:`.generic`) issues some twenty statements, each waiting for its answer.
Here, on a raw psycopg 3 connection taken from the engine's pool, in pipeline mode:

1. ``BEGIN`` and four statements sent together (:data:`~.postgresql_sql.CLAIM`,
   :data:`~.postgresql_sql.LOCK_CUSTOMER`, :data:`~.postgresql_sql.CONTEXT`,
   :data:`~.postgresql_sql.OPEN_RECEIVABLES`): the terminal's counter claimed, the customer
   locked, then everything the use case decides on read — one round trip (:meth:`read`);
2. the use case prices and allocates in Python (the domain), then one statement writes the payment
   and everything with it, and ``COMMIT`` rides in the same pipeline — one round trip
   (:meth:`write`).

A refusal decided between the two is a ``ROLLBACK`` (:meth:`rollback`). A kept balance pushed out
of its bounds (the agent's float below zero) fails the write statement on its CHECK, the COMMIT
never runs, and the refusal comes back named exactly as the generic path names it
(:func:`~gridpos.adapters.db.ledger_store.balance_refusal`).

Every statement is prepared on its connection at first use. The connection goes back to the pool
as it came (not autocommit, no transaction open); one that broke is thrown away.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Engine

from gridpos.adapters.db.audit_log import canonical_json
from gridpos.adapters.db.engine import DatabaseUnreachableError, redacted
from gridpos.adapters.db.kept_balances import KEPT_BALANCES
from gridpos.adapters.db.ledger_store import balance_refusal
from gridpos.adapters.db.payment_store import postgresql_sql as sql
from gridpos.adapters.db.payment_store.records import CustomerRecord, ReceivableRecord
from gridpos.adapters.db.terminal_store import BatchRecord, TerminalSession
from gridpos.domain.accounts import AccountKind, AccountRef
from gridpos.domain.ledger import Posting, balance_changes


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """A payment already recorded under the request's transaction id."""

    id: int
    request_hash: str
    state: str
    receipt: bytes


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
    action: str
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


class PostgresPayment:
    """One payment's transaction on a pooled connection: ``with``, then :meth:`read`, then
    :meth:`write` (which commits) or :meth:`rollback`; leaving otherwise rolls back.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the database
    cannot be reached or the connection breaks.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pooled: Any = None
        self._connection: psycopg.Connection[Any] | None = None
        self._pipeline = ExitStack()
        self._pipe: psycopg.Pipeline | None = None

    def __enter__(self) -> Self:
        try:
            pooled = self._engine.raw_connection()
        except Exception as exc:  # the pool wraps the driver's error
            raise self._unreachable(exc) from exc
        connection = pooled.driver_connection
        if not isinstance(connection, psycopg.Connection):
            pooled.close()
            raise TypeError("the PostgreSQL payment path needs a psycopg 3 engine")
        self._pooled, self._connection = pooled, connection
        connection.autocommit = True  # BEGIN and COMMIT are ours, inside the pipelines
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, pooled = self._connection, self._pooled
        self._connection = self._pooled = None
        if connection is None:
            return
        try:
            self._pipeline.close()
            if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                connection.execute("ROLLBACK")
            connection.autocommit = False
        except psycopg.Error:
            pooled.invalidate()
            return
        finally:
            pooled.close()

    # ---- round trip 1 ------------------------------------------------------------------------

    def read(
        self,
        *,
        terminal_id: int,
        key_version: int,
        counter: int,
        txn_id: str,
        account_no: str,
        county_path: str,
        now: datetime,
    ) -> PaymentContext:
        """Begin, claim the counter, lock the customer and read the payment's context.

        Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError`.
        """
        connection = self._open()
        params = {
            "terminal_id": terminal_id,
            "key_version": key_version,
            "counter": counter,
            "now": now,
            "txn_id": txn_id,
            "account_no": account_no,
            "county_path": county_path,
        }
        try:
            pipeline = self._pipe = self._pipeline.enter_context(connection.pipeline())
            connection.execute("BEGIN")
            claimed = connection.execute(sql.CLAIM, params, prepare=True)
            locked = connection.execute(sql.LOCK_CUSTOMER, params, prepare=True)
            context = connection.execute(sql.CONTEXT, params, prepare=True)
            open_items = connection.execute(sql.OPEN_RECEIVABLES, params, prepare=True)
            pipeline.sync()
            return _context(
                claimed.fetchone(), locked.fetchone(), context.fetchone(), open_items.fetchall()
            )
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    def parameters_in_force(self, day: date) -> dict[str, Any]:
        """Every parameter's value (parsed JSON) in force on ``day``, read in this transaction
        (as ``parameter_store.parameters_in_force``): one more round trip, when not cached.

        Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError`.
        """
        connection = self._open()
        try:
            cursor = connection.execute(sql.PARAMETERS, {"day": day}, prepare=True)
            self._pipeline_sync()
            rows = cursor.fetchall()
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc
        values: dict[str, Any] = {}
        for key, value in rows:
            try:
                values[key] = json.loads(value)
            except ValueError:
                values.pop(key, None)
        return values

    # ---- round trip 2 ------------------------------------------------------------------------

    def write(
        self, rows: PaymentRows, *, agent_id: int, business_date: date, now: datetime
    ) -> tuple[int, int]:
        """Write the payment and commit; its id and the agent's float after it.

        Raises :class:`~gridpos.domain.ledger.LedgerError` (``float_insufficient`` and the other
        kept-balance refusals of the generic path) with nothing written, and
        :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError`.
        """
        connection = self._open()
        params, moves = _write_params(rows, agent_id=agent_id, business_date=business_date, now=now)
        try:
            written = connection.execute(sql.WRITE_PAYMENT, params, prepare=True)
            connection.execute("COMMIT")
            self._pipeline.close()  # the one sync of this round trip
            row = written.fetchone()
        except pg_errors.CheckViolation as exc:
            self._end_aborted_pipeline()
            connection.execute("ROLLBACK")
            raise self._balance_refusal(exc, moves) from exc
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc
        if row is None or row[1] is None:
            raise RuntimeError("the payment statement wrote no payment")
        return int(row[0]), int(row[1])

    def commit(self) -> None:
        """Commit what :meth:`read` did (the counter claimed) when nothing is written: a repeat
        answered from the stored receipt."""
        connection = self._open()
        try:
            connection.execute("COMMIT")
            self._pipeline.close()
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    def rollback(self) -> None:
        """Throw the transaction away (a refusal decided after :meth:`read`)."""
        connection = self._open()
        try:
            connection.execute("ROLLBACK")
            self._pipeline.close()
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    # ---- helpers ---------------------------------------------------------------------------------

    def _end_aborted_pipeline(self) -> None:
        # the statements after the failed one (COMMIT) were skipped: the pipeline says so
        with suppress(pg_errors.PipelineAborted):
            self._pipeline.close()

    def _pipeline_sync(self) -> None:
        if self._pipe is None:
            raise RuntimeError("read() first")
        self._pipe.sync()

    def _open(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            raise RuntimeError("the payment transaction is not open: use it in a `with` block")
        return self._connection

    def _unreachable(self, exc: BaseException) -> DatabaseUnreachableError:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return DatabaseUnreachableError(
            url=redacted(self._engine.url), problem=lines[0] if lines else type(exc).__name__
        )

    def _balance_refusal(
        self, exc: pg_errors.CheckViolation, moves: Mapping[AccountRef, int]
    ) -> Exception:
        constraint = exc.diag.constraint_name or ""
        for account, change in sorted(moves.items()):
            kept = KEPT_BALANCES.get(account.kind)
            if kept is None or kept.constraint_name != constraint:
                continue
            column, table = kept.column_name, kept.table.name
            current = (
                self._open()
                .execute(
                    f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608 - names from KEPT_BALANCES
                    (account.owner_id,),
                )
                .fetchone()
            )
            return balance_refusal(
                account, change=change, current=int(current[0]) if current else 0
            )
        return exc


def _context(claimed: Any, locked: Any, context: Any, receivables: Sequence[Any]) -> PaymentContext:
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
    (state, key_version, last_counter, payment_id, request_hash, payment_state, receipt) = context[
        :7
    ]
    (tombstone, batch_id, batch_no, batch_date, batch_state, batch_operator) = context[7:13]
    (day_cash, operator_name, operator_account) = context[13:16]
    return PaymentContext(
        session=session,
        terminal_state=state,
        key_version=int(key_version),
        last_counter=int(last_counter),
        stored=None
        if payment_id is None
        else StoredPayment(
            id=int(payment_id),
            request_hash=request_hash,
            state=payment_state,
            receipt=str(receipt).encode("utf-8"),
        ),
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
                due_date=row[6],
            )
            for row in receivables
        ),
    )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


_AGENT_COLUMNS = {
    AccountKind.AGENT_FLOAT: 0,
    AccountKind.AGENT_FLOAT_HELD: 1,
    AccountKind.AGENT_COMMISSION: 2,
}
_CUSTOMER_COLUMNS = {AccountKind.CUSTOMER_PREPAID: 0, AccountKind.CUSTOMER_ROUNDING: 1}
_RECEIVABLE_COLUMNS = {AccountKind.RECEIVABLE_PRINCIPAL: 0, AccountKind.RECEIVABLE_PENALTY: 1}


def _write_params(
    rows: PaymentRows, *, agent_id: int, business_date: date, now: datetime
) -> tuple[dict[str, Any], dict[AccountRef, int]]:
    """The parameters of :data:`~.postgresql_sql.WRITE_PAYMENT`, and every kept balance's move."""
    kinds = [posting.kind.value for posting in rows.postings]
    if len(set(kinds)) != len(kinds):
        raise ValueError("one ledger transaction per event kind in a payment")
    entries = [
        (posting.kind.value, entry) for posting in rows.postings for entry in posting.entries
    ]
    moves: dict[AccountRef, int] = {}
    for posting in rows.postings:
        for account, change in balance_changes(posting).items():
            moves[account] = moves.get(account, 0) + change
    by_owner: dict[str, dict[int, list[int]]] = {"agent": {}, "customer": {}, "receivable": {}}
    for account, change in moves.items():
        for group, columns in (
            ("agent", _AGENT_COLUMNS),
            ("customer", _CUSTOMER_COLUMNS),
            ("receivable", _RECEIVABLE_COLUMNS),
        ):
            if account.kind in columns and change and account.owner_id is not None:
                row = by_owner[group].setdefault(account.owner_id, [0] * (len(columns)))
                row[columns[account.kind]] += change
    agents, customers, receivables = (
        sorted(by_owner["agent"].items()),
        sorted(by_owner["customer"].items()),
        sorted(by_owner["receivable"].items()),
    )
    params: dict[str, Any] = dict(rows.payment)
    params.update(
        agent_id=agent_id,
        business_date=business_date,
        recorded_at=now,
        a_receivable=[line[0] for line in rows.allocations],
        a_penalty=[line[1] for line in rows.allocations],
        a_principal=[line[2] for line in rows.allocations],
        t_kind=kinds,
        t_memo=["" for _ in kinds],
        e_txn=[kind for kind, _ in entries],
        e_kind=[entry.account.kind.value for _, entry in entries],
        e_owner=[entry.account.owner_id for _, entry in entries],
        e_amount=[entry.amount for _, entry in entries],
        g_id=[owner for owner, _ in agents],
        g_float=[changes[0] for _, changes in agents],
        g_held=[changes[1] for _, changes in agents],
        g_commission=[changes[2] for _, changes in agents],
        c_id=[owner for owner, _ in customers],
        c_prepaid=[changes[0] for _, changes in customers],
        c_rounding=[changes[1] for _, changes in customers],
        r_id=[owner for owner, _ in receivables],
        r_principal=[changes[0] for _, changes in receivables],
        r_penalty=[changes[1] for _, changes in receivables],
        receipt=rows.receipt.decode("utf-8"),
        audit_actor=rows.audit.actor,
        audit_action=rows.audit.action,
        audit_subject=rows.audit.subject,
        audit_details=canonical_json(rows.audit.details),
        outbox_topic=rows.outbox.topic,
        outbox_aggregate=rows.outbox.aggregate_id,
        outbox_payload=json.dumps(rows.outbox.payload, ensure_ascii=False, sort_keys=True),
    )
    return params, moves
