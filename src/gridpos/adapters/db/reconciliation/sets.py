# ruff: noqa: S608 - the SQL is built from this module's fragments only; values are bound
"""The three sets of a reconciliation as SQL, and their match in one pass over the database.

- **journal** (``t``): the rows terminals uploaded (批上送) for batches whose upload is complete
  (``batches.state = 'unbalanced'``: closed on the named differences), and the rows of a journal
  the company asked for (终端流水调阅, ``journal_request_id`` set) whatever their batch's state, in
  the range — one row per transaction and batch, whichever upload brought it;
- **company** (``c``): our payments of the range, with whether each still stood at the end of its
  own business date (``c_stands_day``) and at the moment the MIS is compared at
  (``c_stands_mis``: the range's end for the posting detail, the day's end for a file), and the
  state of its batch (``b_state``: balanced batches attest their payments without a detail);
- **MIS** (``m``): the postings of one load (``reconciliation_mis_lines``) in the range.

On PostgreSQL the three are matched with a ``FULL OUTER JOIN`` on the transaction id (hash joins,
no index needed); SQLite has the same rows from a ``UNION ALL`` of ``LEFT JOIN`` s and anti-joins,
each along an index (payments by terminal and transaction, upload items by batch and
transaction, MIS lines by load and payment id).

One aggregate over the joined rows gives every count and total per side, the rows that agree
plainly, and the ids of every other row (the *candidates*) — so the database reads each set once,
and only the candidates (a handful among a month of payments) come back to be classified by
:func:`gridpos.domain.reconciliation.classify`. A row *agrees plainly* when the company's payment
stands, the MIS has it posted for the same cash (when the MIS is compared), and the journal has it
confirmed (or offline, still waiting) for the same cash — or the batch sent no detail. Everything
else is a candidate: the classifier, not this SQL, decides what it is.

Only fragments written here are put into the SQL text; every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, text

from gridpos.adapters.db.payment_store.records import Totals


@dataclass(frozen=True, slots=True)
class SetFilter:
    """Which payments, journal rows and postings a run covers."""

    date_from: date
    date_to: date
    mis_load_id: int | None  # None: no MIS side
    mis_at_day_end: bool  # a file's postings stand at the end of their own day
    org_prefix: str | None = None  # the subtree (a materialised path), None for everything
    agent_id: int | None = None
    terminal_id: int | None = None
    # whether some batch of the range is not closed with its detail (balanced, or still open):
    # only then must each payment be looked up in its batch (see :func:`needs_coverage`)
    coverage: bool = True

    def params(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "load_id": self.mis_load_id if self.mis_load_id is not None else -1,
            "org_prefix": f"{self.org_prefix}%" if self.org_prefix else "",
            "agent_id": self.agent_id if self.agent_id is not None else -1,
            "terminal_id": self.terminal_id if self.terminal_id is not None else -1,
        }


@dataclass(frozen=True, slots=True)
class MatchFigures:
    """Counts and totals (fen) per side, and the ids of the rows left to classify."""

    terminal_count: int
    terminal_amount: int
    terminal_undone_count: int
    terminal_undone_amount: int
    attested_count: int
    attested_amount: int
    unreported_count: int
    unreported_amount: int
    company_count: int
    company_amount: int
    company_undone_count: int
    company_undone_amount: int
    mis_count: int
    mis_amount: int
    mis_undone_count: int
    mis_undone_amount: int
    matched_count: int
    candidates: tuple[tuple[int | None, int | None, int | None], ...]  # (payment, item, line)


def _payment_scope(scope: SetFilter, alias: str) -> str:
    if scope.terminal_id is not None:
        return f" AND {alias}.terminal_id = :terminal_id"
    if scope.agent_id is not None:
        return f" AND {alias}.agent_id = :agent_id"
    if scope.org_prefix:
        return (
            f" AND {alias}.org_id IN (SELECT o.id FROM organisations o"
            " WHERE o.path LIKE :org_prefix)"
        )
    return ""


def _batch_scope(scope: SetFilter, alias: str) -> str:
    if scope.terminal_id is not None:
        return f" AND {alias}.terminal_id = :terminal_id"
    if scope.agent_id is not None:
        return (
            f" AND {alias}.terminal_id IN (SELECT tt.id FROM terminals tt"
            " WHERE tt.agent_id = :agent_id)"
        )
    if scope.org_prefix:
        return (
            f" AND {alias}.terminal_id IN (SELECT tt.id FROM terminals tt"
            " JOIN organisations o ON o.id = tt.org_id WHERE o.path LIKE :org_prefix)"
        )
    return ""


def _line_scope(scope: SetFilter, alias: str) -> str:
    if scope.terminal_id is not None:
        return f" AND {alias}.terminal_id = :terminal_id"
    if scope.agent_id is not None:
        return f" AND {alias}.agent_id = :agent_id"
    if scope.org_prefix:
        return f" AND {alias}.org_path LIKE :org_prefix"
    return ""


def _company_code(as_of: str) -> str:
    """0..3: whether the payment stood at the end of its day (1) and at ``as_of`` (2) — an undo
    dated after a moment leaves the payment standing at it."""
    return (
        "CASE WHEN p.state = 'confirmed' THEN 3"
        " ELSE COALESCE((SELECT (CASE WHEN u.business_date > p.business_date THEN 1 ELSE 0 END)"
        f" + (CASE WHEN u.business_date > {as_of} THEN 2 ELSE 0 END)"
        " FROM payment_undos u WHERE u.payment_id = p.id), 0) END"
    )


# an uploaded journal row the sets read: its batch's upload is complete, or a journal request
# brought it
_JOURNAL_KEPT: Final = "(b.state = 'unbalanced' OR i.journal_request_id IS NOT NULL)"
# 1: the journal row stands (confirmed, or offline and still waiting); 2: undone; 3: other
_JOURNAL_CODE: Final = (
    "CASE WHEN i.state = 'confirmed' OR (i.offline AND i.state IN ('pending', 'unknown'))"
    " THEN 1 WHEN i.state IN ('reversed', 'voided') THEN 2 ELSE 3 END"
)
# 1: posted; 2: reversed or cancelled
_MIS_CODE: Final = "CASE WHEN l.state = 'posted' THEN 1 ELSE 2 END"
# the payment's batch: 1 closed balanced (attested), 2 detail uploaded, 0 open or none
_BATCH_CODE: Final = (
    "CASE WHEN bc.state = 'balanced' THEN 1 WHEN bc.state = 'unbalanced' THEN 2 ELSE 0 END"
)


def _as_of(scope: SetFilter) -> str:
    return "p.business_date" if scope.mis_at_day_end else ":date_to"


def company_set(scope: SetFilter) -> str:
    """``c``: the payments of the range (see the module docstring)."""
    return (
        "SELECT p.id AS c_id, p.txn_id AS c_txn, p.terminal_id AS c_terminal, p.cash AS c_cash,"
        " p.business_date AS c_date, p.batch_no AS c_batch,"
        f" {_company_code(_as_of(scope))} AS c_code"
        f" FROM payments p WHERE p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
    )


def journal_set(scope: SetFilter) -> str:
    """``t``: the uploaded journal rows of the range's completed uploads."""
    return (
        f"SELECT i.id AS t_id, i.txn_id AS t_txn, i.cash AS t_cash, {_JOURNAL_CODE} AS t_code"
        " FROM batch_upload_items i JOIN batches b ON b.id = i.batch_id"
        f" WHERE {_JOURNAL_KEPT} AND b.business_date BETWEEN :date_from AND :date_to"
        + _batch_scope(scope, "b")
    )


def mis_set(scope: SetFilter) -> str:
    """``m``: the postings of the run's MIS load in the range."""
    return (
        f"SELECT l.id AS m_id, l.payment_id AS m_txn, l.amount AS m_cash, {_MIS_CODE} AS m_code"
        " FROM reconciliation_mis_lines l"
        " WHERE l.load_id = :load_id AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
    )


def needs_coverage(connection: Connection, scope: SetFilter) -> bool:
    """Whether some batch of the range (and node) is closed balanced or still open — when every
    one sent its detail, a payment's coverage is known without looking its batch up: detail,
    unless it has no batch at all."""
    sql = (
        "SELECT 1 FROM batches b WHERE b.business_date BETWEEN :date_from AND :date_to"
        " AND b.state <> 'unbalanced'" + _batch_scope(scope, "b")
    )
    return connection.execute(text(sql + " LIMIT 1"), scope.params()).first() is not None


def _joined_postgresql(scope: SetFilter) -> str:
    if scope.coverage:
        batch_code = _BATCH_CODE
        batch_join = (
            " LEFT JOIN batches bc ON bc.terminal_id = c.c_terminal"
            " AND bc.business_date = c.c_date AND bc.batch_no = c.c_batch"
        )
    else:
        batch_code, batch_join = "CASE WHEN c.c_batch IS NULL THEN 0 ELSE 2 END", ""
    return (
        f"SELECT c_id, c_cash, c_code, {batch_code} AS b_code,"
        " t_id, t_cash, t_code, m_id, m_cash, m_code"
        f" FROM ({company_set(scope)}) c{batch_join}"
        f" FULL JOIN ({journal_set(scope)}) t ON t.t_txn = c.c_txn"
        f" FULL JOIN ({mis_set(scope)}) m ON m.m_txn = COALESCE(c.c_txn, t.t_txn)"
    )


def _joined_sqlite(scope: SetFilter) -> str:
    """The same rows as the full outer join, as a UNION ALL of LEFT JOINs along indexes."""
    company = (
        f"SELECT p.id AS c_id, p.cash AS c_cash, {_company_code(_as_of(scope))} AS c_code,"
        f" {_BATCH_CODE} AS b_code, i.id AS t_id, i.cash AS t_cash,"
        f" CASE WHEN i.id IS NULL THEN NULL ELSE {_JOURNAL_CODE} END AS t_code,"
        " l.id AS m_id, l.amount AS m_cash,"
        f" CASE WHEN l.id IS NULL THEN NULL ELSE {_MIS_CODE} END AS m_code"
        " FROM payments p"
        " LEFT JOIN batches bc ON bc.terminal_id = p.terminal_id"
        " AND bc.business_date = p.business_date AND bc.batch_no = p.batch_no"
        " LEFT JOIN batch_upload_items i ON i.batch_id = bc.id AND i.txn_id = p.txn_id"
        " AND (bc.state = 'unbalanced' OR i.journal_request_id IS NOT NULL)"
        " LEFT JOIN reconciliation_mis_lines l ON l.load_id = :load_id"
        " AND l.payment_id = p.txn_id AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
        + " WHERE p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
    )
    journal_only = (
        f"SELECT NULL, NULL, NULL, NULL, i.id, i.cash, {_JOURNAL_CODE},"
        f" l.id, l.amount, CASE WHEN l.id IS NULL THEN NULL ELSE {_MIS_CODE} END"
        " FROM batches b JOIN batch_upload_items i ON i.batch_id = b.id"
        " LEFT JOIN reconciliation_mis_lines l ON l.load_id = :load_id"
        " AND l.payment_id = i.txn_id AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
        + f" WHERE {_JOURNAL_KEPT} AND b.business_date BETWEEN :date_from AND :date_to"
        + _batch_scope(scope, "b")
        + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.terminal_id = b.terminal_id"
        " AND p.txn_id = i.txn_id AND p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
        + ")"
    )
    mis_only = (
        f"SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, l.id, l.amount, {_MIS_CODE}"
        " FROM reconciliation_mis_lines l"
        " WHERE l.load_id = :load_id AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
        + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.terminal_id = l.terminal_id"
        " AND p.txn_id = l.payment_id AND p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
        + ") AND NOT EXISTS (SELECT 1 FROM batches b JOIN batch_upload_items i"
        " ON i.batch_id = b.id AND i.txn_id = l.payment_id"
        f" WHERE b.terminal_id = l.terminal_id AND {_JOURNAL_KEPT}"
        " AND b.business_date BETWEEN :date_from AND :date_to" + _batch_scope(scope, "b") + ")"
    )
    return f"{company} UNION ALL {journal_only} UNION ALL {mis_only}"


def joined(connection: Connection, scope: SetFilter) -> str:
    """The three sets matched on the transaction id, one row per transaction id: the ids, cash
    and codes of each side (see the ``_*_CODE`` fragments)."""
    if connection.dialect.name == "postgresql":
        return _joined_postgresql(scope)
    return _joined_sqlite(scope)


# the settings the matching statement runs with on PostgreSQL (see :func:`match`)
MATCH_SETTINGS: Final = (("jit", "off"), ("enable_sort", "off"))


@dataclass(frozen=True, slots=True)
class _Group:
    """The codes a joined row is grouped by (see :data:`_GROUP_SQL`)."""

    tk: int  # journal: 0 none, 1 stands, 2 undone, 3 other
    ck: int  # company: -1 none, else 1 = stood at the end of its day + 2 = stood for the MIS
    bk: int  # the payment's batch: 0 open or none, 1 balanced, 2 detail uploaded
    mk: int  # MIS: 0 none, 1 posted, 2 undone
    te: int  # 1 when the journal's cash is the company's
    me: int  # 1 when the MIS's cash is the company's

    @classmethod
    def decode(cls, g: int) -> _Group:
        return cls(
            tk=g % 4,
            ck=(g // 4) % 5 - 1,
            bk=(g // 20) % 3,
            mk=(g // 60) % 3,
            te=(g // 180) % 2,
            me=(g // 360) % 2,
        )

    def agrees_plainly(self, *, compare_mis: bool) -> bool:
        """The Python twin of :func:`_clean_sql`."""
        journal_fine = (self.tk == 1 and self.te == 1) or (self.tk == 0 and self.bk != 2)
        mis_fine = not compare_mis or (self.mk == 1 and self.me == 1)
        return self.ck == 3 and journal_fine and mis_fine

    def sides(self, n: int, t_sum: int, c_sum: int, m_sum: int) -> dict[str, tuple[int, int]]:
        """What the group adds to each side's count and total."""
        found: dict[str, tuple[int, int]] = {}
        if self.tk == 1:
            found["terminal"] = (n, t_sum)
        elif self.tk == 2:
            found["terminal_undone"] = (n, t_sum)
        if self.ck >= 0:
            stood_at_day_end, stood_for_mis = bool(self.ck & 1), bool(self.ck & 2)
            found["company" if stood_for_mis else "company_undone"] = (n, c_sum)
            if self.tk == 0 and stood_at_day_end and self.bk == 1:
                found["attested"] = (n, c_sum)
            elif self.tk == 0 and stood_at_day_end and self.bk == 0:
                found["unreported"] = (n, c_sum)
        if self.mk == 1:
            found["mis"] = (n, m_sum)
        elif self.mk == 2:
            found["mis_undone"] = (n, m_sum)
        return found


# one small integer per joined row: grouped by it, the rows hash into a dozen groups
_GROUP_SQL: Final = (
    "tk + 4 * (ck + 1) + 20 * bk + 60 * mk"
    " + 180 * (CASE WHEN t_cash = c_cash THEN 1 ELSE 0 END)"
    " + 360 * (CASE WHEN m_cash = c_cash THEN 1 ELSE 0 END)"
)


def _clean_sql(compare_mis: bool) -> str:
    """The rows that agree plainly (see the module docstring) and need no classification."""
    journal_fine = "((tk = 1 AND t_cash = c_cash) OR (tk = 0 AND bk <> 2))"
    mis_fine = " AND mk = 1 AND m_cash = c_cash" if compare_mis else ""
    return f"(ck = 3 AND {journal_fine}{mis_fine})"


def _figures_sql(connection: Connection, scope: SetFilter) -> str:
    postgresql = connection.dialect.name == "postgresql"
    clean = _clean_sql(scope.mis_load_id is not None)
    if postgresql:
        keys = "array_agg(ARRAY[COALESCE(c_id, 0), COALESCE(t_id, 0), COALESCE(m_id, 0)])"
    else:
        keys = (
            "group_concat(COALESCE(c_id, 0) || ':' || COALESCE(t_id, 0) || ':'"
            " || COALESCE(m_id, 0), ',')"
        )
    # a fence, so each row's codes are computed once and not again in every expression
    fence = "OFFSET 0" if postgresql else "LIMIT -1 OFFSET 0"
    coded = (
        "SELECT c_id, t_id, m_id, c_cash, t_cash, m_cash,"
        " COALESCE(t_code, 0) AS tk, COALESCE(c_code, -1) AS ck, COALESCE(b_code, 0) AS bk,"
        f" COALESCE(m_code, 0) AS mk FROM ({joined(connection, scope)}) j {fence}"
    )
    return (
        f"SELECT {_GROUP_SQL} AS g, count(*) AS n, COALESCE(sum(t_cash), 0) AS t_sum,"
        " COALESCE(sum(c_cash), 0) AS c_sum, COALESCE(sum(m_cash), 0) AS m_sum,"
        f" {keys} FILTER (WHERE NOT {clean}) AS candidates FROM ({coded}) r GROUP BY 1"
    )


_FIGURES: Final = (
    *(
        f"{name}_{what}"
        for name in (
            "terminal",
            "terminal_undone",
            "attested",
            "unreported",
            "company",
            "company_undone",
            "mis",
            "mis_undone",
        )
        for what in ("count", "amount")
    ),
    "matched_count",
)


def _parse_candidates(value: Any) -> list[tuple[int | None, int | None, int | None]]:
    if not value:
        return []
    found: list[tuple[int | None, int | None, int | None]] = []
    rows = value.split(",") if isinstance(value, str) else value
    for row in rows:
        parts = [int(part) for part in (row.split(":") if isinstance(row, str) else row)]
        found.append((parts[0] or None, parts[1] or None, parts[2] or None))
    return found


def match(connection: Connection, scope: SetFilter) -> MatchFigures:
    """Every count and total per side, and the candidates, in one pass (one statement): the
    joined rows grouped by the codes of their sides, the figures summed from the groups.

    On PostgreSQL the statement runs with :data:`MATCH_SETTINGS` (restored after it): no JIT
    compilation — a one-pass aggregate spends more compiling than it saves — and no sort for the
    grouping: the planner cannot know the rows fall into a dozen groups, guesses a hundred
    thousand, and would sort a million rows on disk to group them.
    """
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        for name, value in MATCH_SETTINGS:
            connection.execute(
                text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
            )
    compare_mis = scope.mis_load_id is not None
    totals: dict[str, int] = dict.fromkeys(_FIGURES, 0)
    candidates: list[tuple[int | None, int | None, int | None]] = []
    rows = connection.execute(text(_figures_sql(connection, scope)), scope.params()).all()
    if postgresql:
        for name, _value in MATCH_SETTINGS:
            connection.execute(text(f"RESET {name}"))
    for row in rows:
        group = _Group.decode(int(row.g))
        n = int(row.n)
        sums = int(row.t_sum), int(row.c_sum), int(row.m_sum)
        for name, (count, amount) in group.sides(n, *sums).items():
            totals[f"{name}_count"] += count
            totals[f"{name}_amount"] += amount
        if group.agrees_plainly(compare_mis=compare_mis):
            totals["matched_count"] += n
        candidates.extend(_parse_candidates(row.candidates))
    return MatchFigures(**totals, candidates=tuple(candidates))


def _baseline_sets(scope: SetFilter) -> tuple[str, str, str]:
    company = (
        "SELECT p.id AS c_id, p.txn_id AS c_txn, p.cash AS c_cash, p.state AS c_state"
        " FROM payments p WHERE p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
    )
    journal = (
        "SELECT i.id AS t_id, i.txn_id AS t_txn, i.cash AS t_cash, i.state AS t_state"
        " FROM batch_upload_items i JOIN batches b ON b.id = i.batch_id"
        f" WHERE {_JOURNAL_KEPT} AND b.business_date BETWEEN :date_from AND :date_to"
        + _batch_scope(scope, "b")
    )
    mis = (
        "SELECT l.id AS m_id, l.payment_id AS m_txn, l.amount AS m_cash, l.state AS m_state"
        " FROM reconciliation_mis_lines l"
        " WHERE l.load_id = :load_id AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
    )
    return company, journal, mis


_BASELINE_READ: Final = (
    "count(*), count(c_id), count(t_id), count(m_id), count(c_state), count(t_state),"
    " count(m_state), sum(c_cash), sum(t_cash), sum(m_cash)"
)


def baseline_sql(connection: Connection, scope: SetFilter, *, keys_only: bool = False) -> str:
    """The bare full outer join of the same three sets on the transaction id — each set's rows as
    stored (id, transaction id, cash, state), every column of every joined row read once, nothing
    classified: the yardstick the benchmark measures a run against. ``keys_only`` joins the
    transaction ids alone (for comparison)."""
    company, journal, mis = _baseline_sets(scope)
    read = "count(*)" if keys_only else _BASELINE_READ
    if connection.dialect.name == "postgresql":
        return (
            f"SELECT {read} FROM ({company}) c FULL JOIN ({journal}) t ON t.t_txn = c.c_txn"
            f" FULL JOIN ({mis}) m ON m.m_txn = COALESCE(c.c_txn, t.t_txn)"
        )
    # the same rows as a UNION ALL of LEFT JOINs and anti-joins, along the same indexes
    both = (
        "SELECT p.id AS c_id, p.cash AS c_cash, p.state AS c_state, i.id AS t_id,"
        " i.cash AS t_cash, i.state AS t_state, l.id AS m_id, l.amount AS m_cash,"
        " l.state AS m_state FROM payments p"
        " LEFT JOIN batches bc ON bc.terminal_id = p.terminal_id"
        " AND bc.business_date = p.business_date AND bc.batch_no = p.batch_no"
        " LEFT JOIN batch_upload_items i ON i.batch_id = bc.id AND i.txn_id = p.txn_id"
        " AND (bc.state = 'unbalanced' OR i.journal_request_id IS NOT NULL)"
        " LEFT JOIN reconciliation_mis_lines l ON l.load_id = :load_id AND l.payment_id = p.txn_id"
        " AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
        + " WHERE p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
    )
    journal_only = (
        "SELECT NULL, NULL, NULL, i.id, i.cash, i.state, l.id, l.amount, l.state"
        " FROM batches b JOIN batch_upload_items i ON i.batch_id = b.id"
        " LEFT JOIN reconciliation_mis_lines l ON l.load_id = :load_id AND l.payment_id = i.txn_id"
        " AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
        + f" WHERE {_JOURNAL_KEPT} AND b.business_date BETWEEN :date_from AND :date_to"
        + _batch_scope(scope, "b")
        + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.terminal_id = b.terminal_id"
        " AND p.txn_id = i.txn_id AND p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
        + ")"
    )
    mis_only = (
        "SELECT NULL, NULL, NULL, NULL, NULL, NULL, l.id, l.amount, l.state"
        " FROM reconciliation_mis_lines l"
        " WHERE l.load_id = :load_id AND l.business_date BETWEEN :date_from AND :date_to"
        + _line_scope(scope, "l")
        + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.terminal_id = l.terminal_id"
        " AND p.txn_id = l.payment_id AND p.business_date BETWEEN :date_from AND :date_to"
        + _payment_scope(scope, "p")
        + ") AND NOT EXISTS (SELECT 1 FROM batches b JOIN batch_upload_items i"
        " ON i.batch_id = b.id AND i.txn_id = l.payment_id"
        f" WHERE b.terminal_id = l.terminal_id AND {_JOURNAL_KEPT}"
        " AND b.business_date BETWEEN :date_from AND :date_to" + _batch_scope(scope, "b") + ")"
    )
    return f"SELECT {read} FROM ({both} UNION ALL {journal_only} UNION ALL {mis_only}) j"


def baseline(connection: Connection, scope: SetFilter, *, keys_only: bool = False) -> int:
    """Run :func:`baseline_sql`; the number of joined rows."""
    sql = text(baseline_sql(connection, scope, keys_only=keys_only))
    return int(connection.execute(sql, scope.params()).first()[0])  # type: ignore[index]


def day_totals(connection: Connection, scope: SetFilter) -> dict[date, Totals]:
    """The company set's totals per business date of the range: the payments that stood at the
    end of their day, and those undone by then — what a terminal's date-range 对帐 compares its
    journal with (a cancellation on a later day is not the terminal's to know)."""
    sql = (
        "SELECT c_date, CASE WHEN c_code IN (1, 3) THEN 1 ELSE 0 END AS stood,"
        f" count(*) AS n, sum(c_cash) AS amount FROM ({company_set(scope)}) c"
        " GROUP BY c_date, CASE WHEN c_code IN (1, 3) THEN 1 ELSE 0 END ORDER BY c_date"
    )
    found: dict[date, Totals] = {}
    for row in connection.execute(text(sql), scope.params()):
        day = row.c_date if isinstance(row.c_date, date) else date.fromisoformat(row.c_date)
        totals = found.get(day, Totals())
        if int(row.stood):
            totals = replace(totals, count=int(row.n), amount=int(row.amount))
        else:
            totals = replace(totals, undone_count=int(row.n), undone_amount=int(row.amount))
        found[day] = totals
    return found
