"""The benchmark's payment history, written with bulk SQL (``generate_series``, window functions,
``INSERT … SELECT``) on PostgreSQL — never through the API — and consistent with the ledger's
invariants, so ``gridpos audit verify`` passes over it.

``payments`` payments over ``days`` business dates ending today, payment *i* on day
*(i − 1) mod days*, at a terminal drawn by weight from the day's *(i − 1) div days*-th draw (so
every terminal works every day; busy shops collect up to five times more than quiet ones), from
a customer of that terminal's station; past days between 08:00 and 18:00 China
time, today's between the start given and now. Each payment pays one bill of its own in full:
a customer's payments, newest first, pay the month before their latest payment's, then the month
before that, and so on — the older the bill, the later it is paid and the bigger its late penalty
(1‰ a day, 2‰ for non-residential customers; at least 1 yuan); one payment in ten of a customer's
latest rounds up to whole ten yuan, the rest becoming prepaid balance. These bills are the
benchmark's own (``mis_receivable_id`` ``BENCH-…``, billing run 2), beside the open bills the
MIS sync brought.

With each payment: its allocation, its ledger transaction and entries, its ``mis.post`` outbox row
(delivered, but for the last :data:`BACKLOG` of today), its MIS state, its audit entry and a receipt
verification code (:mod:`.console_audit`). One payment in 997 is voided and one in 1999 reversed,
the same day (undo row, negated ledger transaction, bill open again). Every agent tops up each day
what the day's collections take (requested by one finance operator, approved by the other, in the
ledger); every terminal has one batch a day, closed and balanced before today (one in 151
unbalanced with a named difference, one in 40 with a cash shortage), today's open. Offline
payments, commissions and stored receipts are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import psycopg

BACKLOG: Final = 40  # today's newest payments still waiting to be posted to the MIS
VOID_EVERY: Final = 997
REVERSE_EVERY: Final = 1999
UNBALANCED_EVERY: Final = 151
SHORT_EVERY: Final = 40
TOPUP_UNIT: Final = 100_000  # top-ups in whole thousands of yuan
OPENING_FLOAT: Final = 2_000_000
STAGING: Final = (
    "bench_terminals",
    "bench_slots",
    "bench_customers",
    "bench_sizes",
    "bench_drawn",
    "bench_paid",
    "bench_codes",
    "bench_topups",
    "bench_batches",
)
# the bulk statements' session: room to sort and hash, no wait for the WAL, and a bound on any
# one statement (a million payments take a minute or two on a small machine)
SESSION_SETTINGS: Final = (
    "SET statement_timeout = '30min'",
    "SET work_mem = '256MB'",
    "SET maintenance_work_mem = '512MB'",
    "SET synchronous_commit = off",
)


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """What to generate; ``today_start`` and ``now`` bound today's cash times (aware)."""

    payments: int
    days: int
    today: date
    today_start: datetime
    now: datetime
    live_terminal_no: str

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    @property
    def today_span_s(self) -> int:
        return max(60, int((self.now - self.today_start).total_seconds()) - 60)


_TERMINALS = """
CREATE UNLOGGED TABLE bench_terminals AS
SELECT (row_number() OVER (ORDER BY t.id) - 1)::int AS k, t.id AS terminal_id, t.terminal_no,
       t.agent_id, t.org_id, p.parent_id AS station_id, p.code AS point_code, o.id AS operator_id,
       o.account AS operator_account, s.code AS station_code
FROM terminals t
JOIN organisations p ON p.id = t.org_id
JOIN organisations s ON s.id = p.parent_id
JOIN LATERAL (SELECT id, account FROM operators WHERE agent_id = t.agent_id ORDER BY id LIMIT 1)
  AS o ON true
WHERE t.terminal_no <> %(live)s AND t.state = 'active'
  AND EXISTS (SELECT 1 FROM customers c WHERE c.station_org_id = p.parent_id)
"""
_SLOTS = """
CREATE UNLOGGED TABLE bench_slots AS
SELECT (row_number() OVER (ORDER BY k, w) - 1)::bigint AS s, k
FROM bench_terminals, generate_series(1, 1 + (k * 7) % 5) AS w
"""
_CUSTOMERS = (
    "CREATE UNLOGGED TABLE bench_customers AS SELECT station_org_id AS station_id,"
    " (row_number() OVER (PARTITION BY station_org_id ORDER BY id) - 1)::bigint AS rn,"
    " id AS customer_id, account_no, category FROM customers",
    "CREATE UNLOGGED TABLE bench_sizes AS"
    " SELECT station_id, count(*)::bigint AS n FROM bench_customers GROUP BY station_id",
)
_DRAWN = """
CREATE UNLOGGED TABLE bench_drawn AS
SELECT d.i, d.business_date, t.terminal_id, t.terminal_no, t.agent_id, t.org_id, t.station_id,
       t.station_code, t.point_code, t.operator_id, t.operator_account, c.customer_id,
       c.account_no, c.category,
       CASE WHEN d.business_date = %(today)s
            THEN %(today_start)s::timestamptz
                 + ((d.i * 7919) %% %(today_span)s) * interval '1 second'
            ELSE ((d.business_date + time '08:00') AT TIME ZONE 'Asia/Shanghai')
                 + ((d.i * 7919) %% 36000) * interval '1 second'
       END AS cash_time,
       CASE WHEN d.i %% %(void_every)s = 0 THEN 'voided'
            WHEN d.i %% %(reverse_every)s = 0 THEN 'reversed' ELSE 'confirmed' END AS state,
       (40 + (d.i * 31) %% 260)::bigint AS kwh
FROM (SELECT g::bigint AS i, %(first_day)s::date + ((g - 1) %% %(days)s)::int AS business_date,
             (((g - 1) / %(days)s)::bigint * 2654435761) %% %(slots)s AS slot
      FROM generate_series(1, %(payments)s) AS g) AS d
JOIN bench_slots s ON s.s = d.slot
JOIN bench_terminals t ON t.k = s.k
JOIN bench_sizes z ON z.station_id = t.station_id
JOIN bench_customers c ON c.station_id = t.station_id AND c.rn = (d.i * 48271 + 12345) %% z.n
"""
# the bill each payment pays, its late penalty, the prepaid rounding, the serial, and the ids in
# the order the payments came in (``seq``), as a live server gives them
_PAID = """
CREATE UNLOGGED TABLE bench_paid AS
WITH ranked AS (
  SELECT d.*,
         row_number() OVER (PARTITION BY customer_id ORDER BY cash_time DESC, i DESC) AS k_rank,
         max(business_date) OVER (PARTITION BY customer_id) AS anchor,
         row_number() OVER (PARTITION BY terminal_id ORDER BY cash_time, i) AS trace_no
  FROM bench_drawn d
), billed AS (
  SELECT r.*,
         (date_trunc('month', anchor) - make_interval(months => k_rank::int))::date AS period_start,
         (kwh * 5653 + 50) / 100 AS principal
  FROM ranked r
), due AS (
  SELECT b.*, (period_start + interval '2 month' - interval '1 day')::date AS due_date FROM billed b
), priced AS (
  SELECT u.*,
         CASE WHEN business_date > due_date
              THEN greatest(100, (principal * (business_date - due_date)
                   * CASE WHEN category = 'non_residential' THEN 2 ELSE 1 END + 500) / 1000)
              ELSE 0 END AS penalty,
         row_number() OVER (ORDER BY cash_time, i) AS seq
  FROM due u
)
SELECT q.*,
       CASE WHEN k_rank = 1 AND i %% 10 = 0 AND (principal + penalty) %% 1000 <> 0
            THEN 1000 - (principal + penalty) %% 1000 ELSE 0 END AS prepaid_added,
       to_char(period_start, 'YYYYMM') AS period,
       terminal_no || '-' || trace_no || '-' || substr(md5(i::text), 1, 8) AS txn_id,
       cash_time + ((1 + i %% 3) * interval '1 second') AS recorded_at,
       %(payment_base)s + seq AS payment_id,
       %(receivable_base)s + seq AS receivable_id,
       %(transaction_base)s + seq AS transaction_id
FROM priced q
"""
_PAID_INDEX = "CREATE INDEX ON bench_paid (seq)"
_TOPUPS = """
CREATE UNLOGGED TABLE bench_topups AS
WITH days AS (
  SELECT agent_id, business_date, sum(principal + penalty + prepaid_added) AS taken,
         min(cash_time) AS first_cash
  FROM bench_paid GROUP BY agent_id, business_date
), opening AS (
  SELECT DISTINCT agent_id FROM bench_terminals t
  WHERE NOT EXISTS (SELECT 1 FROM float_topups f
                    WHERE f.agent_id = t.agent_id AND f.state = 'approved')
)
SELECT row_number() OVER (ORDER BY business_date, agent_id) AS n, agent_id, business_date, amount,
       least(first_cash, (business_date + time '07:30') AT TIME ZONE 'Asia/Shanghai')
         - interval '20 minutes' AS requested_at
FROM (
  SELECT agent_id, business_date, ((taken + %(unit)s - 1) / %(unit)s) * %(unit)s AS amount,
         first_cash
  FROM days
  UNION ALL
  SELECT agent_id, %(first_day)s::date - 1, %(opening)s,
         (%(first_day)s::date - 1 + time '07:30') AT TIME ZONE 'Asia/Shanghai'
  FROM opening
) AS asked
"""
_BATCHES = """
CREATE UNLOGGED TABLE bench_batches AS
SELECT row_number() OVER (ORDER BY business_date, terminal_id) AS n, terminal_id, terminal_no,
       business_date, operator_id, operator_account,
       count(*) FILTER (WHERE state = 'confirmed') AS server_count,
       coalesce(sum(principal + penalty + prepaid_added) FILTER (WHERE state = 'confirmed'), 0)
         AS server_amount,
       max(payment_id) FILTER (WHERE state = 'confirmed') AS last_payment_id,
       max(txn_id) FILTER (WHERE state = 'confirmed') AS last_txn_id,
       min(cash_time) - interval '10 minutes' AS opened_at,
       greatest(max(recorded_at), (business_date + time '18:30') AT TIME ZONE 'Asia/Shanghai')
         AS closed_at
FROM bench_paid GROUP BY terminal_id, terminal_no, business_date, operator_id, operator_account
"""


def _bases(cur: psycopg.Cursor[Any]) -> dict[str, int]:
    bases: dict[str, int] = {}
    for key, table in (
        ("payment_base", "payments"),
        ("receivable_base", "receivables"),
        ("transaction_base", "ledger_transactions"),
    ):
        row = cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()  # noqa: S608
        bases[key] = int(row[0]) if row else 0
    return bases


def stage(dsn: str, plan: HistoryPlan, *, progress: Callable[[str], None]) -> dict[str, int]:
    """Draw the history into the ``bench_*`` staging tables; the id bases the rows will take."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for setting in SESSION_SETTINGS:
            cur.execute(setting)
        for table in STAGING:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(_TERMINALS, {"live": plan.live_terminal_no})
        cur.execute(_SLOTS)
        for statement in _CUSTOMERS:
            cur.execute(statement)
        row = cur.execute("SELECT count(*) FROM bench_slots").fetchone()
        slots = int(row[0]) if row else 0
        if slots == 0:
            raise ValueError("no active terminal at a station with customers to collect from")
        bases = _bases(cur)
        params: dict[str, Any] = {
            "payments": plan.payments,
            "days": plan.days,
            "first_day": plan.first_day,
            "today": plan.today,
            "today_start": plan.today_start,
            "today_span": plan.today_span_s,
            "slots": slots,
            "void_every": VOID_EVERY,
            "reverse_every": REVERSE_EVERY,
            **bases,
        }
        cur.execute(_DRAWN, params)
        progress("payments drawn")
        cur.execute(_PAID, params)
        cur.execute(_PAID_INDEX)
        progress("bills, penalties and serials priced")
        cur.execute(
            _TOPUPS, {"unit": TOPUP_UNIT, "first_day": plan.first_day, "opening": OPENING_FLOAT}
        )
        cur.execute(_BATCHES)
        cur.execute("CREATE UNLOGGED TABLE bench_codes (i bigint PRIMARY KEY, code text NOT NULL)")
        conn.commit()
    return bases


def drop_staging(dsn: str) -> None:
    """Drop the staging tables."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in STAGING:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
