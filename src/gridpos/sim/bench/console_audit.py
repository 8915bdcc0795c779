"""What the generated history needs computed in Python, with the project's own functions:

- every payment's receipt verification code (:func:`gridpos.protocol.signing.receipt_code` under
  its terminal's key), so a generated receipt checks as genuine;
- the audit log of the history, chained after the log's current head with
  :func:`gridpos.adapters.db.audit_log.entry_hash` and written sealed — one entry per payment,
  undo, terminal sign-in, batch close and top-up request and approval, in time order, with the
  actors, actions, subjects and details the use cases write.

Rows are streamed from a server-side cursor and written back with ``COPY``, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Final

import orjson
import psycopg

from gridpos.adapters.db.audit_log import GENESIS_HASH, canonical_json, entry_hash
from gridpos.protocol.signing import receipt_code
from gridpos.sim.bench.console_points import bench_terminal_key

FETCH: Final = 20_000
REPORT_EVERY: Final = 200_000

_PAID = (
    "SELECT i, txn_id, account_no, principal + penalty + prepaid_added, terminal_no FROM bench_paid"
)
# every entry the history's use cases would have written, oldest first
_HISTORY = """
SELECT p.recorded_at, 'operator:' || o.account, 'payment.collect', 'payment:' || p.txn_id,
       jsonb_build_object('terminal', t.terminal_no, 'account_no', c.account_no, 'cash', p.cash,
                          'business_date', p.business_date, 'penalty', p.penalty_total,
                          'principal', p.principal_total, 'commission', 0)::text, 1, p.id
FROM payments p JOIN operators o ON o.id = p.operator_id JOIN terminals t ON t.id = p.terminal_id
JOIN customers c ON c.id = p.customer_id
WHERE p.id > %(payment_base)s
UNION ALL
SELECT u.recorded_at, 'operator:' || o.account, 'payment.' || u.kind, 'payment:' || p.txn_id,
       jsonb_build_object('cash', p.cash, 'business_date', u.business_date,
                          'approved_by', NULL)::text, 2, u.id
FROM payment_undos u JOIN payments p ON p.id = u.payment_id
JOIN operators o ON o.id = p.operator_id
WHERE p.id > %(payment_base)s
UNION ALL
SELECT b.opened_at, 'operator:' || o.account, 'terminal.sign_in', 'terminal:' || t.terminal_no,
       jsonb_build_object('business_date', b.business_date, 'batch_no', b.batch_no,
                          'offline_allowance', 0)::text, 3, b.id
FROM batches b JOIN terminals t ON t.id = b.terminal_id JOIN operators o ON o.id = b.operator_id
WHERE b.id > %(batch_base)s
UNION ALL
SELECT b.closed_at, 'terminal:' || t.terminal_no, 'batch.close',
       'batch:' || t.terminal_no || ':' || b.business_date || ':' || b.batch_no,
       jsonb_build_object('balanced', b.state = 'balanced', 'terminal_count', b.terminal_count,
                          'terminal_amount', b.terminal_amount, 'server_count', b.server_count,
                          'server_amount', b.server_amount, 'cash_counted', b.cash_counted,
                          'note', b.note)::text, 4, b.id
FROM batches b JOIN terminals t ON t.id = b.terminal_id
WHERE b.id > %(batch_base)s AND b.closed_at IS NOT NULL
UNION ALL
SELECT f.requested_at, o.account, 'float_topup.request', 'agent:' || f.agent_id,
       jsonb_build_object('topup_id', f.id, 'amount', f.amount)::text, 5, f.id
FROM float_topups f JOIN operators o ON o.id = f.requested_by
WHERE f.id > %(topup_base)s
UNION ALL
SELECT f.decided_at, o.account, 'float_topup.approve', 'agent:' || f.agent_id,
       jsonb_build_object('topup_id', f.id, 'amount', f.amount, 'reason', '')::text, 6, f.id
FROM float_topups f JOIN operators o ON o.id = f.decided_by
WHERE f.id > %(topup_base)s
ORDER BY 1, 6, 7
"""
_HEAD = (
    "SELECT chain_position, hash FROM audit_log WHERE chain_position IS NOT NULL"
    " ORDER BY chain_position DESC LIMIT 1"
)
_COPY_AUDIT = (
    "COPY audit_log (occurred_at, actor, action, subject, details, prev_hash, hash,"
    " chain_position) FROM STDIN"
)


def _stream(
    dsn: str, query: str, params: dict[str, Any] | None = None
) -> Iterator[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn, conn.cursor(name="bench_stream") as cur:
        cur.itersize = FETCH
        cur.execute(query, params)
        yield from cur


def compute_codes(dsn: str, *, progress: Callable[[str], None]) -> int:
    """Every staged payment's verification code into ``bench_codes``; how many."""
    keys: dict[str, bytes] = {}
    written = 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy("COPY bench_codes (i, code) FROM STDIN") as copy:
            for i, txn_id, account_no, cash, terminal_no in _stream(dsn, _PAID):
                key = keys.get(terminal_no)
                if key is None:
                    key = keys[terminal_no] = bench_terminal_key(terminal_no)
                code = receipt_code(key=key, txn_id=txn_id, account_no=account_no, cash=int(cash))
                copy.write_row((i, code))
                written += 1
                if written % REPORT_EVERY == 0:
                    progress(f"verification codes: {written}")
        conn.commit()
    return written


def seal_history(dsn: str, *, bases: dict[str, int], progress: Callable[[str], None]) -> int:
    """The history's audit entries, chained after the head and written sealed; how many.

    ``bases`` holds the largest ids before the history: ``payment_base``, ``batch_base``,
    ``topup_base``.
    """
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        head = cur.execute(_HEAD).fetchone()
        position, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
        with cur.copy(_COPY_AUDIT) as copy:
            for occurred_at, actor, action, subject, details_text, *_ in _stream(
                dsn, _HISTORY, bases
            ):
                position += 1
                details = orjson.loads(details_text)
                moment: datetime = occurred_at
                prev_hash, row = _sealed(
                    position=position,
                    prev_hash=prev_hash,
                    occurred_at=moment,
                    actor=actor,
                    action=action,
                    subject=subject,
                    details=details,
                )
                copy.write_row(row)
                if position % REPORT_EVERY == 0:
                    progress(f"audit entries chained: {position}")
        conn.commit()
    return position


def _sealed(
    *,
    position: int,
    prev_hash: str,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> tuple[str, tuple[Any, ...]]:
    digest = entry_hash(
        prev_hash=prev_hash,
        entry_id=position,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        subject=subject,
        details=details,
    )
    row = (
        occurred_at,
        actor,
        action,
        subject,
        canonical_json(details),
        prev_hash,
        digest,
        position,
    )
    return digest, row
