"""Reconciliation (对账): runs, the MIS side they were given, every difference found, the work
queue of differences to put right (under maker-checker), and agents' cash handovers (T+1).

- ``reconciliation_mis_loads`` / ``reconciliation_mis_lines``: the MIS side, loaded in bulk —
  the daily posting detail or the 银电联网 reconciliation file read from the MIS, or a file
  imported by hand; a run compares against one load.
- ``reconciliation_runs``: one run over a range of business dates and an organisation node, with
  counts and totals per side and what changed since the previous run over the same range.
- ``reconciliation_items``: one row per distinct difference (transaction, between which records,
  kind) ever found — the work queue. Its ``version`` makes two operators acting on it at once
  collide: every change is a conditional ``UPDATE … WHERE version = :seen``.
- ``reconciliation_differences``: what each run found (or found gone), linked to its item and to
  the same difference in the run before, so a difference never disappears silently.
- ``reconciliation_resolutions``: an operator's request to resolve an item and another operator's
  decision; the database refuses the requester deciding, and a second open request of an item.
- ``cash_handovers``: the cash an agent handed over for a business date, and when.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from gridpos.adapters.db.tables._base import EMPTY, Fen, Id, UtcDateTime, metadata, one_of

MIS_SOURCES = ("report", "file", "import", "generated")
RUN_MIS_SOURCES = ("report", "file", "import", "generated", "none")
RUN_STATES = ("running", "done", "failed")
RUN_ORIGINS = ("command", "console", "schedule", "import")
SCOPE_KINDS = ("organisation", "agent", "terminal")
BETWEEN = ("terminal_company", "company_mis")
KINDS = (
    "terminal_only",
    "company_only",
    "mis_missing",
    "mis_only",
    "amount_differs",
    "status_differs",
)
ITEM_STATES = ("open", "awaiting", "repaired", "requested", "resolved", "written_off", "cleared")
CHANGES = ("new", "again", "cleared")
ACTIONS = ("reverse", "cancel", "confirm", "write_off")
RESOLUTION_STATES = ("requested", "approved", "rejected")
POSTING_STATES = ("posted", "reversed", "cancelled")

reconciliation_mis_loads = Table(
    "reconciliation_mis_loads",
    metadata,
    Column("id", Id, primary_key=True),
    Column("source", String(16), nullable=False),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("line_count", Integer, nullable=False, server_default="0"),
    Column("amount_total", Fen, nullable=False, server_default="0"),
    # lines of other channels (a bank's…): not ours, counted and left out
    Column("other_count", Integer, nullable=False, server_default="0"),
    Column("other_amount", Fen, nullable=False, server_default="0"),
    Column("file_name", String(255), nullable=True),
    Column("file_sha256", String(64), nullable=True),
    one_of("source", MIS_SOURCES, name="source_known"),
    CheckConstraint("date_from <= date_to", name="dates_in_order"),
)

reconciliation_mis_lines = Table(
    "reconciliation_mis_lines",
    metadata,
    Column("id", Id, primary_key=True),
    Column("load_id", Id, ForeignKey("reconciliation_mis_loads.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("serial", String(32), nullable=False),
    Column("account_no", String(32), nullable=False),
    Column("amount", Fen, nullable=False),
    Column("penalty", Fen, nullable=False, server_default="0"),
    Column("principal", Fen, nullable=False, server_default="0"),
    Column("prepaid_net", Fen, nullable=False, server_default="0"),
    Column("cash_date", Date, nullable=False),
    Column("station_code", String(32), nullable=False),
    Column("collection_point_code", String(64), nullable=False),
    Column("terminal_no", String(64), nullable=False),
    Column("operator_code", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("undo_date", Date, nullable=True),
    # where the posting was taken, resolved from our terminals and organisations at loading
    Column("terminal_id", Id, nullable=True),
    Column("agent_id", Id, nullable=True),
    Column("org_path", String(255), nullable=True),
    one_of("state", POSTING_STATES, name="state_known"),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index(None, "load_id", "payment_id", unique=True),
)

reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("scope_kind", String(16), nullable=False),
    Column("scope_code", String(64), nullable=False),
    Column("scope_name", String(100), nullable=False),
    Column("org_path", String(255), nullable=False),  # who may see the run: this subtree
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("mis_source", String(16), nullable=False),
    Column("mis_load_id", Id, ForeignKey("reconciliation_mis_loads.id"), nullable=True),
    Column("mis_note", Text, nullable=False, server_default=EMPTY),
    Column("origin", String(16), nullable=False),
    Column("schedule_key", String(64), nullable=True),  # one scheduled run per day
    Column("state", String(16), nullable=False),
    Column("started_by", String(128), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("failure", Text, nullable=False, server_default=EMPTY),
    Column("previous_run_id", Id, ForeignKey("reconciliation_runs.id"), nullable=True),
    Column("terminal_count", Integer, nullable=False, server_default="0"),
    Column("terminal_amount", Fen, nullable=False, server_default="0"),
    Column("terminal_undone_count", Integer, nullable=False, server_default="0"),
    Column("terminal_undone_amount", Fen, nullable=False, server_default="0"),
    Column("attested_count", Integer, nullable=False, server_default="0"),
    Column("attested_amount", Fen, nullable=False, server_default="0"),
    Column("unreported_count", Integer, nullable=False, server_default="0"),
    Column("unreported_amount", Fen, nullable=False, server_default="0"),
    Column("company_count", Integer, nullable=False, server_default="0"),
    Column("company_amount", Fen, nullable=False, server_default="0"),
    Column("company_undone_count", Integer, nullable=False, server_default="0"),
    Column("company_undone_amount", Fen, nullable=False, server_default="0"),
    Column("mis_count", Integer, nullable=False, server_default="0"),
    Column("mis_amount", Fen, nullable=False, server_default="0"),
    Column("mis_undone_count", Integer, nullable=False, server_default="0"),
    Column("mis_undone_amount", Fen, nullable=False, server_default="0"),
    Column("matched_count", Integer, nullable=False, server_default="0"),
    Column("difference_count", Integer, nullable=False, server_default="0"),
    Column("open_count", Integer, nullable=False, server_default="0"),
    Column("repaired_count", Integer, nullable=False, server_default="0"),
    Column("new_count", Integer, nullable=False, server_default="0"),
    Column("again_count", Integer, nullable=False, server_default="0"),
    Column("cleared_count", Integer, nullable=False, server_default="0"),
    one_of("scope_kind", SCOPE_KINDS, name="scope_kind_known"),
    one_of("mis_source", RUN_MIS_SOURCES, name="mis_source_known"),
    one_of("state", RUN_STATES, name="state_known"),
    one_of("origin", RUN_ORIGINS, name="origin_known"),
    CheckConstraint("date_from <= date_to", name="dates_in_order"),
    CheckConstraint("(state = 'running') = (finished_at IS NULL)", name="finished_iff_not_running"),
    UniqueConstraint("schedule_key"),
    Index(None, "date_from", "date_to", "scope_code"),
    Index(None, "started_at"),
)

reconciliation_items = Table(
    "reconciliation_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("txn_id", String(64), nullable=False),
    Column("sides", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(16), nullable=False),
    Column("remedy", String(24), nullable=False),
    Column("safe", Boolean, nullable=False, server_default=false()),
    Column("reason", String(64), nullable=False, server_default=EMPTY),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=True),
    Column("terminal_id", Id, ForeignKey("terminals.id"), nullable=True),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=True),
    Column("org_path", String(255), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("account_no", String(32), nullable=False, server_default=EMPTY),
    Column("cash", Fen, nullable=False, server_default="0"),  # the largest amount involved
    Column("signature", String(255), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("first_run_id", Id, ForeignKey("reconciliation_runs.id"), nullable=False),
    Column("last_run_id", Id, ForeignKey("reconciliation_runs.id"), nullable=False),
    Column("repairs", Integer, nullable=False, server_default="0"),
    Column("note", Text, nullable=False, server_default=EMPTY),
    Column("resolved_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    one_of("sides", BETWEEN, name="sides_known"),
    one_of("kind", KINDS, name="kind_known"),
    one_of("state", ITEM_STATES, name="state_known"),
    CheckConstraint("version >= 1", name="version_positive"),
    UniqueConstraint("txn_id", "sides", "kind"),
    Index(None, "state", "business_date"),
    Index(None, "business_date"),
)

reconciliation_differences = Table(
    "reconciliation_differences",
    metadata,
    Column("id", Id, primary_key=True),
    Column("run_id", Id, ForeignKey("reconciliation_runs.id"), nullable=False),
    Column("item_id", Id, ForeignKey("reconciliation_items.id"), nullable=False),
    Column("previous_id", Id, nullable=True),  # the same item's difference in an earlier run
    Column("change", String(8), nullable=False),
    Column("sides", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("remedy", String(24), nullable=False),
    Column("safe", Boolean, nullable=False, server_default=false()),
    Column("reason", String(64), nullable=False, server_default=EMPTY),
    Column("txn_id", String(64), nullable=False),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=True),
    Column("terminal_id", Id, nullable=True),
    Column("agent_id", Id, nullable=True),
    Column("org_path", String(255), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("account_no", String(32), nullable=False, server_default=EMPTY),
    Column("coverage", String(12), nullable=False, server_default=EMPTY),
    Column("journal_cash", Fen, nullable=True),
    Column("journal_state", String(16), nullable=True),
    Column("journal_offline", Boolean, nullable=True),
    Column("company_cash", Fen, nullable=True),
    Column("company_state", String(16), nullable=True),  # at the end of its business date
    Column("company_state_mis", String(16), nullable=True),  # as compared with the MIS
    Column("company_mis_state", String(16), nullable=True),
    Column("mis_cash", Fen, nullable=True),
    Column("mis_state", String(16), nullable=True),
    Column("mis_serial", String(32), nullable=True),
    # what the run did: queued for a person, repaired, awaiting the outbox, refused, accepted…
    Column("outcome", String(16), nullable=False),
    Column("outcome_note", Text, nullable=False, server_default=EMPTY),
    one_of("change", CHANGES, name="change_known"),
    one_of("sides", BETWEEN, name="sides_known"),
    one_of("kind", KINDS, name="kind_known"),
    Index(None, "run_id", "kind"),
    Index(None, "item_id"),
)

reconciliation_resolutions = Table(
    "reconciliation_resolutions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("item_id", Id, ForeignKey("reconciliation_items.id"), nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("requested_by", Id, ForeignKey("operators.id"), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_by", Id, ForeignKey("operators.id"), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decision_note", Text, nullable=False, server_default=EMPTY),
    Column("outcome", Text, nullable=False, server_default=EMPTY),
    one_of("action", ACTIONS, name="action_known"),
    one_of("state", RESOLUTION_STATES, name="state_known"),
    # maker-checker: whoever asked is never the one who decides
    CheckConstraint("decided_by <> requested_by", name="decided_by_not_requester"),
    CheckConstraint(
        "(state = 'requested') = (decided_by IS NULL AND decided_at IS NULL)",
        name="decided_iff_not_requested",
    ),
    Index(None, "item_id"),
    # at most one request of an item waits at a time
    Index(
        "ix_reconciliation_resolutions_open_item",
        "item_id",
        unique=True,
        postgresql_where=text("state = 'requested'"),
        sqlite_where=text("state = 'requested'"),
    ),
)

cash_handovers = Table(
    "cash_handovers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("agent_id", Id, ForeignKey("agents.id"), nullable=False),
    Column("covers_date", Date, nullable=False),  # the business date whose cash this is
    Column("amount", Fen, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("received_by", Id, ForeignKey("operators.id"), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=EMPTY),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("received_on >= covers_date", name="received_after_covered_day"),
    Index(None, "agent_id", "covers_date"),
)
