"""The staged history (:mod:`.county_data`) written into the server's tables in set-based
statements, then the kept balances summed from the ledger and the id sequences moved past the
rows written with explicit ids.

Statement by statement: the bills paid (receivables), the payments (with their verification codes
from :mod:`.console_audit`), their allocations, the payments' ledger transactions and entries, the
undos (rows, negated transactions), the top-ups (rows and transactions), the batches and their
differences, the outbox rows, and last the agents' floats and the customers' prepaid balances —
each the sum of its account's entries, as the ledger requires.

Foreign keys and row triggers are checked row by row at the end of each statement, which for a
million payments costs more than writing them; so where the session may (a superuser's
``session_replication_role = replica``) and every user trigger these writes fire has a stand-in
here, the rows are written with triggers off and the stand-ins run once, set-based, afterwards
(today: the terminals' confirmed cash per day and the collections per day and place that
triggers on ``payments`` keep). The ids and references are joined from rows that exist, and
``gridpos audit verify`` checks the result. Otherwise every trigger fires as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import psycopg

from gridpos.sim.bench.county_data import (
    BACKLOG,
    SESSION_SETTINGS,
    SHORT_EVERY,
    UNBALANCED_EVERY,
    HistoryPlan,
)

_RECEIVABLES = """
INSERT INTO receivables (id, mis_receivable_id, customer_id, period, run_no, kwh, principal,
                         due_date, principal_paid, penalty_paid, settle_state)
SELECT receivable_id, 'BENCH-' || i, customer_id, period, 2, kwh, principal, due_date,
       CASE WHEN state = 'confirmed' THEN principal ELSE 0 END,
       CASE WHEN state = 'confirmed' THEN penalty ELSE 0 END,
       CASE WHEN state = 'confirmed' THEN 'settled' ELSE 'unpaid' END
FROM bench_paid ORDER BY seq
"""
_BACKLOG = """
CREATE UNLOGGED TABLE bench_backlog AS
SELECT i FROM bench_paid WHERE state = 'confirmed' AND business_date = %(today)s
ORDER BY recorded_at DESC LIMIT %(backlog)s
"""
_PAYMENTS = """
INSERT INTO payments (id, terminal_id, txn_id, request_hash, trace_no, batch_no, agent_id,
                      operator_id, customer_id, org_id, business_date, cash_time, recorded_at, cash,
                      prepaid_added, penalty_total, principal_total, state, offline,
                      verification_code, mis_state)
SELECT p.payment_id, p.terminal_id, p.txn_id, md5(p.i::text || 'request') || md5(p.i::text),
       p.trace_no, 1, p.agent_id, p.operator_id, p.customer_id, p.org_id, p.business_date,
       p.cash_time, p.recorded_at, p.principal + p.penalty + p.prepaid_added, p.prepaid_added,
       p.penalty, p.principal, p.state, false, c.code,
       CASE WHEN p.state <> 'confirmed' THEN 'undone'
            WHEN b.i IS NOT NULL THEN 'pending' ELSE 'posted' END
FROM bench_paid p JOIN bench_codes c ON c.i = p.i LEFT JOIN bench_backlog b ON b.i = p.i
ORDER BY p.seq
"""
_ALLOCATIONS = """
INSERT INTO payment_allocations (payment_id, receivable_id, penalty_paid, principal_paid)
SELECT payment_id, receivable_id, penalty, principal FROM bench_paid ORDER BY seq
"""
_PAYMENT_TRANSACTIONS = """
INSERT INTO ledger_transactions (id, kind, business_date, recorded_at, payment_id, agent_id)
SELECT transaction_id, 'payment', business_date, recorded_at, payment_id, agent_id
FROM bench_paid ORDER BY seq
"""
# the entries of each payment's transaction; an undo's are the same negated (``sign``)
_ENTRIES = """
INSERT INTO ledger_entries (transaction_id, account_kind, owner_id, amount)
SELECT {transaction}, e.kind, e.owner_id, {sign} * e.amount
FROM {source} AS p
CROSS JOIN LATERAL (VALUES
  ('agent_float', p.agent_id, p.principal + p.penalty + p.prepaid_added),
  ('receivable_penalty', p.receivable_id, -p.penalty),
  ('receivable_principal', p.receivable_id, -p.principal),
  ('customer_prepaid', p.customer_id, -p.prepaid_added)
) AS e(kind, owner_id, amount)
WHERE e.amount <> 0
ORDER BY 1
"""
_UNDONE = """
CREATE UNLOGGED TABLE bench_undone AS
SELECT p.*, %(undo_base)s + row_number() OVER (ORDER BY p.seq) AS undo_transaction_id,
       CASE WHEN p.state = 'voided' THEN 'void' ELSE 'reversal' END AS undo_kind,
       p.recorded_at + interval '5 minutes' AS undone_at
FROM bench_paid p WHERE p.state <> 'confirmed'
"""
_UNDO_ROWS = (
    """
INSERT INTO ledger_transactions (id, kind, business_date, recorded_at, payment_id, agent_id)
SELECT undo_transaction_id, undo_kind, business_date, undone_at, payment_id, agent_id
FROM bench_undone ORDER BY seq
""",
    """
INSERT INTO payment_undos (payment_id, kind, reason, business_date, recorded_at)
SELECT payment_id, undo_kind, CASE WHEN undo_kind = 'void' THEN '撤销' ELSE '冲正' END,
       business_date, undone_at
FROM bench_undone ORDER BY seq
""",
)
_TOPUPS = (
    """
INSERT INTO float_topups (id, agent_id, amount, state, requested_by, requested_at, decided_by,
                          decided_at, note)
SELECT %(topup_base)s + n, agent_id, amount, 'approved', %(maker)s, requested_at, %(checker)s,
       requested_at + interval '10 minutes', '备付金补充'
FROM bench_topups ORDER BY n
""",
    """
INSERT INTO ledger_transactions (id, kind, business_date, recorded_at, agent_id, memo)
SELECT %(topup_transaction_base)s + n, 'float_topup', business_date,
       requested_at + interval '10 minutes', agent_id, 'float_topup:' || (%(topup_base)s + n)
FROM bench_topups ORDER BY n
""",
    """
INSERT INTO ledger_entries (transaction_id, account_kind, owner_id, amount)
SELECT %(topup_transaction_base)s + t.n, e.kind, e.owner_id, e.amount
FROM bench_topups t
CROSS JOIN LATERAL (VALUES ('topup_clearing', NULL::bigint, t.amount),
                           ('agent_float', t.agent_id, -t.amount)) AS e(kind, owner_id, amount)
ORDER BY 1
""",
)
_BATCHES = (
    """
INSERT INTO batches (id, terminal_id, business_date, batch_no, operator_id, state, terminal_count,
                     terminal_amount, server_count, server_amount, cash_counted, cash_difference,
                     note, opened_at, closed_at)
SELECT %(batch_base)s + b.n, b.terminal_id, b.business_date, 1, b.operator_id,
       CASE WHEN b.business_date = %(today)s THEN 'open'
            WHEN b.n %% %(unbalanced)s = 0 AND b.last_payment_id IS NOT NULL THEN 'unbalanced'
            ELSE 'balanced' END,
       CASE WHEN b.business_date = %(today)s THEN NULL
            WHEN b.n %% %(unbalanced)s = 0 AND b.last_payment_id IS NOT NULL
            THEN b.server_count - 1 ELSE b.server_count END,
       CASE WHEN b.business_date = %(today)s THEN NULL
            WHEN b.n %% %(unbalanced)s = 0 AND b.last_payment_id IS NOT NULL
            THEN b.server_amount - p.principal - p.penalty - p.prepaid_added
            ELSE b.server_amount END,
       CASE WHEN b.business_date = %(today)s THEN NULL ELSE b.server_count END,
       CASE WHEN b.business_date = %(today)s THEN NULL ELSE b.server_amount END,
       CASE WHEN b.business_date = %(today)s THEN NULL
            ELSE greatest(0, b.server_amount - CASE WHEN b.n %% %(short)s = 0
                                                    THEN 100 * (1 + b.n %% 50) ELSE 0 END) END,
       CASE WHEN b.business_date = %(today)s THEN NULL
            ELSE greatest(0, b.server_amount - CASE WHEN b.n %% %(short)s = 0
                                                    THEN 100 * (1 + b.n %% 50) ELSE 0 END)
                 - b.server_amount END,
       CASE WHEN b.business_date <> %(today)s AND b.n %% %(short)s = 0
            THEN '点钞短款，已登记' ELSE '' END,
       b.opened_at,
       CASE WHEN b.business_date = %(today)s THEN NULL ELSE b.closed_at END
FROM bench_batches b LEFT JOIN bench_paid p ON p.payment_id = b.last_payment_id
ORDER BY b.n
""",
    """
INSERT INTO batch_differences (batch_id, kind, txn_id, payment_id, server_amount, state,
                               resolved_at, note)
SELECT %(batch_base)s + b.n, 'server_only', b.last_txn_id, b.last_payment_id,
       p.principal + p.penalty + p.prepaid_added,
       CASE WHEN b.business_date < %(today)s - 7 THEN 'resolved' ELSE 'open' END,
       CASE WHEN b.business_date < %(today)s - 7 THEN b.closed_at + interval '1 day' END,
       CASE WHEN b.business_date < %(today)s - 7 THEN '补单确认' ELSE '' END
FROM bench_batches b JOIN bench_paid p ON p.payment_id = b.last_payment_id
WHERE b.business_date <> %(today)s AND b.n %% %(unbalanced)s = 0
ORDER BY b.n
""",
)
_OUTBOX = (
    """
INSERT INTO outbox (topic, aggregate_id, payload, state, attempts, next_attempt_at, created_at,
                    sent_at)
SELECT 'mis.post', p.txn_id,
       jsonb_build_object(
         'payment_id', p.txn_id, 'account_no', p.account_no,
         'amount_fen', p.principal + p.penalty + p.prepaid_added,
         'cash_date', p.business_date, 'business_date', p.business_date, 'channel', 'POS',
         'collection_point_id', p.point_code, 'terminal_id', p.terminal_no,
         'operator_id', p.operator_account,
         'lines', jsonb_build_array(jsonb_build_object('period', p.period, 'run_no', 2,
                                    'penalty', p.penalty, 'principal', p.principal)),
         'prepaid_used', 0, 'prepaid_added', p.prepaid_added, 'rounding_used', 0,
         'rounding_added', 0)::text,
       CASE WHEN b.i IS NULL THEN 'sent' ELSE 'pending' END,
       CASE WHEN b.i IS NULL THEN 1 ELSE 0 END,
       p.recorded_at, p.recorded_at,
       CASE WHEN b.i IS NULL THEN p.recorded_at + interval '3 seconds' END
FROM bench_paid p LEFT JOIN bench_backlog b ON b.i = p.i
ORDER BY p.seq
""",
    """
INSERT INTO outbox (topic, aggregate_id, payload, state, attempts, next_attempt_at, created_at,
                    sent_at)
SELECT 'mis.reverse', txn_id,
       jsonb_build_object('payment_id', txn_id, 'kind', undo_kind,
                          'amount_fen', principal + penalty + prepaid_added,
                          'business_date', business_date, 'operator_id', operator_account,
                          'reason', CASE WHEN undo_kind = 'void' THEN '撤销' ELSE '冲正' END)::text,
       'sent', 1, undone_at, undone_at, undone_at + interval '3 seconds'
FROM bench_undone ORDER BY seq
""",
)
_KEPT_BALANCES = (
    """
UPDATE agents a SET float_available = s.balance
FROM (SELECT owner_id, -sum(amount) AS balance FROM ledger_entries
      WHERE account_kind = 'agent_float' GROUP BY owner_id) AS s
WHERE a.id = s.owner_id
""",
    """
UPDATE customers c SET prepaid = s.balance
FROM (SELECT owner_id, -sum(amount) AS balance FROM ledger_entries
      WHERE account_kind = 'customer_prepaid' GROUP BY owner_id) AS s
WHERE c.id = s.owner_id
""",
)
# what stands in for each user trigger the history's writes would fire, when they are written
# with triggers off
_STAND_INS: Final = {
    "payments_day_totals": """
INSERT INTO terminal_day_totals (terminal_id, business_date, confirmed_cash, confirmed_count)
SELECT terminal_id, business_date, sum(cash), count(*) FROM payments
WHERE id > %(payment_base)s AND state = 'confirmed' GROUP BY terminal_id, business_date
ON CONFLICT (terminal_id, business_date) DO UPDATE
SET confirmed_cash = terminal_day_totals.confirmed_cash + excluded.confirmed_cash,
    confirmed_count = terminal_day_totals.confirmed_count + excluded.confirmed_count
""",
    "payments_collection_totals_insert": """
INSERT INTO collection_day_totals (business_date, org_id, agent_id, terminal_id, state, payments,
                                   cash, penalty, principal)
SELECT business_date, org_id, agent_id, terminal_id, state, count(*), sum(cash),
       sum(penalty_total), sum(principal_total)
FROM payments WHERE id > %(payment_base)s
GROUP BY business_date, org_id, agent_id, terminal_id, state
ON CONFLICT (business_date, org_id, agent_id, terminal_id, state) DO UPDATE
SET payments = collection_day_totals.payments + excluded.payments,
    cash = collection_day_totals.cash + excluded.cash,
    penalty = collection_day_totals.penalty + excluded.penalty,
    principal = collection_day_totals.principal + excluded.principal
""",
}
# the tables the history inserts rows into, and those it updates
_INSERTED: Final = (
    "receivables",
    "payments",
    "payment_allocations",
    "ledger_transactions",
    "ledger_entries",
    "payment_undos",
    "float_topups",
    "batches",
    "batch_differences",
    "outbox",
)
_UPDATED: Final = ("agents", "customers")
# the user triggers those writes fire (pg_trigger.tgtype: 4 on INSERT, 16 on UPDATE)
_FIRED = """
SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal
  AND ((c.relname = ANY(%(inserted)s) AND t.tgtype & 4 <> 0)
       OR (c.relname = ANY(%(updated)s) AND t.tgtype & 16 <> 0))
"""
_SEQUENCED: Final = (
    "payments",
    "receivables",
    "ledger_transactions",
    "float_topups",
    "batches",
)


def _one(cur: psycopg.Cursor[Any], query: str, params: dict[str, Any] | None = None) -> int:
    row = cur.execute(query, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _triggers_off(
    conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any]
) -> tuple[bool, list[str]]:
    """Turn triggers off for the session when every user trigger the history's writes fire has
    a stand-in and the session may: whether they are off, and the stand-ins to run afterwards."""
    found = {
        str(row[0])
        for row in cur.execute(_FIRED, {"inserted": list(_INSERTED), "updated": list(_UPDATED)})
    }
    if not found <= _STAND_INS.keys():
        return False, []
    try:
        cur.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
        return False, []
    return True, [_STAND_INS[name] for name in sorted(found)]


def write_history(
    dsn: str,
    plan: HistoryPlan,
    bases: dict[str, int],
    *,
    maker_id: int,
    checker_id: int,
    progress: Callable[[str], None],
) -> None:
    """Write the staged history (codes already in ``bench_codes``) into the server's tables.

    ``maker_id`` and ``checker_id`` are the finance operators who ask for and approve top-ups.
    Raises ``psycopg.Error`` when a constraint refuses a row (nothing is written then).
    """
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        off, stand_ins = _triggers_off(conn, cur)
        for setting in SESSION_SETTINGS:
            cur.execute(setting)
        cur.execute("DROP TABLE IF EXISTS bench_backlog, bench_undone")
        cur.execute(_BACKLOG, {"today": plan.today, "backlog": BACKLOG})
        cur.execute(_RECEIVABLES)
        cur.execute(_PAYMENTS)
        cur.execute(_ALLOCATIONS)
        progress("payments, bills and allocations written")
        cur.execute(_PAYMENT_TRANSACTIONS)
        cur.execute(_ENTRIES.format(transaction="p.transaction_id", sign="1", source="bench_paid"))
        progress("ledger of the payments written")
        undo_base = bases["transaction_base"] + _one(cur, "SELECT max(seq) FROM bench_paid")
        cur.execute(_UNDONE, {"undo_base": undo_base})
        for statement in _UNDO_ROWS:
            cur.execute(statement)
        cur.execute(
            _ENTRIES.format(transaction="p.undo_transaction_id", sign="-1", source="bench_undone")
        )
        topup_params = {
            "topup_base": _one(cur, "SELECT coalesce(max(id), 0) FROM float_topups"),
            "topup_transaction_base": _one(
                cur, "SELECT coalesce(max(id), 0) FROM ledger_transactions"
            ),
            "maker": maker_id,
            "checker": checker_id,
        }
        for statement in _TOPUPS:
            cur.execute(statement, topup_params)
        batch_params = {
            "batch_base": _one(cur, "SELECT coalesce(max(id), 0) FROM batches"),
            "today": plan.today,
            "unbalanced": UNBALANCED_EVERY,
            "short": SHORT_EVERY,
        }
        for statement in _BATCHES:
            cur.execute(statement, batch_params)
        progress("undos, top-ups and batches written")
        for statement in _OUTBOX:
            cur.execute(statement)
        for statement in _KEPT_BALANCES:
            cur.execute(statement)
        for table in _SEQUENCED:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        if off:
            cur.execute("SET session_replication_role = origin")
            for statement in stand_ins:
                cur.execute(statement, bases)
        cur.execute("DROP TABLE IF EXISTS bench_backlog, bench_undone")
        conn.commit()
    progress(
        "outbox and kept balances written"
        + (" (triggers off, their work done set-based)" if off else "")
    )
