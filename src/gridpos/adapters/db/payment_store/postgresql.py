"""The payment path on PostgreSQL: a whole payment in two database round trips, without a thread.

The generic path (:mod:`.generic`) issues some twenty statements, each waiting for its answer, on
a worker thread. Here, on an asyncio psycopg 3 connection, in the server's own event loop, each
round trip is one query string of statements prepared on the connection when it was opened
(:data:`~.postgresql_sql.PREPARE_ALL`):

1. ``BEGIN`` and three statements (:data:`~.postgresql_sql.CLAIM`,
   :data:`~.postgresql_sql.LOCK_CUSTOMER`, :data:`~.postgresql_sql.CONTEXT`): the terminal's
   counter claimed, the customer locked, then everything the use case decides on read
   (:meth:`PostgresPayment.read`);
2. the use case prices and allocates in Python (the domain), then one statement writes the payment
   and everything with it, and ``COMMIT`` follows in the same string
   (:meth:`PostgresPayment.write`).

A payment received before (the same request again) is answered instead with the receipt it was
answered with, read by one more statement (:meth:`PostgresPayment.receipt`) — never for a new
payment.

A refusal decided between the two rolls the transaction back as the use case leaves it. A kept
balance pushed out of its bounds (the agent's float below zero) fails the write statement on its
CHECK, the server skips the COMMIT, and the refusal comes back named exactly as the generic path
names it (:func:`~gridpos.adapters.db.ledger_store.balance_refusal`).

Connections come from :class:`PaymentConnections`, a small pool of its own (the engine's pool
holds blocking connections for threads), one per event loop (:class:`LoopConnections`). A
connection that broke is thrown away.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from gridpos.adapters.db.engine import (
    POSTGRESQL_CONNECT_TIMEOUT_S,
    DatabaseUnreachableError,
    redacted,
)
from gridpos.adapters.db.kept_balances import KEPT_BALANCES
from gridpos.adapters.db.ledger_store import balance_refusal
from gridpos.adapters.db.payment_store import postgresql_sql as sql
from gridpos.adapters.db.payment_store.postgresql_rows import (
    PaymentContext,
    PaymentRows,
    context_from_rows,
    parameters_from_rows,
    write_params,
)
from gridpos.domain.accounts import AccountRef

POOL_SIZE = 16
"""Connections of one server process's payment path at most: more requests wait their turn."""
ACQUIRE_TIMEOUT_S = 20.0
"""How long a payment waits for a free connection before it is answered ``server_busy``."""


def conninfo(url: URL) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL, for the payment path:

    - a connect timeout;
    - generic plans for prepared statements: every statement of the path finds its rows by key,
      so the plan never depends on the values, and planning (a few hundred microseconds for the
      context read) is done once per connection instead of now and then.
    """
    plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    return make_conninfo(
        plain,
        connect_timeout=POSTGRESQL_CONNECT_TIMEOUT_S,
        options="-c plan_cache_mode=force_generic_plan",
    )


class PaymentConnections:
    """Up to ``size`` autocommit async connections to one database, reused payment after payment
    (``async with`` closes them).

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` from
    :meth:`transaction` when no connection can be made.
    """

    def __init__(self, url: URL, *, size: int = POOL_SIZE) -> None:
        self._conninfo = conninfo(url)
        self._label = redacted(url)
        self._size = size
        self._opened = 0
        self._waiting = 0  # payments queueing for a connection, served in their order
        # idle connections; None is a free place to open a new one
        self._idle: asyncio.LifoQueue[psycopg.AsyncConnection[Any] | None] = asyncio.LifoQueue()

    @classmethod
    def for_engine(cls, engine: Engine, *, size: int = POOL_SIZE) -> PaymentConnections:
        """A pool on the database of ``engine``."""
        return cls(engine.url, size=size)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def transaction(self) -> PostgresPayment:
        """One payment's transaction on a connection of the pool (``async with``)."""
        return PostgresPayment(self)

    async def close(self) -> None:
        """Close every idle connection (those in use close when given back)."""
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection is not None:
                self._opened -= 1
                await connection.close()
        self._size = 0

    def abandon(self) -> None:
        """Close every idle connection without an event loop (its loop is gone)."""
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection is not None:
                connection.pgconn.finish()
        self._size = 0

    async def _acquire(self) -> psycopg.AsyncConnection[Any]:
        if not self._idle.empty() and not self._waiting:
            # the usual case: one is free and nobody queues before us, taken without waiting
            connection = self._idle.get_nowait()
            return connection if connection is not None else await self._connect()
        if self._opened < self._size:
            self._opened += 1
            return await self._connect()
        self._waiting += 1
        try:
            connection = await asyncio.wait_for(self._idle.get(), ACQUIRE_TIMEOUT_S)
        except TimeoutError as exc:
            raise DatabaseUnreachableError(
                url=self._label, problem=f"no connection free within {ACQUIRE_TIMEOUT_S} s"
            ) from exc
        finally:
            self._waiting -= 1
        return connection if connection is not None else await self._connect()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        try:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, cursor_factory=psycopg.AsyncClientCursor
            )
            await connection.execute(sql.PREPARE_ALL)
            return connection
        except psycopg.Error as exc:
            self._idle.put_nowait(None)  # the place stays free for the next one
            raise unreachable(self._label, exc) from exc

    def _release(self, connection: psycopg.AsyncConnection[Any], *, broken: bool) -> None:
        if broken or connection.closed or self._size == 0:
            connection.pgconn.finish()
            self._idle.put_nowait(None)
            return
        self._idle.put_nowait(connection)


class LoopConnections:
    """A :class:`PaymentConnections` for each running event loop (a server process has one; tests
    start a loop per client), those of loops that have ended closed as new ones come."""

    def __init__(self, engine: Engine, *, size: int = POOL_SIZE) -> None:
        self._url = engine.url
        self._size = size
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PaymentConnections] = (
            weakref.WeakKeyDictionary()
        )
        # the loop asked for last and its pool (a server process has one loop)
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], PaymentConnections] | None = None

    def current(self) -> PaymentConnections:
        """The pool of the running loop. Raises ``RuntimeError`` outside a loop."""
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            return last[1]
        pool = self._pools.get(loop)
        if pool is None:
            for old_loop, old_pool in list(self._pools.items()):
                if old_loop.is_closed():
                    old_pool.abandon()
                    del self._pools[old_loop]
            pool = self._pools[loop] = PaymentConnections(self._url, size=self._size)
        self._last = (weakref.ref(loop), pool)
        return pool


def unreachable(label: str, exc: BaseException) -> DatabaseUnreachableError:
    """The one-line :class:`DatabaseUnreachableError` of a driver error."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return DatabaseUnreachableError(url=label, problem=lines[0] if lines else type(exc).__name__)


class PostgresPayment:
    """One payment's transaction (``async with``): :meth:`read`, then :meth:`write` (which
    commits) or :meth:`commit`; leaving otherwise (a refusal decided after :meth:`read`) rolls
    back.

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the database
    cannot be reached or the connection breaks.
    """

    def __init__(self, connections: PaymentConnections) -> None:
        self._connections = connections
        self._connection: psycopg.AsyncConnection[Any] | None = None

    async def __aenter__(self) -> Self:
        self._connection = await self._connections._acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection = None
        if connection is None:
            return
        broken = False
        try:
            if connection.info.transaction_status != TransactionStatus.IDLE:
                await connection.execute("ROLLBACK")
        except psycopg.Error:
            broken = True
        self._connections._release(connection, broken=broken)

    # ---- round trip 1 ------------------------------------------------------------------------

    async def read(
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
        """Begin, claim the counter, lock the customer and read the payment's context."""
        values = {
            "terminal_id": terminal_id,
            "key_version": key_version,
            "counter": counter,
            "now": now,
            "txn_id": txn_id,
            "account_no": account_no,
            "county_path": county_path,
        }
        statements = (sql.CLAIM_STATEMENT, sql.LOCK_STATEMENT, sql.CONTEXT_STATEMENT)
        query = "; ".join(["BEGIN", *(statement.execute for statement in statements)])
        args = [arg for statement in statements for arg in statement.args(values)]
        cursor = self._open().cursor()
        try:
            await cursor.execute(query, args)
            cursor.nextset()  # past BEGIN
            claimed = await cursor.fetchone()
            cursor.nextset()
            locked = await cursor.fetchone()
            cursor.nextset()
            return context_from_rows(claimed, locked, await cursor.fetchone())
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    async def receipt(self, payment_id: int) -> bytes:
        """The receipt kept with a payment, read in this transaction (one more round trip, for
        a repeated payment only).

        Raises ``LookupError`` when the payment has no receipt.
        """
        statement = sql.RECEIPT_STATEMENT
        cursor = self._open().cursor()
        try:
            await cursor.execute(statement.execute, statement.args({"payment_id": payment_id}))
            row = await cursor.fetchone()
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc
        if row is None:
            raise LookupError(f"payment {payment_id} has no receipt")
        return str(row[0]).encode("utf-8")

    async def parameters_in_force(self, day: date) -> dict[str, Any]:
        """Every parameter's value in force on ``day``, read in this transaction: one more round
        trip, when they are not cached."""
        statement = sql.PARAMETERS_STATEMENT
        cursor = self._open().cursor()
        try:
            await cursor.execute(statement.execute, statement.args({"day": day}))
            return parameters_from_rows(await cursor.fetchall())
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    # ---- round trip 2 ------------------------------------------------------------------------

    async def write(
        self, rows: PaymentRows, *, agent_id: int, business_date: date, now: datetime
    ) -> tuple[int, int]:
        """Write the payment and commit; its id and the agent's float after it.

        Raises :class:`~gridpos.domain.ledger.LedgerError` (``float_insufficient`` and the other
        kept-balance refusals of the generic path) with nothing written.
        """
        params, moves = write_params(rows, agent_id=agent_id, business_date=business_date, now=now)
        statement = sql.WRITE_STATEMENT
        cursor = self._open().cursor()
        try:
            await cursor.execute(f"{statement.execute}; COMMIT", statement.args(params))
            row = await cursor.fetchone()
        except pg_errors.CheckViolation as exc:
            await self._open().execute("ROLLBACK")
            raise await self._balance_refusal(exc, moves) from exc
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc
        if row is None or row[1] is None:
            raise RuntimeError("the payment statement wrote no payment")
        return int(row[0]), int(row[1])

    async def commit(self) -> None:
        """Commit what :meth:`read` did (the counter claimed) when nothing is written: a repeat
        answered from its stored receipt."""
        await self._finish("COMMIT")

    # ---- helpers ---------------------------------------------------------------------------------

    async def _finish(self, statement: str) -> None:
        try:
            await self._open().execute(statement)
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    def _open(self) -> psycopg.AsyncConnection[Any]:
        if self._connection is None:
            raise RuntimeError("the payment transaction is not open: use it in `async with`")
        return self._connection

    def _unreachable(self, exc: BaseException) -> DatabaseUnreachableError:
        return unreachable(self._connections._label, exc)

    async def _balance_refusal(
        self, exc: pg_errors.CheckViolation, moves: Mapping[AccountRef, int]
    ) -> Exception:
        constraint = exc.diag.constraint_name or ""
        for account, change in sorted(moves.items()):
            kept = KEPT_BALANCES.get(account.kind)
            if kept is None or kept.constraint_name != constraint:
                continue
            column, table = kept.column_name, kept.table.name
            cursor = await self._open().execute(
                f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608 - names from KEPT_BALANCES
                (account.owner_id,),
            )
            current = await cursor.fetchone()
            return balance_refusal(
                account, change=change, current=int(current[0]) if current else 0
            )
        return exc
