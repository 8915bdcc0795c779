"""Reading the three ledgers the fleet compares at the end of the day: each terminal's journal,
the server's payments (and reversal tombstones, and the agents' floats), and the MIS's daily
posting reports. Only the fleet's own terminals are read, so a fleet beside a live county judges
its own payments alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from gridpos.adapters.db.tables import agents, payments, reversal_tombstones, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient
from gridpos.domain.payment_state import PaymentState
from gridpos.sim.fleet.truth import JournalPayment, MisPostings, ServerPayment
from gridpos.terminal.config import system_clock
from gridpos.terminal.journal import Journal
from gridpos.terminal.terminal import JOURNAL_FILE


def read_journal(data_dir: Path, terminal_no: str, *, since: datetime) -> list[JournalPayment]:
    """The payments of one terminal's journal taken from ``since`` on (none when the terminal
    never started)."""
    path = data_dir / JOURNAL_FILE
    if not path.exists():
        return []
    journal = Journal.open(path, clock=system_clock)
    try:
        return [
            JournalPayment(
                terminal_no=terminal_no,
                txn_id=record.txn_id,
                state=record.state,
                offline=record.offline,
                cash=record.cash,
                cancelled=record.cancelled,
                waiting=record.waiting,
            )
            for record in journal.txns_since(0)
            if record.cash_time >= since
        ]
    finally:
        journal.close()


def read_server(
    engine: Engine, terminal_nos: Collection[str], *, since: datetime
) -> tuple[list[ServerPayment], set[tuple[str, str]], set[date]]:
    """The server's payments (taken from ``since`` on) and reversal tombstones (recorded from
    then on) of these terminals, and their business dates."""
    wanted = list(terminal_nos)
    with SqlUnitOfWork(engine, write=False) as uow:
        connection = uow.connection
        rows = connection.execute(
            select(
                terminals.c.terminal_no,
                payments.c.txn_id,
                payments.c.state,
                payments.c.offline,
                payments.c.cash,
                payments.c.business_date,
                agents.c.code,
            )
            .join(terminals, terminals.c.id == payments.c.terminal_id)
            .join(agents, agents.c.id == payments.c.agent_id)
            .where(terminals.c.terminal_no.in_(wanted), payments.c.cash_time >= since)
        ).all()
        stones = connection.execute(
            select(
                terminals.c.terminal_no,
                reversal_tombstones.c.txn_id,
                reversal_tombstones.c.business_date,
            )
            .join(terminals, terminals.c.id == reversal_tombstones.c.terminal_id)
            .where(
                terminals.c.terminal_no.in_(wanted),
                reversal_tombstones.c.recorded_at >= since,
            )
        ).all()
    found = [
        ServerPayment(
            terminal_no=str(row.terminal_no),
            txn_id=str(row.txn_id),
            state=PaymentState(row.state),
            offline=bool(row.offline),
            cash=int(row.cash),
            agent_code=str(row.code),
        )
        for row in rows
    ]
    dates = {row.business_date for row in rows} | {row.business_date for row in stones}
    return found, {(str(r.terminal_no), str(r.txn_id)) for r in stones}, dates


def read_floats(engine: Engine) -> dict[str, tuple[int, int]]:
    """Every agent's float: available and held, by agent code."""
    with SqlUnitOfWork(engine, write=False) as uow:
        return {
            str(row.code): (int(row.float_available), int(row.float_held))
            for row in uow.connection.execute(
                select(agents.c.code, agents.c.float_available, agents.c.float_held)
            )
        }


def read_mis(
    client: MisClient, dates: Iterable[date], terminal_nos: Collection[str]
) -> dict[str, MisPostings]:
    """Postings and undos per payment id in the MIS's daily reports of ``dates``, for payments
    of these terminals (a payment id starts with its terminal's number).

    Raises what :meth:`MisClient.posting_report` raises.
    """
    prefixes = tuple(f"{number}-" for number in terminal_nos)
    postings: Counter[str] = Counter()
    undos: Counter[str] = Counter()
    for day in sorted(set(dates)):
        report = client.posting_report(day)
        for line in report.detail:
            if not line.payment_id.startswith(prefixes):
                continue
            if line.kind == "posting":
                postings[line.payment_id] += 1
            else:
                undos[line.payment_id] += 1
    return {
        payment_id: MisPostings(postings=postings[payment_id], undos=undos[payment_id])
        for payment_id in set(postings) | set(undos)
    }
