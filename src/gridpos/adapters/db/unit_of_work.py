"""The unit of work: one connection, one transaction, rolled back unless committed.

A use case opens one, does its one thing through ``uow.connection`` (and the stores on it),
calls ``commit()`` once, and leaves; leaving without ``commit()`` — by an exception or by
forgetting — rolls everything back.

    with SqlUnitOfWork(engine, write=True) as uow:
        uow.ledger.record(posting, business_date=day, recorded_at=now)
        uow.audit.append(occurred_at=now, actor="admin", action="float_topup.approve")
        uow.commit()

A writing unit of work on SQLite starts with ``BEGIN IMMEDIATE`` (the write lock up front). A
reading one cannot write on either database: ``query_only`` on SQLite, a REPEATABLE READ, READ
ONLY transaction on PostgreSQL (one snapshot for all its reads, like a SQLite read transaction).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gridpos.adapters.db.agent_store import AgentStore
from gridpos.adapters.db.audit_log import AuditLog
from gridpos.adapters.db.batch_store import BatchStore
from gridpos.adapters.db.customer_store import CustomerStore
from gridpos.adapters.db.engine import READ_ONLY_OPTION, WRITE_OPTION, connect, unreachable
from gridpos.adapters.db.ledger_store import LedgerStore
from gridpos.adapters.db.organisations import OrganisationStore
from gridpos.adapters.db.payment_store import PaymentStore
from gridpos.adapters.db.payment_store.reports import PaymentReports
from gridpos.adapters.db.terminal_store import TerminalStore


class SqlUnitOfWork:
    """A transaction on ``engine``; ``write`` says whether it will change anything."""

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self.write = write
        self._connection: Connection | None = None
        self._ledger: LedgerStore | None = None
        self._audit: AuditLog | None = None
        self._organisations: OrganisationStore | None = None

    def __enter__(self) -> Self:
        """Connect and begin.

        Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the database
        cannot be reached (or, on SQLite, stays locked by another writer past the busy timeout).
        """
        connection = connect(self._engine)
        try:
            if self.write:
                connection.execution_options(**{WRITE_OPTION: True})
            elif connection.dialect.name == "sqlite":
                connection.execution_options(**{READ_ONLY_OPTION: True})
            else:
                # one snapshot for every read of the unit of work, and no writes
                connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            connection.begin()
        except DBAPIError as exc:
            connection.close()
            raise unreachable(self._engine, exc) from exc
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection = None
        self._ledger = None
        self._audit = None
        self._organisations = None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    @property
    def engine(self) -> Engine:
        """The engine this unit of work connects through."""
        return self._engine

    @property
    def connection(self) -> Connection:
        """The unit of work's connection. Raises ``RuntimeError`` outside ``with``."""
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._connection

    @property
    def ledger(self) -> LedgerStore:
        """The journal and kept balances, in this unit of work's transaction."""
        if self._ledger is None:
            self._ledger = LedgerStore(self.connection)
        return self._ledger

    @property
    def audit(self) -> AuditLog:
        """The audit log, in this unit of work's transaction."""
        if self._audit is None:
            self._audit = AuditLog(self.connection)
        return self._audit

    @property
    def organisations(self) -> OrganisationStore:
        """The organisation tree, in this unit of work's transaction."""
        if self._organisations is None:
            self._organisations = OrganisationStore(self.connection)
        return self._organisations

    @property
    def terminals(self) -> TerminalStore:
        """Terminals and their batches, in this unit of work's transaction."""
        return TerminalStore(self.connection)

    @property
    def agents(self) -> AgentStore:
        """Agents, operators and holds, in this unit of work's transaction."""
        return AgentStore(self.connection)

    @property
    def batches(self) -> BatchStore:
        """Batches, their detail uploads and differences, in this unit of work's transaction."""
        return BatchStore(self.connection)

    @property
    def customers(self) -> CustomerStore:
        """The customer replica, in this unit of work's transaction."""
        return CustomerStore(self.connection)

    @property
    def payments(self) -> PaymentStore:
        """Payments and what hangs off them, in this unit of work's transaction."""
        return PaymentStore(self.connection)

    @property
    def payment_reports(self) -> PaymentReports:
        """Totals and lists of terminals' days, in this unit of work's transaction."""
        return PaymentReports(self.connection)

    def commit(self) -> None:
        """Make everything done so far durable. Later statements start a new transaction that is
        again rolled back unless committed."""
        self.connection.commit()

    def rollback(self) -> None:
        """Throw away everything done since the last commit."""
        self.connection.rollback()
