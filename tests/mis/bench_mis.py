"""Benchmark of the MIS integration: sync rows/s for a generated county, and outbox drain rate.

Run from the repository (it is not a test; pytest does not collect it)::

    PYTHONPATH=tests .venv/bin/python -m mis.bench_mis --customers 20000 --payments 2000 \\
        --server-db sqlite

Generates a county (the demo's generator) into a SQLite MIS served over HTTP on this machine,
syncs it from scratch into a fresh server database (SQLite file or a new PostgreSQL database),
then writes ``--payments`` payments (the test fixture's way, not timed) and drains the outbox to
the MIS with the worker's use case. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, func, select

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.tables import customers, receivables
from gridpos.adapters.mis import MisClient
from gridpos.application.mis_sync import sync_from_mis
from gridpos.application.organisation_import import import_organisation
from gridpos.application.outbox_delivery import deliver_due
from gridpos.domain.penalty import default_penalty_rules
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.engine import make_engine
from gridpos.refmis.generator import CountySpec, load_county
from gridpos.refmis.pricing import BillingPolicy
from gridpos.refmis.tables import create_schema, postings

from .collecting import collect, seed_collector
from .harness import API_KEY, ManualClock, serve_mis

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _server_database(kind: str, directory: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{directory / 'server.sqlite'}", None
    name = f"gridpos_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def _payable(engine: Engine, *, on: date, limit: int) -> list[tuple[str, int]]:
    """Customers whose open bills are all not yet due on ``on``, with what they owe."""
    with engine.connect() as connection:
        overdue = (
            select(receivables.c.customer_id)
            .where(receivables.c.settle_state != "settled", receivables.c.due_date < on)
            .distinct()
        )
        rows = connection.execute(
            select(customers.c.account_no, func.sum(receivables.c.principal))
            .join(receivables, receivables.c.customer_id == customers.c.id)
            .where(receivables.c.settle_state != "settled")
            .where(customers.c.id.not_in(overdue))
            .group_by(customers.c.account_no)
            .order_by(customers.c.account_no)
            .limit(limit)
        ).all()
    return [(str(account), int(owed)) for account, owed in rows if owed > 0]


# what `gridpos refmis serve` does, without loading every command of the program
_SERVE_MIS = """
import sys
from datetime import UTC, datetime
import uvicorn
from gridpos.refmis.app import create_app
from gridpos.refmis.engine import make_engine
url, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = create_app(engine=make_engine(url), api_key=key, clock=lambda: datetime.now(UTC))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


class _MisProcess:
    """``gridpos refmis serve`` in a process of its own, as in production (no shared GIL)."""

    def __init__(self, engine: Engine, database: Path) -> None:
        self.engine = engine
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE_MIS, f"sqlite:///{database}", str(port), API_KEY]
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the reference MIS did not start")
            time.sleep(0.1)

    def client(self, *, timeout_s: float) -> MisClient:
        return MisClient(base_url=self.url, api_key=API_KEY, timeout_s=timeout_s)

    def posting_counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(postings.c.payment_id, func.count()).group_by(postings.c.payment_id)
            )
            return {str(payment_id): int(count) for payment_id, count in rows}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def run(
    *, customers_n: int, months: int, payments_n: int, kind: str, mis_process: bool
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "customers": customers_n,
        "months": months,
        "server_db": kind,
        "mis": "process" if mis_process else "thread",
    }
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        this_month = datetime.now(UTC).date().replace(day=1)
        last_period = f"{this_month - timedelta(days=1):%Y%m}"
        # the day the last bills are issued: they are open and not yet due
        today = BillingPolicy().billed_on(last_period)
        spec = CountySpec(
            customers=customers_n, months=months, seed=7, last_period=last_period, as_of=today
        )
        mis_engine = make_engine(f"sqlite:///{directory / 'refmis.sqlite'}")
        create_schema(mis_engine)
        summary = load_county(
            mis_engine, spec, schedule=default_tariff_schedule(), rules=default_penalty_rules()
        )
        result["generate_s"] = summary.seconds
        result["mis_receivables"] = summary.receivables
        mis: Any = (
            _MisProcess(mis_engine, directory / "refmis.sqlite")
            if mis_process
            else serve_mis(mis_engine, day=today)
        )
        url, pg_name = _server_database(kind, directory)
        try:
            upgrade(url)
            engine = create_engine_for(url)
            clock = ManualClock(datetime(today.year, today.month, today.day, 2, tzinfo=UTC))
            with mis.client(timeout_s=30) as client:
                import_organisation(engine, client, clock=clock)
                started = time.perf_counter()
                progress = sync_from_mis(engine, client, clock=clock, page_size=1_000)
                seconds = time.perf_counter() - started
                result["sync"] = {
                    "seconds": round(seconds, 2),
                    "pages": progress.pages,
                    "mis_rows": progress.rows,
                    "rows_written": progress.customers + progress.receivables,
                    "skipped_settled": progress.skipped,
                    "mis_rows_per_s": round(progress.rows / seconds),
                    "rows_written_per_s": round(
                        (progress.customers + progress.receivables) / seconds
                    ),
                }
                collector = seed_collector(
                    engine, station_code="34082801", float_fen=10**11, at=clock.now()
                )
                payable = _payable(engine, on=today, limit=payments_n)
                for account_no, owed in payable:
                    collect(
                        engine, collector, account_no=account_no, cash=owed, business_date=today
                    )
                started = time.perf_counter()
                sent = rounds = 0
                while rounds < 10 * payments_n:
                    rounds += 1
                    report = deliver_due(
                        engine, client, clock=clock, jitter=lambda: 0.0, batch_size=50
                    )
                    sent += report.sent
                    if report.claimed == 0:
                        break
                seconds = time.perf_counter() - started
                result["drain"] = {
                    "payments": len(payable),
                    "sent": sent,
                    "seconds": round(seconds, 2),
                    "rows_per_s": round(sent / seconds, 1) if seconds else None,
                    "mis_postings": sum(mis.posting_counts().values()),
                }
            engine.dispose()
        finally:
            mis.stop()
            if pg_name is not None:
                with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--payments", type=int, default=2_000)
    parser.add_argument("--server-db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--mis-process", action="store_true", help="serve the MIS from a process of its own"
    )
    args = parser.parse_args()
    print(
        json.dumps(
            run(
                customers_n=args.customers,
                months=args.months,
                payments_n=args.payments,
                kind=args.server_db,
                mis_process=args.mis_process,
            ),
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
