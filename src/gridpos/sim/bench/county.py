"""The benchmark's county: a database of its own, terminals ready to collect, customers to pay.

One county company with one supply station; under it a collection point per terminal, each with
its own agent (a float far larger than the run can spend) and collector. Terminals are enrolled
directly (their keys written), then signed in through the API by the harness. Customers are
bulk-inserted in the database, one open receivable each, billed this month and due in a month,
so the amount due is the principal: ``principal_of(n)`` for the customer numbered ``n``. The
baseline gets customers of its own (:attr:`BenchCounty.baseline_customers`).

PostgreSQL databases are created (``gridpos_bench_<hex>``) and dropped by :class:`BenchDatabase`;
the SQLite one is a file in a temporary directory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.parameter_store import set_parameter
from gridpos.adapters.db.tables import agents, float_topups, operators, terminals
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.domain.ledger import topup_posting

COLLECTOR_PASSWORD = "bench-pw"  # noqa: S105 - a throwaway database's collectors
STATION_CODE = "99000001"
FLOAT_FEN = 10**11  # a billion yuan: no run spends it
PRINCIPAL_BASE = 5_000
PRINCIPAL_SPREAD = 7_000
# the hash of every bench collector's password, with parameters cheap to verify at sign-in
_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def account_no(n: int) -> str:
    """The customer number of bench customer ``n`` (1, 2, 3 …)."""
    return f"{n:010d}"


def principal_of(n: int) -> int:
    """The open receivable of bench customer ``n``, fen: what paying it in full costs."""
    return PRINCIPAL_BASE + n % PRINCIPAL_SPREAD


def terminal_no(k: int) -> str:
    """The number of bench terminal ``k`` (0, 1, 2 …)."""
    return f"{99_000_000 + k:08d}"


def terminal_key(k: int) -> bytes:
    """The key of bench terminal ``k``."""
    return f"bench-terminal-key-{k:08d}-pad".encode().ljust(32, b"=")[:32]


@dataclass(frozen=True, slots=True)
class BenchTerminal:
    """One terminal of the bench county and what it needs to sign in and collect."""

    index: int
    terminal_no: str
    key: bytes
    agent_account: str
    organisation_code: str
    terminal_id: int
    agent_id: int
    operator_id: int
    org_id: int


@dataclass(frozen=True, slots=True)
class BenchCounty:
    """The seeded county: its terminals and how many customers there are for whom."""

    terminals: tuple[BenchTerminal, ...]
    customers: int  # customers 1 … customers are the server's
    baseline_customers: tuple[int, int]  # first and last customer of the baseline's own
    business_date: date


class BenchDatabase:
    """A PostgreSQL database made for one run and dropped after it (``with``)."""

    def __init__(self, admin_url: str) -> None:
        parsed = make_url(admin_url)
        self.name = f"gridpos_bench_{uuid.uuid4().hex[:10]}"
        self._admin = _libpq_dsn(parsed.set(drivername="postgresql"))
        self.url = parsed.set(drivername="postgresql+psycopg", database=self.name).render_as_string(
            hide_password=False
        )

    def __enter__(self) -> BenchDatabase:
        with psycopg.connect(self._admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *_exc: object) -> None:
        with psycopg.connect(self._admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @property
    def dsn(self) -> str:
        """The libpq connection string of the bench database (for pgbench and psycopg)."""
        return _libpq_dsn(make_url(self.url).set(drivername="postgresql"))


def _libpq_dsn(url: Any) -> str:
    parts = {
        "host": url.host or "127.0.0.1",
        "port": str(url.port or 5432),
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
    }
    if url.password:
        parts["password"] = str(url.password)
    return " ".join(f"{key}={value}" for key, value in parts.items())


def seed_county(
    url: str, *, terminals_count: int, customers: int, baseline_customers: int, today: date
) -> BenchCounty:
    """Migrate the empty database at ``url`` and fill it (see the module docstring)."""
    migrate.upgrade(url)
    engine = create_engine_for(url, create=True)
    try:
        return _seed(
            engine,
            terminals_count=terminals_count,
            customers=customers,
            baseline_customers=baseline_customers,
            today=today,
        )
    finally:
        engine.dispose()


def _seed(
    engine: Engine, *, terminals_count: int, customers: int, baseline_customers: int, today: date
) -> BenchCounty:
    now = datetime.now().astimezone()
    password_hash = _HASHER.hash(COLLECTOR_PASSWORD)
    made: list[BenchTerminal] = []
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        county = uow.organisations.add(
            code="990000", name="岳西县供电公司（测试）", level="county", parent_id=None
        )
        station = uow.organisations.add(
            code=STATION_CODE, name="天堂供电所（测试）", level="station", parent_id=county.id
        )
        finance = _row(
            conn,
            operators,
            org_id=county.id,
            account="bench-finance",
            name="bench finance",
            password_hash=password_hash,
            role="finance",
        )
        checker = _row(
            conn,
            operators,
            org_id=county.id,
            account="bench-checker",
            name="bench checker",
            password_hash=password_hash,
            role="finance",
        )
        for k in range(terminals_count):
            code = f"{STATION_CODE}{k:04d}"
            point = uow.organisations.add(
                code=code, name=f"代收点{k:04d}", level="collection_point", parent_id=station.id
            )
            agent_id = _row(conn, agents, org_id=point.id, code=f"BA{k:04d}", name=f"代理商{k}")
            account = f"BA{k:04d}"
            operator_id = _row(
                conn,
                operators,
                org_id=point.id,
                account=account,
                name=f"收费员{k}",
                password_hash=password_hash,
                role="agent",
                agent_id=agent_id,
            )
            terminal_id = _row(
                conn,
                terminals,
                terminal_no=terminal_no(k),
                org_id=point.id,
                agent_id=agent_id,
                state="active",
                key_material=terminal_key(k),
                key_version=1,
                last_counter=0,
            )
            _row(
                conn,
                float_topups,
                agent_id=agent_id,
                amount=FLOAT_FEN,
                state="approved",
                requested_by=finance,
                requested_at=now,
                decided_by=checker,
                decided_at=now,
            )
            uow.ledger.record(
                topup_posting(agent_id=agent_id, amount=FLOAT_FEN),
                business_date=today,
                recorded_at=now,
                agent_id=agent_id,
            )
            made.append(
                BenchTerminal(
                    index=k,
                    terminal_no=terminal_no(k),
                    key=terminal_key(k),
                    agent_account=account,
                    organisation_code=code,
                    terminal_id=terminal_id,
                    agent_id=agent_id,
                    operator_id=operator_id,
                    org_id=point.id,
                )
            )
        # one terminal's day may take the whole run's cash
        set_parameter(conn, key="collection.per_day_limit", valid_from=today, value=999_999_999_999)
        _customers(conn, station_id=station.id, count=customers + baseline_customers, today=today)
        uow.commit()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return BenchCounty(
        terminals=tuple(made),
        customers=customers,
        baseline_customers=(customers + 1, customers + baseline_customers),
        business_date=today,
    )


def _row(conn: Any, table: Any, **values: Any) -> int:
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def _customers(conn: Any, *, station_id: int, count: int, today: date) -> None:
    """Customers 1 … ``count``, one open receivable each, in two set-based statements."""
    period = today.strftime("%Y%m")
    due = today + timedelta(days=30)
    if conn.dialect.name == "postgresql":
        numbers = "SELECT g AS n FROM generate_series(1, :count) AS g"
    else:
        numbers = (
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count)"
            " SELECT n FROM s"
        )
    padded = (
        "lpad(n::text, 10, '0')"
        if conn.dialect.name == "postgresql"
        else "substr('0000000000' || n, -10, 10)"
    )
    insert_customers = (
        "INSERT INTO customers (account_no, name, address, category, station_org_id, segment)"  # noqa: S608
        f" SELECT {padded}, '用户' || n, '天堂镇' || (n % 182) || '村', 'residential',"
        f" :station, 'B' || (n % 100) FROM ({numbers}) AS numbers"
    )
    conn.execute(
        text(insert_customers),
        {"count": count, "station": station_id},
    )
    conn.execute(
        text(
            "INSERT INTO receivables (mis_receivable_id, customer_id, period, run_no, kwh,"
            " principal, due_date) SELECT 'BENCH-' || c.account_no, c.id, :period, 1,"
            " 100 + c.id % 200, :base + CAST(c.account_no AS BIGINT) % :spread, :due"
            " FROM customers c"
        ),
        {
            "period": period,
            "due": due,
            "base": PRINCIPAL_BASE,
            "spread": PRINCIPAL_SPREAD,
        },
    )
