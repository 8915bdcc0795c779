"""The statements of the PostgreSQL payment path (see :mod:`.postgresql`), as fixed texts so each
is prepared once per connection and planned once.

Round trip 1 sends four statements in one pipeline. They are separate statements, not one, on
purpose: under READ COMMITTED each statement reads a snapshot taken when it starts, so a statement
that had to wait for a lock would read what it joins as it was *before* the wait. The claim of the
terminal's counter comes first and locks the terminal's row (a second request of the same terminal
waits there); the customer's lock second; the reads after both, each seeing whatever the request
it waited for has committed.

Round trip 2 is one statement of data-modifying CTEs that writes the whole payment — the
payment, its allocations, the ledger transactions and entries, every kept balance (one UPDATE per
table, the database's CHECKs the last word), the receipt, the audit entry (unsealed) and the
outbox row — followed by COMMIT in the same pipeline.
"""

from __future__ import annotations

from typing import Final

CLAIM: Final = """
UPDATE terminals
   SET last_counter = %(counter)s, last_seen_at = %(now)s
 WHERE id = %(terminal_id)s AND last_counter < %(counter)s AND state = 'active'
   AND key_version = %(key_version)s
RETURNING business_date, signed_in_operator_id, signed_in_at, agent_id, org_id
"""
"""The replay guard (as ``TerminalStore.claim_counter``): the counter kept only if higher."""

LOCK_CUSTOMER: Final = """
SELECT c.id, c.account_no, c.name, c.address, c.category, c.station_org_id, c.prepaid,
       c.rounding_credit, c.mis_updated_at, o.path LIKE %(county_path)s || '%%' AS in_county
  FROM customers c JOIN organisations o ON o.id = c.station_org_id
 WHERE c.account_no = %(account_no)s
   FOR UPDATE OF c
"""
"""The customer, locked: the row every money movement of one customer queues on."""

CONTEXT: Final = """
SELECT t.state, t.key_version, t.last_counter,
       p.id AS payment_id, p.request_hash, p.state AS payment_state, pr.body AS receipt,
       EXISTS (SELECT 1 FROM reversal_tombstones rt
                WHERE rt.terminal_id = t.id AND rt.txn_id = %(txn_id)s) AS tombstone,
       b.id AS batch_id, b.batch_no, b.business_date AS batch_date, b.state AS batch_state,
       b.operator_id AS batch_operator_id,
       (SELECT COALESCE(SUM(x.cash), 0) FROM payments x
         WHERE x.terminal_id = t.id AND x.business_date = t.business_date
           AND x.state = 'confirmed') AS day_cash,
       op.name AS operator_name, op.account AS operator_account
  FROM terminals t
  LEFT JOIN payments p ON p.terminal_id = t.id AND p.txn_id = %(txn_id)s
  LEFT JOIN payment_receipts pr ON pr.payment_id = p.id
  LEFT JOIN LATERAL (
        SELECT id, batch_no, business_date, state, operator_id FROM batches
         WHERE terminal_id = t.id AND business_date = t.business_date
         ORDER BY batch_no DESC LIMIT 1) b ON true
  LEFT JOIN operators op ON op.id = t.signed_in_operator_id
 WHERE t.id = %(terminal_id)s
"""
"""The terminal's state, a payment or tombstone already under this id, the open batch, the cash
of the day so far and the signed-in collector."""

OPEN_RECEIVABLES: Final = """
SELECT r.id, r.period, r.run_no, r.kwh, r.principal, r.principal_paid, r.due_date
  FROM receivables r JOIN customers c ON c.id = r.customer_id
 WHERE c.account_no = %(account_no)s AND r.principal_paid < r.principal
 ORDER BY r.period, r.run_no, r.id
"""
"""The customer's open receivables, oldest first (as ``PaymentStore.open_receivables``)."""

PARAMETERS: Final = """
SELECT key, value FROM parameters WHERE valid_from <= %(day)s ORDER BY key, valid_from
"""
"""The dated parameters up to a day (as ``parameter_store.parameters_in_force``)."""

WRITE_PAYMENT: Final = """
WITH pay AS (
    INSERT INTO payments (terminal_id, txn_id, request_hash, trace_no, batch_no, agent_id,
        operator_id, customer_id, org_id, business_date, cash_time, recorded_at, cash,
        rounding_up, prepaid_before, prepaid_used, prepaid_added, rounding_before, rounding_used,
        rounding_added, penalty_total, principal_total, state, offline, verification_code,
        mis_state)
    VALUES (%(terminal_id)s, %(txn_id)s, %(request_hash)s, %(trace_no)s, %(batch_no)s,
        %(agent_id)s, %(operator_id)s, %(customer_id)s, %(org_id)s, %(business_date)s,
        %(cash_time)s, %(recorded_at)s, %(cash)s, %(rounding_up)s, %(prepaid_before)s,
        %(prepaid_used)s, %(prepaid_added)s, %(rounding_before)s, %(rounding_used)s,
        %(rounding_added)s, %(penalty_total)s, %(principal_total)s, %(state)s, %(offline)s,
        %(verification_code)s, %(mis_state)s)
    RETURNING id
), allocation AS (
    INSERT INTO payment_allocations (payment_id, receivable_id, penalty_paid, principal_paid)
    SELECT pay.id, a.receivable_id, a.penalty_paid, a.principal_paid
      FROM pay, unnest(%(a_receivable)s::bigint[], %(a_penalty)s::bigint[],
                       %(a_principal)s::bigint[]) AS a(receivable_id, penalty_paid, principal_paid)
), txn AS (
    INSERT INTO ledger_transactions (kind, business_date, recorded_at, payment_id, agent_id, memo)
    SELECT t.kind, %(business_date)s, %(recorded_at)s, pay.id, %(agent_id)s, t.memo
      FROM pay, unnest(%(t_kind)s::text[], %(t_memo)s::text[]) WITH ORDINALITY AS t(kind, memo, n)
     ORDER BY t.n
    RETURNING id, kind
), entry AS (
    INSERT INTO ledger_entries (transaction_id, account_kind, owner_id, amount)
    SELECT txn.id, e.account_kind, e.owner_id, e.amount
      FROM unnest(%(e_txn)s::text[], %(e_kind)s::text[], %(e_owner)s::bigint[],
                  %(e_amount)s::bigint[])
           WITH ORDINALITY AS e(txn, account_kind, owner_id, amount, n)
      JOIN txn ON txn.kind = e.txn
     ORDER BY txn.id, e.n
), agent_move AS (
    UPDATE agents g
       SET float_available = g.float_available + m.float_available,
           float_held = g.float_held + m.float_held,
           commission_accrued = g.commission_accrued + m.commission_accrued
      FROM unnest(%(g_id)s::bigint[], %(g_float)s::bigint[], %(g_held)s::bigint[],
                  %(g_commission)s::bigint[]) AS m(id, float_available, float_held,
                                                   commission_accrued)
     WHERE g.id = m.id
    RETURNING g.id, g.float_available
), customer_move AS (
    UPDATE customers c
       SET prepaid = c.prepaid + m.prepaid, rounding_credit = c.rounding_credit + m.rounding_credit
      FROM unnest(%(c_id)s::bigint[], %(c_prepaid)s::bigint[], %(c_rounding)s::bigint[])
           AS m(id, prepaid, rounding_credit)
     WHERE c.id = m.id
), receivable_move AS (
    UPDATE receivables r
       SET principal_paid = r.principal_paid + m.principal_paid,
           penalty_paid = r.penalty_paid + m.penalty_paid,
           settle_state = CASE
               WHEN r.principal_paid + m.principal_paid >= r.principal THEN 'settled'
               WHEN r.principal_paid + m.principal_paid + r.penalty_paid + m.penalty_paid = 0
                   THEN 'unpaid'
               ELSE 'partial' END
      FROM unnest(%(r_id)s::bigint[], %(r_principal)s::bigint[], %(r_penalty)s::bigint[])
           AS m(id, principal_paid, penalty_paid)
     WHERE r.id = m.id
), receipt AS (
    INSERT INTO payment_receipts (payment_id, body) SELECT pay.id, %(receipt)s FROM pay
), audit AS (
    INSERT INTO audit_log (occurred_at, actor, action, subject, details)
    VALUES (%(recorded_at)s, %(audit_actor)s, %(audit_action)s, %(audit_subject)s,
            %(audit_details)s)
), message AS (
    INSERT INTO outbox (topic, aggregate_id, payload, state, attempts, next_attempt_at,
        created_at)
    VALUES (%(outbox_topic)s, %(outbox_aggregate)s, %(outbox_payload)s, 'pending', 0,
            %(recorded_at)s, %(recorded_at)s)
)
SELECT pay.id, (SELECT m.float_available FROM agent_move m WHERE m.id = %(agent_id)s)
  FROM pay
"""
"""The whole payment in one statement; its id and the agent's float after it."""
