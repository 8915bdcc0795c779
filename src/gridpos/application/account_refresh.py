"""Refresh one account from the MIS before a terminal's query, falling back to the replica.

:class:`MisAccountRefresher` implements the port
:class:`~gridpos.application.ports.AccountRefresher`: it asks the MIS for the account's arrears
with a short timeout and writes the customer and its receivables into the replica (see
:mod:`gridpos.application.mis_replica` for what is written and why). Whatever goes wrong with the
MIS — no answer in time, an error, an unreadable answer — it answers ``UNAVAILABLE`` at once and the
query uses the replica as the sync worker last left it: a slow or absent MIS never blocks
collection. After such a failure it does not ask again for ``pause_s`` seconds, so a county's
terminals do not each wait out the timeout while the MIS is down.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Final

import structlog
from sqlalchemy import Engine

from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient, MisError, MisRefusedError
from gridpos.application.mis_replica import (
    CHINA_TIME,
    CustomerFields,
    ReceivableFields,
    ReplicaError,
    mis_receivable_id,
    settle_open_receivables_except,
    write_customers,
    write_receivables,
)
from gridpos.application.ports import Clock, RefreshOutcome
from gridpos.protocol.mis import Arrears

DEFAULT_TIMEOUT_S: Final[float] = 1.5
DEFAULT_PAUSE_S: Final[float] = 30.0
_log = structlog.get_logger(__name__)


class MisAccountRefresher:
    """Refreshes one account in the replica from the MIS (thread-safe)."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: MisClient,
        clock: Clock,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        pause_s: float = DEFAULT_PAUSE_S,
    ) -> None:
        self._engine = engine
        self._client = client
        self._clock = clock
        self._timeout_s = timeout_s
        self._pause = timedelta(seconds=pause_s)
        self._lock = threading.Lock()
        self._paused_until: datetime | None = None

    def refresh(self, account_no: str) -> RefreshOutcome:
        """Bring the account's customer and receivables up to what the MIS says now.

        Answers ``REFRESHED`` when the replica holds the MIS's answer, ``UNAVAILABLE`` when the
        MIS could not be asked, did not answer in time, does not know the account, or names a
        station not imported here. Raises only for the server's own database
        (:class:`~gridpos.adapters.db.DatabaseUnreachableError`).
        """
        now = self._clock.now()
        with self._lock:
            if self._paused_until is not None and now < self._paused_until:
                return RefreshOutcome.UNAVAILABLE
        try:
            arrears = self._client.arrears(
                account_no, as_of=now.astimezone(CHINA_TIME).date(), timeout_s=self._timeout_s
            )
        except MisRefusedError as exc:
            if exc.transient:
                self._pause_after(now, exc)
            else:
                _log.info("account_refresh_refused", account_no=account_no, mis_code=exc.mis_code)
            return RefreshOutcome.UNAVAILABLE
        except MisError as exc:
            self._pause_after(now, exc)
            return RefreshOutcome.UNAVAILABLE
        with self._lock:
            self._paused_until = None
        try:
            write_arrears(self._engine, arrears, now=now)
        except ReplicaError as exc:
            _log.warning("account_refresh_not_written", account_no=account_no, code=exc.code)
            return RefreshOutcome.UNAVAILABLE
        return RefreshOutcome.REFRESHED

    def _pause_after(self, now: datetime, exc: MisError) -> None:
        with self._lock:
            self._paused_until = now + self._pause
        _log.warning(
            "account_refresh_unavailable",
            code=exc.code,
            operation=exc.operation,
            pause_s=self._pause.total_seconds(),
        )


def write_arrears(engine: Engine, arrears: Arrears, *, now: datetime) -> None:
    """Write one account's arrears into the replica in one transaction: the customer, its open
    receivables, and every other receivable it had here now fully paid at the MIS.

    Raises :class:`~gridpos.application.mis_replica.ReplicaError` (``station_unknown``).
    """
    records = [
        ReceivableFields(
            account_no=arrears.account_no,
            period=line.period,
            run_no=line.run_no,
            kwh=line.kwh,
            principal=line.principal,
            principal_paid=line.principal_paid,
            due_date=line.due_date,
        )
        for line in arrears.receivables
    ]
    with SqlUnitOfWork(engine, write=True) as uow:
        write_customers(
            uow.connection,
            [
                CustomerFields(
                    account_no=arrears.account_no,
                    name=arrears.name,
                    address=arrears.address,
                    category=arrears.category,
                    station_code=arrears.station_code,
                )
            ],
            now=now,
        )
        write_receivables(uow.connection, records, now=now)
        settle_open_receivables_except(
            uow.connection,
            account_no=arrears.account_no,
            open_keys=[mis_receivable_id(r.account_no, r.period, r.run_no) for r in records],
            now=now,
        )
        uow.commit()
