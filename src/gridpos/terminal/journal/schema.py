"""The journal file: one SQLite database, WAL, ``synchronous=FULL``, append-only payment rows.

Tables:

- ``events``: the journal proper — one row per event, numbered without gaps, hash-chained
  (:mod:`.chain`); triggers refuse every ``UPDATE`` and ``DELETE``;
- ``txns``: per payment, the state its rows add up to (derived, kept in the same transaction);
- ``counters``: the persistent serial (流水号), the request-signing counter, the offline sequence;
- ``meta``: schema version, the chain's head, the open session, the server clock offset;
- ``identity``: the enrolled terminal number and key, apart from everything else;
- ``offline_accounts``: the area's arrears downloaded at sign-in for offline collection.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

STATEMENTS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        terminal_no TEXT NOT NULL CHECK (length(terminal_no) = 8),
        terminal_key TEXT NOT NULL,
        collection_point TEXT NOT NULL,
        enrolled_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL CHECK (value >= 0)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        txn_id TEXT,
        state TEXT,
        business_date TEXT,
        batch_no INTEGER,
        recorded_at TEXT NOT NULL,
        body TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS events_by_txn ON events (txn_id, seq)",
    "CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, seq)",
    """
    CREATE TRIGGER IF NOT EXISTS events_never_updated BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'journal rows are never updated'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_never_deleted BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'journal rows are never deleted'); END
    """,
    """
    CREATE TABLE IF NOT EXISTS txns (
        txn_id TEXT PRIMARY KEY,
        offline INTEGER NOT NULL,
        state TEXT NOT NULL,
        business_date TEXT NOT NULL,
        batch_no INTEGER NOT NULL,
        trace_no INTEGER NOT NULL,
        account_no TEXT NOT NULL,
        cash INTEGER NOT NULL CHECK (cash > 0),
        cash_time TEXT NOT NULL,
        offline_seq INTEGER,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        request_seq INTEGER NOT NULL,
        answer_seq INTEGER,
        reversal_seq INTEGER,
        void_seq INTEGER,
        receipt TEXT NOT NULL,
        waiting INTEGER NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS txns_waiting ON txns (waiting, first_seq)",
    "CREATE INDEX IF NOT EXISTS txns_by_day ON txns (business_date, batch_no)",
    """
    CREATE TABLE IF NOT EXISTS offline_accounts (
        account_no TEXT PRIMARY KEY,
        area TEXT NOT NULL,
        business_date TEXT NOT NULL,
        generation INTEGER NOT NULL,
        data TEXT NOT NULL
    )
    """,
)
