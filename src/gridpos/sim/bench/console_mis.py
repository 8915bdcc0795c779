"""The generated history's postings (进账) in the reference MIS, as its worker would have left
them: every payment delivered to the MIS is a posting there (the undone ones reversed, as the MIS
records a same-day void or reversal); the backlog still waiting is not. So the console's MIS进账
page reads, from a running MIS, the daily posting report of the same payments the server holds.

Rows go from the server's database to the MIS's with ``COPY``, a batch at a time; the MIS's
posting serial counter is moved past the serials written. Posting lines (which name the MIS's
own receivables) are left out: the history's bills are the benchmark's own, and the daily report
does not read them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Final

import psycopg

from gridpos.refmis.tables import POSTING_SERIAL

FETCH: Final = 20_000
REPORT_EVERY: Final = 250_000
_POSTED = """
SELECT p.txn_id, c.account_no, s.code, p.cash, p.penalty_total, p.principal_total,
       p.prepaid_used, p.prepaid_added, p.rounding_used, p.rounding_added,
       (p.cash_time AT TIME ZONE 'Asia/Shanghai')::date, p.business_date, point.code,
       t.terminal_no, o.account, p.recorded_at + interval '3 seconds',
       u.kind, u.business_date, u.reason, u.recorded_at + interval '3 seconds'
FROM payments p
JOIN customers c ON c.id = p.customer_id
JOIN organisations point ON point.id = p.org_id
JOIN organisations s ON s.id = point.parent_id
JOIN terminals t ON t.id = p.terminal_id
JOIN operators o ON o.id = p.operator_id
LEFT JOIN payment_undos u ON u.payment_id = p.id
WHERE p.mis_state IN ('posted', 'undone')
ORDER BY p.recorded_at, p.id
"""
_COPY = (
    "COPY postings (serial, payment_id, content_hash, account_no, station_code, amount_fen,"
    " penalty_total, principal_total, prepaid_used, prepaid_added, rounding_used,"
    " rounding_added, cash_date, business_date, channel, collection_point_id, terminal_id,"
    " operator_id, state, posted_at, undo_kind, undo_business_date, undo_operator_id,"
    " undo_reason, undone_at) FROM STDIN"
)


def copy_postings(server_dsn: str, mis_dsn: str, *, progress: Callable[[str], None]) -> int:
    """Write the server's delivered payments as postings in the MIS; how many."""
    with psycopg.connect(mis_dsn) as mis, mis.cursor() as out:
        row = out.execute(
            "SELECT value FROM counters WHERE name = %(name)s", {"name": POSTING_SERIAL}
        ).fetchone()
        first = number = int(row[0]) if row else 0
        with (
            psycopg.connect(server_dsn) as server,
            server.cursor(name="bench_postings") as rows,
            out.copy(_COPY) as copy,
        ):
            rows.itersize = FETCH
            rows.execute(_POSTED)
            for (
                txn_id, account_no, station, cash, penalty, principal, prepaid_used,
                prepaid_added, rounding_used, rounding_added, cash_date, business_date, point,
                terminal_no, operator, posted_at, undo_kind, undo_date, undo_reason, undone_at,
            ) in rows:  # fmt: skip
                number += 1
                undone = undo_kind is not None
                copy.write_row(
                    (
                        f"{business_date:%Y%m%d}{number:08d}",
                        txn_id,
                        hashlib.sha256(txn_id.encode()).hexdigest(),
                        account_no, station, cash, penalty, principal, prepaid_used,
                        prepaid_added, rounding_used, rounding_added, cash_date, business_date,
                        "POS", point, terminal_no, operator,
                        "reversed" if undone else "posted",
                        posted_at,
                        "reversal" if undone else None,
                        undo_date, operator if undone else None, undo_reason, undone_at,
                    )
                )  # fmt: skip
                if number % REPORT_EVERY == 0:
                    progress(f"MIS postings: {number}")
        out.execute(
            "UPDATE counters SET value = %(value)s WHERE name = %(name)s",
            {"value": number, "name": POSTING_SERIAL},
        )
        mis.commit()
    return number - first
