"""The statements of the PostgreSQL payment path (see :mod:`.postgresql`), each prepared once per
connection (``PREPARE``, with a generic plan) and run by ``EXECUTE`` inside one simple-protocol
query per round trip, the arguments written as literals by the driver.

Round trip 1 is ``BEGIN`` and three statements in one query string. They are separate statements,
not one, on purpose: under READ COMMITTED each statement reads a snapshot taken when it starts, so
a statement that had to wait for a lock would read what it joins as it was *before* the wait. The
claim of the terminal's counter comes first and locks the terminal's row (a second request of the
same terminal waits there); the customer's lock second; the reads after both, each seeing whatever
the request it waited for has committed.

Round trip 2 is one statement of data-modifying CTEs that writes the whole payment — the
payment, its allocations, the ledger transactions and entries, every kept balance (one UPDATE per
table, the database's CHECKs the last word), the receipt, the audit entry (unsealed) and the
outbox row — followed by COMMIT in the same query string (skipped by the server if the statement
fails).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

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
       p.id AS payment_id, p.request_hash, p.state AS payment_state,
       EXISTS (SELECT 1 FROM reversal_tombstones rt
                WHERE rt.terminal_id = t.id AND rt.txn_id = %(txn_id)s) AS tombstone,
       b.id AS batch_id, b.batch_no, b.business_date AS batch_date, b.state AS batch_state,
       b.operator_id AS batch_operator_id,
       COALESCE((SELECT d.confirmed_cash FROM terminal_day_totals d
                  WHERE d.terminal_id = t.id AND d.business_date = t.business_date), 0)
           AS day_cash,
       op.name AS operator_name, op.account AS operator_account,
       (SELECT jsonb_agg(jsonb_build_array(r.id, r.period, r.run_no, r.kwh, r.principal,
                                           r.principal_paid, r.due_date)
                         ORDER BY r.period, r.run_no, r.id)::text
          FROM receivables r JOIN customers c ON c.id = r.customer_id
         WHERE c.account_no = %(account_no)s AND r.principal_paid < r.principal) AS receivables
  FROM terminals t
  LEFT JOIN payments p ON p.terminal_id = t.id AND p.txn_id = %(txn_id)s
  LEFT JOIN LATERAL (
        SELECT id, batch_no, business_date, state, operator_id FROM batches
         WHERE terminal_id = t.id AND business_date = t.business_date
         ORDER BY batch_no DESC LIMIT 1) b ON true
  LEFT JOIN operators op ON op.id = t.signed_in_operator_id
 WHERE t.id = %(terminal_id)s
"""
"""The terminal's state, a payment (not its receipt: read by :data:`RECEIPT` for a repeat
only) or tombstone already under this id, the open batch, the cash of the day so far (kept by a
trigger in ``terminal_day_totals``: one row, however busy the day), the signed-in collector, and
the customer's open receivables oldest first (as ``PaymentStore.open_receivables``), as JSON
text."""

RECEIPT: Final = """
SELECT body FROM payment_receipts WHERE payment_id = %(payment_id)s
"""
"""The receipt a payment was answered with (a repeat is answered with it again)."""

PARAMETERS: Final = """
SELECT key, value FROM parameters WHERE valid_from <= %(day)s ORDER BY key, valid_from
"""
"""The dated parameters up to a day (as ``parameter_store.parameters_in_force``)."""

WRITE_PAYMENT: Final = """
WITH doc AS (
    SELECT %(doc)s::jsonb AS d
), pay AS (
    INSERT INTO payments (terminal_id, txn_id, request_hash, trace_no, batch_no, agent_id,
        operator_id, customer_id, org_id, business_date, cash_time, recorded_at, cash,
        rounding_up, prepaid_before, prepaid_used, prepaid_added, rounding_before, rounding_used,
        rounding_added, penalty_total, principal_total, state, offline, verification_code,
        mis_state)
    SELECT p.terminal_id, p.txn_id, p.request_hash, p.trace_no, p.batch_no, p.agent_id,
        p.operator_id, p.customer_id, p.org_id, p.business_date, p.cash_time, p.recorded_at,
        p.cash, p.rounding_up, p.prepaid_before, p.prepaid_used, p.prepaid_added,
        p.rounding_before, p.rounding_used, p.rounding_added, p.penalty_total,
        p.principal_total, p.state, p.offline, p.verification_code, p.mis_state
      FROM doc, jsonb_populate_record(NULL::payments, doc.d->'payment') AS p
    RETURNING id
), allocation AS (
    INSERT INTO payment_allocations (payment_id, receivable_id, penalty_paid, principal_paid)
    SELECT pay.id, a.receivable_id, a.penalty_paid, a.principal_paid
      FROM pay, doc, jsonb_to_recordset(doc.d->'allocations')
           AS a(receivable_id bigint, penalty_paid bigint, principal_paid bigint)
), txn AS (
    INSERT INTO ledger_transactions (kind, business_date, recorded_at, payment_id, agent_id, memo)
    SELECT t.kind, %(business_date)s, %(recorded_at)s, pay.id, %(agent_id)s, t.memo
      FROM pay, doc, jsonb_to_recordset(doc.d->'transactions') AS t(n int, kind text, memo text)
     ORDER BY t.n
    RETURNING id, kind
), entry AS (
    INSERT INTO ledger_entries (transaction_id, account_kind, owner_id, amount)
    SELECT txn.id, e.account_kind, e.owner_id, e.amount
      FROM doc, jsonb_to_recordset(doc.d->'entries')
           AS e(n int, txn text, account_kind text, owner_id bigint, amount bigint)
      JOIN txn ON txn.kind = e.txn
     ORDER BY txn.id, e.n
), agent_move AS (
    UPDATE agents g
       SET float_available = g.float_available + m.float_available,
           float_held = g.float_held + m.float_held,
           commission_accrued = g.commission_accrued + m.commission_accrued
      FROM doc, jsonb_to_recordset(doc.d->'agents')
           AS m(id bigint, float_available bigint, float_held bigint, commission_accrued bigint)
     WHERE g.id = m.id
       AND g.id = ANY(ARRAY(SELECT (x->>'id')::bigint
                                  FROM doc, jsonb_array_elements(doc.d->'agents') AS x))
    RETURNING g.id, g.float_available
), customer_move AS (
    UPDATE customers c
       SET prepaid = c.prepaid + m.prepaid, rounding_credit = c.rounding_credit + m.rounding_credit
      FROM doc, jsonb_to_recordset(doc.d->'customers')
           AS m(id bigint, prepaid bigint, rounding_credit bigint)
     WHERE c.id = m.id
       AND c.id = ANY(ARRAY(SELECT (x->>'id')::bigint
                                  FROM doc, jsonb_array_elements(doc.d->'customers') AS x))
), receivable_move AS (
    UPDATE receivables r
       SET principal_paid = r.principal_paid + m.principal_paid,
           penalty_paid = r.penalty_paid + m.penalty_paid,
           settle_state = CASE
               WHEN r.principal_paid + m.principal_paid >= r.principal THEN 'settled'
               WHEN r.principal_paid + m.principal_paid + r.penalty_paid + m.penalty_paid = 0
                   THEN 'unpaid'
               ELSE 'partial' END
      FROM doc, jsonb_to_recordset(doc.d->'receivables')
           AS m(id bigint, principal_paid bigint, penalty_paid bigint)
     WHERE r.id = m.id
       AND r.id = ANY(ARRAY(SELECT (x->>'id')::bigint
                                  FROM doc, jsonb_array_elements(doc.d->'receivables') AS x))
), receipt AS (
    INSERT INTO payment_receipts (payment_id, body) SELECT pay.id, doc.d->>'receipt' FROM pay, doc
), audit AS (
    INSERT INTO audit_log (occurred_at, actor, action, subject, details)
    SELECT %(recorded_at)s, doc.d->>'audit_actor', doc.d->>'audit_action',
           doc.d->>'audit_subject', doc.d->>'audit_details'
      FROM doc
), message AS (
    INSERT INTO outbox (topic, aggregate_id, payload, state, attempts, next_attempt_at,
        created_at)
    SELECT doc.d->>'outbox_topic', doc.d->>'outbox_aggregate', doc.d->>'outbox_payload',
           'pending', 0, %(recorded_at)s, %(recorded_at)s
      FROM doc
)
SELECT pay.id, (SELECT m.float_available FROM agent_move m WHERE m.id = %(agent_id)s)
  FROM pay
"""
"""The whole payment in one statement; its id and the agent's float after it.

Each UPDATE also names its rows' ids as an array, so that it finds them by primary key whatever
the planner guesses of the number of JSON rows.

Everything but three scalars travels as one JSON document (``jsonb_populate_record``,
``jsonb_to_recordset``): serialised in one go on our side, parsed in one go by the server, and the
statement stays one text whatever the payment's number of lines.
"""


_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement prepared on every connection of the path, and how to run it."""

    name: str
    params: tuple[tuple[str, str], ...]  # (name in the text, SQL type), in ``$n`` order
    text: str  # with ``%(name)s`` placeholders and ``%%`` for a literal ``%``

    @property
    def prepare(self) -> str:
        """The ``PREPARE`` statement (sent once per connection, without arguments)."""
        positions = {name: n for n, (name, _) in enumerate(self.params, start=1)}
        body = _NAMED.sub(lambda match: f"${positions[match.group(1)]}", self.text)
        types = ", ".join(kind for _, kind in self.params)
        return f"PREPARE {self.name} ({types}) AS {body.replace('%%', '%')}"

    @property
    def execute(self) -> str:
        """The ``EXECUTE`` statement, with a ``%s`` for each argument."""
        return f"EXECUTE {self.name}({', '.join('%s' for _ in self.params)})"

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The arguments of :attr:`execute` from ``values`` by name."""
        return tuple(values[name] for name, _ in self.params)


CLAIM_STATEMENT = Prepared(
    "gp_claim",
    (
        ("counter", "bigint"),
        ("now", "timestamptz"),
        ("terminal_id", "bigint"),
        ("key_version", "integer"),
    ),
    CLAIM,
)
LOCK_STATEMENT = Prepared(
    "gp_lock_customer", (("county_path", "text"), ("account_no", "text")), LOCK_CUSTOMER
)
CONTEXT_STATEMENT = Prepared(
    "gp_context",
    (("txn_id", "text"), ("account_no", "text"), ("terminal_id", "bigint")),
    CONTEXT,
)
RECEIPT_STATEMENT = Prepared("gp_receipt", (("payment_id", "bigint"),), RECEIPT)
PARAMETERS_STATEMENT = Prepared("gp_parameters", (("day", "date"),), PARAMETERS)
WRITE_STATEMENT = Prepared(
    "gp_write_payment",
    (
        ("doc", "jsonb"),
        ("business_date", "date"),
        ("recorded_at", "timestamptz"),
        ("agent_id", "bigint"),
    ),
    WRITE_PAYMENT,
)
ALL_STATEMENTS: Final = (
    CLAIM_STATEMENT,
    LOCK_STATEMENT,
    CONTEXT_STATEMENT,
    RECEIPT_STATEMENT,
    PARAMETERS_STATEMENT,
    WRITE_STATEMENT,
)
PREPARE_ALL: Final = "; ".join(statement.prepare for statement in ALL_STATEMENTS)
"""Sent once on every new connection of the path."""
