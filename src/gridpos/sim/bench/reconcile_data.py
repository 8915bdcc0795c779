# ruff: noqa: S608 - the SQL is built from this module's fragments and integers; values are bound
"""The benchmark's month of payments, three ways, written with bulk SQL (``generate_series`` on
PostgreSQL, a recursive CTE on SQLite) — never through the API.

A county of ``terminals`` collection points (one agent, collector and terminal each) under ten
stations, ``customers`` customers, and ``payments`` payments spread evenly over ``days`` business
dates from ``first_day``: payment *i* is taken by terminal *i mod terminals* from customer
*i mod customers* on day *i mod days*, for 10.00 + (*i* mod 50000) fen. Every batch of a terminal
and day is closed with its detail uploaded (one journal row per payment); every payment is posted
in the MIS load. Differences are made on purpose, about one payment in four thousand of each
kind (some 1,500 in a month of a million — far more one-sided payments than a healthy county
has, so the recording of differences is measured too):

- terminal-only: a journal row whose payment the company never had (*i* ≡ 0 mod 3989, extra row);
- company-only: a payment left out of its batch's detail (*i* ≡ 1 mod 4001);
- MIS-missing: a payment left out of the MIS load (*i* ≡ 2 mod 4003);
- MIS-only: a posting of a payment the company never had (*i* ≡ 0 mod 4007, extra line);
- amount differs: the MIS posted one fen more (*i* ≡ 3 mod 4013);
- status differs: a payment reversed the same day that the MIS still has posted (*i* ≡ 4 mod 4019),
  its journal row reversed too.

:func:`expected_differences` counts what a run must find, by kind, from the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from sqlalchemy import Connection, Engine, text

from gridpos.adapters.db.reconciliation.loads import MisLoads

TERMINAL_BASE: Final = 90_000_000
STATIONS: Final = 10
COUNTY_ID: Final = 1
POINT_BASE: Final = 1_000
MOD_TERMINAL_ONLY: Final = 3989
MOD_COMPANY_ONLY: Final = 4001
MOD_MIS_MISSING: Final = 4003
MOD_MIS_ONLY: Final = 4007
MOD_AMOUNT: Final = 4013
MOD_STATUS: Final = 4019


@dataclass(frozen=True, slots=True)
class BenchCounty:
    """What to generate."""

    payments: int = 1_000_000
    days: int = 30
    terminals: int = 500
    customers: int = 50_000
    first_day: date = date(2024, 5, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.first_day.toordinal() + self.days - 1)


def _series(connection: Connection, count: str) -> str:
    """A ``FROM`` of the integers 1..count named ``g(i)``."""
    if connection.dialect.name == "postgresql":
        return f"generate_series(1, {count}) AS g(i)"
    return "g"


def _with_series(connection: Connection, count: str) -> str:
    """The ``WITH`` that :func:`_series` needs on SQLite (nothing on PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        return ""
    return f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {count}) "


def _day(connection: Connection, expression: str) -> str:
    """The business date ``first_day`` + ``expression`` days, as SQL."""
    if connection.dialect.name == "postgresql":
        return f"(CAST(:first_day AS date) + CAST({expression} AS integer))"
    return f"date(:first_day, '+' || ({expression}) || ' days')"


def _text(connection: Connection, expression: str) -> str:
    # on SQLite ``||`` binds tighter than ``+``: the parentheses keep the sum a sum
    return f"CAST(({expression}) AS TEXT)"


def _pad10(connection: Connection, expression: str) -> str:
    if connection.dialect.name == "postgresql":
        return f"lpad(CAST({expression} AS TEXT), 10, '0')"
    return f"substr('0000000000' || ({expression}), -10, 10)"


def _hex(connection: Connection, expression: str) -> str:
    if connection.dialect.name == "postgresql":
        return f"to_hex({expression})"
    return f"printf('%x', {expression})"


def _run(connection: Connection, sql: str, county: BenchCounty, **params: object) -> None:
    connection.execute(
        text(sql),
        {
            "first_day": county.first_day.isoformat()
            if connection.dialect.name != "postgresql"
            else county.first_day,
            "at": datetime(county.first_day.year, county.first_day.month, 1, tzinfo=UTC)
            if connection.dialect.name == "postgresql"
            else f"{county.first_day.isoformat()} 02:00:00.000000",
            **params,
        },
    )


def generate(engine: Engine, county: BenchCounty) -> int:
    """Write the county, its month and the MIS load into an empty, migrated database; the
    load's id."""
    with engine.begin() as connection:
        _organisation(connection, county)
        _payments(connection, county)
        _journal(connection, county)
        load_id = _mis(connection, county)
        MisLoads(connection).recount(load_id)
    return load_id


def _organisation(connection: Connection, county: BenchCounty) -> None:
    k = county.terminals
    _run(
        connection,
        "INSERT INTO organisations (id, code, name, parent_id, level, path)"
        " VALUES (1, 'B340828', 'bench county', NULL, 'county', '/1/')",
        county,
    )
    _run(
        connection,
        f"{_with_series(connection, str(STATIONS))}"
        "INSERT INTO organisations (id, code, name, parent_id, level, path)"
        f" SELECT 1 + i, 'BS' || {_text(connection, 'i')}, 'station', 1, 'station',"
        f" '/1/' || {_text(connection, '1 + i')} || '/' FROM {_series(connection, str(STATIONS))}",
        county,
    )
    _run(
        connection,
        f"{_with_series(connection, str(k))}"
        "INSERT INTO organisations (id, code, name, parent_id, level, path)"
        f" SELECT {POINT_BASE} + i, 'BP' || {_text(connection, 'i')}, 'point',"
        f" 2 + (i % {STATIONS}), 'collection_point',"
        f" '/1/' || {_text(connection, f'2 + (i % {STATIONS})')} || '/'"
        f" || {_text(connection, f'{POINT_BASE} + i')} || '/'"
        f" FROM {_series(connection, str(k))}",
        county,
    )
    _run(
        connection,
        f"{_with_series(connection, str(k))}"
        "INSERT INTO agents (id, org_id, code, name)"
        f" SELECT i, {POINT_BASE} + i, 'BA' || {_text(connection, 'i')}, 'agent'"
        f" FROM {_series(connection, str(k))}",
        county,
    )
    _run(
        connection,
        f"{_with_series(connection, str(k))}"
        "INSERT INTO operators (id, org_id, account, name, password_hash, role, agent_id)"
        f" SELECT i, {POINT_BASE} + i, 'BA' || {_text(connection, 'i')}, 'collector', '-',"
        f" 'agent', i FROM {_series(connection, str(k))}",
        county,
    )
    _run(
        connection,
        f"{_with_series(connection, str(k))}"
        "INSERT INTO terminals (id, terminal_no, org_id, agent_id, state)"
        f" SELECT i, {_text(connection, f'{TERMINAL_BASE} + i')}, {POINT_BASE} + i, i, 'active'"
        f" FROM {_series(connection, str(k))}",
        county,
    )
    _run(
        connection,
        f"{_with_series(connection, str(county.customers))}"
        "INSERT INTO customers (id, account_no, name, address, category, station_org_id)"
        f" SELECT i, {_pad10(connection, 'i')}, 'customer', 'village', 'residential',"
        f" 2 + (i % {STATIONS}) FROM {_series(connection, str(county.customers))}",
        county,
    )
    d, k = county.days, county.terminals
    _run(
        connection,
        f"{_with_series(connection, str(d * k))}"
        "INSERT INTO batches (id, terminal_id, business_date, batch_no, operator_id, state,"
        " opened_at, closed_at)"
        f" SELECT i, 1 + ((i - 1) % {k}), {_day(connection, f'(i - 1) / {k}')}, 1,"
        f" 1 + ((i - 1) % {k}), 'unbalanced', :at, :at FROM {_series(connection, str(d * k))}",
        county,
    )


def _txn(connection: Connection, i: str) -> str:
    """The transaction id of payment ``i``: ``<terminal>-<i>-<hex>``."""
    terminal = _text(connection, f"{TERMINAL_BASE} + 1 + (({i}) % :k)")
    nonce = _hex(connection, f"CAST(({i}) AS BIGINT) * 7919")
    return f"{terminal} || '-' || {_text(connection, i)} || '-' || {nonce}"


def _payments(connection: Connection, county: BenchCounty) -> None:
    n, k, c, d = county.payments, county.terminals, county.customers, county.days
    state = f"CASE WHEN i % {MOD_STATUS} = 4 THEN 'reversed' ELSE 'confirmed' END"
    _run(
        connection,
        f"{_with_series(connection, str(n))}"
        "INSERT INTO payments (id, terminal_id, txn_id, request_hash, trace_no, batch_no,"
        " agent_id, operator_id, customer_id, org_id, business_date, cash_time, recorded_at,"
        " cash, principal_total, state, mis_state)"
        f" SELECT i, 1 + (i % {k}), {_txn(connection, 'i')}, 'bench', i, 1, 1 + (i % {k}),"
        f" 1 + (i % {k}), 1 + (i % {c}), {POINT_BASE} + 1 + (i % {k}),"
        f" {_day(connection, f'i % {d}')}, :at, :at, 1000 + (i % 50000), 1000 + (i % 50000),"
        f" {state}, 'posted' FROM {_series(connection, str(n))}",
        county,
        k=k,
    )
    _run(
        connection,
        f"{_with_series(connection, str(n))}"
        "INSERT INTO payment_undos (payment_id, kind, requested_by, reason, business_date,"
        " recorded_at)"
        f" SELECT i, 'reversal', 1 + (i % {k}), 'bench', {_day(connection, f'i % {d}')}, :at"
        f" FROM {_series(connection, str(n))} WHERE i % {MOD_STATUS} = 4",
        county,
    )


def _journal(connection: Connection, county: BenchCounty) -> None:
    n, k, d = county.payments, county.terminals, county.days
    batch = f"1 + (i % {k}) + (i % {d}) * {k}"
    state = f"CASE WHEN i % {MOD_STATUS} = 4 THEN 'reversed' ELSE 'confirmed' END"
    _run(
        connection,
        f"{_with_series(connection, str(n))}"
        "INSERT INTO batch_upload_items (batch_id, part, txn_id, trace_no, account_no, cash,"
        " state, cash_time, offline)"
        f" SELECT {batch}, 1, {_txn(connection, 'i')}, i,"
        f" {_pad10(connection, f'1 + (i % {county.customers})')}, 1000 + (i % 50000), {state},"
        f" :at, FALSE FROM {_series(connection, str(n))} WHERE i % {MOD_COMPANY_ONLY} <> 1",
        county,
        k=k,
    )
    # terminal-only: journal rows of payments the company never had
    _run(
        connection,
        f"{_with_series(connection, str(n))}"
        "INSERT INTO batch_upload_items (batch_id, part, txn_id, trace_no, account_no, cash,"
        " state, cash_time, offline)"
        f" SELECT {batch}, 1, {_txn(connection, f'{n} + i')}, {n} + i,"
        f" {_pad10(connection, '1')}, 1500, 'confirmed', :at, FALSE"
        f" FROM {_series(connection, str(n))} WHERE i % {MOD_TERMINAL_ONLY} = 0",
        county,
        k=k,
    )


def _mis(connection: Connection, county: BenchCounty) -> int:
    n, k, d = county.payments, county.terminals, county.days
    load_id = int(
        connection.execute(
            text(
                "INSERT INTO reconciliation_mis_loads (source, date_from, date_to, created_at,"
                " created_by) VALUES ('generated', :first, :last, :at, 'bench') RETURNING id"
            ),
            {
                "first": county.first_day,
                "last": county.last_day,
                "at": datetime(county.first_day.year, county.first_day.month, 1, tzinfo=UTC)
                if connection.dialect.name == "postgresql"
                else f"{county.first_day.isoformat()} 02:00:00.000000",
            },
        ).scalar_one()
    )
    amount = f"1000 + (i % 50000) + CASE WHEN i % {MOD_AMOUNT} = 3 THEN 1 ELSE 0 END"
    columns = (
        "INSERT INTO reconciliation_mis_lines (load_id, line_no, business_date, payment_id,"
        " serial, account_no, amount, principal, cash_date, station_code,"
        " collection_point_code, terminal_no, operator_code, state, terminal_id, agent_id,"
        " org_path)"
    )
    place = (
        f"{_text(connection, f'{TERMINAL_BASE} + 1 + (i % {k})')}, 'op', 'posted',"
        f" 1 + (i % {k}), 1 + (i % {k}),"
        f" '/1/' || {_text(connection, f'2 + ((1 + i % {k}) % {STATIONS})')} || '/'"
        f" || {_text(connection, f'{POINT_BASE} + 1 + (i % {k})')} || '/'"
    )
    _run(
        connection,
        f"{_with_series(connection, str(n))}{columns}"
        f" SELECT :load, i, {_day(connection, f'i % {d}')}, {_txn(connection, 'i')},"
        f" 'S' || {_text(connection, 'i')}, {_pad10(connection, f'1 + (i % {county.customers})')},"
        f" {amount}, {amount}, {_day(connection, f'i % {d}')}, 'BS1', 'BP1', {place}"
        f" FROM {_series(connection, str(n))} WHERE i % {MOD_MIS_MISSING} <> 2",
        county,
        k=k,
        load=load_id,
    )
    _run(
        connection,
        f"{_with_series(connection, str(n))}{columns}"
        f" SELECT :load, {n} + i, {_day(connection, f'i % {d}')},"
        f" {_txn(connection, f'2 * {n} + i')},"
        f" 'X' || {_text(connection, 'i')}, {_pad10(connection, '1')}, 2500, 2500,"
        f" {_day(connection, f'i % {d}')}, 'BS1', 'BP1', {place}"
        f" FROM {_series(connection, str(n))} WHERE i % {MOD_MIS_ONLY} = 0",
        county,
        k=k,
        load=load_id,
    )
    return load_id


def expected_differences(county: BenchCounty) -> dict[str, int]:
    """How many differences of each kind a run over the whole month must find."""
    found = {
        "terminal_only": 0,
        "company_only": 0,
        "mis_missing": 0,
        "mis_only": 0,
        "amount_differs": 0,
        "status_differs": 0,
    }
    for i in range(1, county.payments + 1):
        reversed_ = i % MOD_STATUS == 4
        found["terminal_only"] += i % MOD_TERMINAL_ONLY == 0
        found["mis_only"] += i % MOD_MIS_ONLY == 0
        if reversed_:
            # undone and still posted (unless the MIS never had it, which agrees)
            found["status_differs"] += i % MOD_MIS_MISSING != 2
            continue
        found["company_only"] += i % MOD_COMPANY_ONLY == 1
        if i % MOD_MIS_MISSING == 2:
            found["mis_missing"] += 1
        elif i % MOD_AMOUNT == 3:
            found["amount_differs"] += 1
    return found
