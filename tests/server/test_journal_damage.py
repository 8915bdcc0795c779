"""A terminal reports its damaged journal in the heartbeat: kept on its row, audited once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from gridpos.adapters.db.tables import audit_log, terminals
from gridpos.application.terminals.enrolment import enrol, issue_enrolment_code
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.session import (
    Heartbeat,
    JournalDamage,
    JournalDamageKind,
    SignInRequest,
)

from .support import START, TERMINAL, TERMINAL2, County

# row 7 deleted (a gap, then row 8 follows nothing), row 12 altered
DAMAGE = JournalDamage(
    problems=3,
    first_seq=7,
    last_seq=12,
    kinds=(JournalDamageKind.MISSING, JournalDamageKind.LINK_BROKEN, JournalDamageKind.ALTERED),
)
KEPT = {
    "first_seq": 7,
    "kinds": ["altered", "link_broken", "missing"],
    "last_seq": 12,
    "problems": 3,
}


def _heartbeat(damage: JournalDamage | None = DAMAGE, queue: int = 0) -> Heartbeat:
    return Heartbeat(queue_depth=queue, version="1.4.2", journal_damage=damage)


def _terminal_row(county: County, terminal_no: str = TERMINAL) -> Any:
    with county.services.engine.connect() as conn:
        return conn.execute(select(terminals).where(terminals.c.terminal_no == terminal_no)).one()


def _damage_audits(county: County) -> list[tuple[str, str, dict[str, Any]]]:
    with county.services.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.subject, audit_log.c.details)
            .where(audit_log.c.action == "terminal.journal_damaged")
            .order_by(audit_log.c.occurred_at)
        ).all()
    return [(row.actor, row.subject, json.loads(row.details)) for row in rows]


def test_a_report_is_kept_on_the_terminal_and_audited_once(county: County) -> None:
    client = county.client()
    answer = client.ok(routes.HEARTBEAT, _heartbeat())
    assert answer.server_time == START

    row = _terminal_row(county)
    assert json.loads(row.journal_damage) == KEPT
    assert row.journal_damage_at == START
    assert row.queue_depth == 0
    assert _damage_audits(county) == [(f"terminal:{TERMINAL}", f"terminal:{TERMINAL}", KEPT)]

    # the same report again, the kinds in another order: nothing new to audit, kept as it was
    county.clock.advance(minutes=5)
    same = DAMAGE.model_copy(update={"kinds": tuple(reversed(DAMAGE.kinds))})
    client.ok(routes.HEARTBEAT, _heartbeat(same, queue=2))
    row = _terminal_row(county)
    assert row.journal_damage_at == START
    assert row.queue_depth == 2  # the rest of the heartbeat is kept as always
    assert len(_damage_audits(county)) == 1

    # a heartbeat without a report leaves the kept one alone
    client.ok(routes.HEARTBEAT, _heartbeat(None))
    assert json.loads(_terminal_row(county).journal_damage) == KEPT
    county.verify()


def test_a_changed_report_replaces_the_kept_one_and_is_audited(county: County) -> None:
    client = county.client()
    client.ok(routes.HEARTBEAT, _heartbeat())
    county.clock.advance(hours=1)
    worse = JournalDamage(
        problems=4, first_seq=7, last_seq=30, kinds=(*DAMAGE.kinds, JournalDamageKind.TRUNCATED)
    )
    client.ok(routes.HEARTBEAT, _heartbeat(worse))

    row = _terminal_row(county)
    assert json.loads(row.journal_damage)["problems"] == 4
    assert row.journal_damage_at == datetime(2024, 5, 1, 1, 30, tzinfo=UTC)
    audits = _damage_audits(county)
    assert [details["last_seq"] for _actor, _subject, details in audits] == [12, 30]
    assert audits[1][2]["kinds"] == ["altered", "link_broken", "missing", "truncated"]
    # another terminal of the same agent is untouched
    other = _terminal_row(county, TERMINAL2)
    assert (other.journal_damage, other.journal_damage_at) == (None, None)
    county.verify()


def test_the_report_inside_a_sign_in_counts_too(county: County) -> None:
    client = county.client()
    client.ok(
        routes.SIGN_IN,
        SignInRequest(
            agent_account="A001",
            password="pw-A001",
            organisation_code="3408280101",
            heartbeat=_heartbeat(),
        ),
    )
    assert json.loads(_terminal_row(county).journal_damage) == KEPT
    client.ok(routes.HEARTBEAT, _heartbeat())
    assert len(_damage_audits(county)) == 1
    county.verify()


def test_a_refused_heartbeat_keeps_no_report(county: County) -> None:
    client = county.client()
    client.ok(routes.HEARTBEAT, _heartbeat(None), counter=5)
    assert client.refused(routes.HEARTBEAT, _heartbeat(), counter=5)["code"] == "replayed_counter"
    row = _terminal_row(county)
    assert (row.journal_damage, row.journal_damage_at) == (None, None)
    assert _damage_audits(county) == []


def test_enrolling_again_with_a_fresh_journal_clears_the_report(county: County) -> None:
    county.client().ok(routes.HEARTBEAT, _heartbeat())
    issue_enrolment_code(county.services, terminal_no=TERMINAL, code="123456789012", actor="test")
    enrol(
        county.services,
        EnrolRequest(code="123456789012", device_serial="SN-2", version="1.4.2"),
        new_key=bytes(32),
    )
    row = _terminal_row(county)
    assert (row.journal_damage, row.journal_damage_at) == (None, None)
    assert len(_damage_audits(county)) == 1  # the audit log still has it
