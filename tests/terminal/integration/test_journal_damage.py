"""A terminal restarted on a tampered journal tells ``gridpos serve``: the terminal's row shows the
damage, the audit log has it once, and the journal stays as found."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gridpos.adapters.db.tables import audit_log, terminals
from gridpos.terminal.journal import EventKind

from .world import PREPAY_ACCOUNT, ServedCounty, enrolled_terminal


def _terminal_row(county: ServedCounty, terminal_no: str) -> Any:
    with county.engine.connect() as conn:
        return conn.execute(select(terminals).where(terminals.c.terminal_no == terminal_no)).one()


def _damage_audits(county: ServedCounty, terminal_no: str) -> list[dict[str, Any]]:
    with county.engine.connect() as conn:
        details = conn.execute(
            select(audit_log.c.details)
            .where(audit_log.c.action == "terminal.journal_damaged")
            .where(audit_log.c.subject == f"terminal:{terminal_no}")
        ).scalars()
        return [json.loads(text) for text in details]


def test_a_tampered_journal_is_shown_on_the_servers_terminal_row(
    county: ServedCounty, tmp_path: Path
) -> None:
    data_dir = tmp_path / "terminal"
    terminal = enrolled_terminal(county, data_dir)
    assert terminal.identity is not None
    terminal_no = terminal.identity.terminal_no
    view = terminal.query_account(PREPAY_ACCOUNT)
    assert terminal.pay(view, 1000).confirmed
    answer = terminal.journal.last_row(EventKind.ANSWER)
    assert answer is not None
    terminal.close()
    assert _terminal_row(county, terminal_no).journal_damage is None

    db = sqlite3.connect(data_dir / "journal.sqlite3")
    db.execute("DROP TRIGGER events_never_updated")
    db.execute("UPDATE events SET body = '{}' WHERE seq = ?", (answer.seq,))
    db.commit()
    db.close()

    restarted = county.open_terminal(data_dir)
    try:
        restarted.start_forwarding(interval_s=60)
        deadline = time.monotonic() + 20
        while _terminal_row(county, terminal_no).journal_damage is None:
            assert time.monotonic() < deadline, "the damage never reached the server"
            time.sleep(0.05)
        restarted.stop_forwarding()
        restarted.heartbeat()  # the same report again: kept, not audited again

        row = _terminal_row(county, terminal_no)
        kept = {
            "problems": 1,
            "first_seq": answer.seq,
            "last_seq": answer.seq,
            "kinds": ["altered"],
        }
        assert json.loads(row.journal_damage) == kept
        assert row.journal_damage_at is not None
        assert _damage_audits(county, terminal_no) == [kept]
        # left as found: the altered row unrepaired, the damage recorded once in the journal
        altered = restarted.journal.row(answer.seq)
        assert altered is not None
        assert altered.body == {}
        assert len(list(restarted.journal.rows(kind=EventKind.JOURNAL_DAMAGE))) == 1
    finally:
        restarted.close()
    assert county.audit_problems() == []
