"""终端流水调阅 end to end: the company asks for a terminal's journal, the terminal learns of it on
its next heartbeat, uploads it through the link emulator, and the next reconciliation reads it as
the terminal's side — a terminal-only payment found this way confirmed from the journal, a part
cut mid-upload sent again and counted once, and requests outside scope or with bad dates refused.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gridpos.adapters.db.tables import batch_upload_items, journal_requests, terminals
from gridpos.application.console import ConsoleServices
from gridpos.application.console.access import Role
from gridpos.application.console.errors import (
    AccessDeniedError,
    Done,
    InvalidFormError,
    NotFoundError,
)
from gridpos.application.terminals.journal_requests import (
    JournalRequestError,
    journal_requests_of,
    request_journal,
    request_journal_by_number,
)
from gridpos.cli.terminals import app as terminals_cli
from gridpos.domain.payment_state import PaymentState
from gridpos.terminal.journal_upload import UploadStep

from .world import TERMINAL, B, C, World

UPLOAD = "^/t/v1/journal$"


def _token() -> str:
    return secrets.token_urlsafe(32)


def _console(world: World) -> ConsoleServices:
    return ConsoleServices(engine=world.engine, clock=world.clock)


def _terminal_id(world: World) -> int:
    with world.engine.connect() as connection:
        return int(
            connection.execute(
                select(terminals.c.id).where(terminals.c.terminal_no == TERMINAL)
            ).scalar_one()
        )


def _ask(
    world: World, *, token: str, date_from: str, date_to: str, role: Role = Role.FINANCE
) -> Done:
    return request_journal(
        _console(world),
        world.actor(role),
        form_token=token,
        terminal_id=_terminal_id(world),
        date_from=date_from,
        date_to=date_to,
    )


def _kept_rows(world: World, txn_id: str) -> int:
    with world.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(batch_upload_items)
                .where(batch_upload_items.c.txn_id == txn_id)
            ).scalar_one()
        )


def test_a_terminal_only_payment_found_in_a_journal_asked_for_is_confirmed_from_it(
    world: World,
) -> None:
    terminal = world.terminal(allowance=50_000)
    world.link.partition(True)
    view = terminal.query_account(B)
    taken = terminal.pay(view, view.total_due)
    assert taken.offline
    world.link.partition(False)
    # the batch stays open and the offline upload does not get through: the company knows nothing
    world.script({"method": "POST", "path": "^/t/v1/offline$", "cut": "drop_request"})
    run, found = world.reconcile()
    assert found == []
    assert run.terminal.count == 0

    day = world.today().isoformat()
    _ask(world, token=_token(), date_from=day, date_to=day)
    [pending] = journal_requests_of(_console(world), world.actor(Role.FINANCE), _terminal_id(world))
    assert pending.state == "pending"

    assert terminal.heartbeat().journal_request is not None  # the host asks, the terminal hears
    request = terminal.journal_request()
    assert request is not None
    assert request.request_id == pending.id
    assert terminal.upload_journal() is UploadStep.DONE
    assert terminal.journal_request() is None
    [done] = journal_requests_of(_console(world), world.actor(Role.FINANCE), _terminal_id(world))
    assert (done.state, done.rows_kept, done.rows_unplaced) == ("fulfilled", 1, 0)
    assert terminal.heartbeat().journal_request is None

    available, held = world.float_of_agent()
    run, found = world.reconcile()
    assert [(d.kind, d.remedy, d.safe, d.outcome) for d in found] == [
        ("terminal_only", "confirm_from_journal", True, "repaired")
    ]
    payment = world.payment(taken.txn_id)
    assert (payment.state, payment.cash, payment.offline) == ("confirmed", view.total_due, True)
    assert payment.cash_time == terminal.journal.txn(taken.txn_id).cash_time
    assert world.float_of_agent() == (available, held - view.total_due)
    assert world.deliver() == 1

    world.script()
    assert terminal.resolve_pending().complete  # the late upload is answered with that payment
    assert world.payment_count(taken.txn_id) == 1
    again, found_again = world.reconcile()
    assert found_again == []
    assert again.clean
    world.audit_clean()
    terminal.close()


def test_a_part_cut_mid_upload_is_sent_again_and_counted_once(world: World) -> None:
    terminal = world.terminal()
    first = terminal.pay(terminal.query_account(C), terminal.query_account(C).total_due)
    assert first.state is PaymentState.CONFIRMED
    day = world.today().isoformat()
    _ask(world, token=_token(), date_from=day, date_to=day)
    assert terminal.heartbeat().journal_request is not None
    # the part reaches the server, its answer is lost: the background loop sends it again
    world.script({"method": "POST", "path": UPLOAD, "nth": 1, "cut": "cut_before_answer"})
    terminal.start_forwarding(interval_s=0.2)
    deadline = time.monotonic() + 30
    while terminal.journal_request() is not None:
        assert time.monotonic() < deadline, "the journal was not uploaded"
        time.sleep(0.1)
    terminal.stop_forwarding()
    assert _kept_rows(world, first.txn_id) == 1
    with world.engine.connect() as connection:
        row = connection.execute(select(journal_requests)).one()
    assert (row.state, row.rows_kept) == ("fulfilled", 1)

    world.deliver()
    run, found = world.reconcile()
    assert found == []
    assert (run.terminal.count, run.terminal.amount) == (1, first.cash)
    # the batch's own upload (批上送) later brings the same row: still once
    closed = terminal.close_batch(first.cash + 1, note="多收一元", resolve_first=False)
    assert closed.closed
    assert _kept_rows(world, first.txn_id) == 1
    run, _found = world.reconcile()
    assert (run.terminal.count, run.terminal.amount) == (1, first.cash)
    world.audit_clean()
    terminal.close()


def test_requests_outside_scope_or_with_bad_dates_are_refused(world: World) -> None:
    day = world.today()
    text = day.isoformat()
    with pytest.raises(InvalidFormError) as reversed_range:
        _ask(world, token=_token(), date_from=text, date_to=(day - timedelta(days=1)).isoformat())
    assert reversed_range.value.for_field("date_to").code == "date_range_reversed"  # type: ignore[union-attr]
    with pytest.raises(InvalidFormError) as too_long:
        _ask(world, token=_token(), date_from=text, date_to=(day + timedelta(days=31)).isoformat())
    assert too_long.value.for_field("date_to").code == "date_range_too_long"  # type: ignore[union-attr]
    with pytest.raises(InvalidFormError) as malformed:
        _ask(world, token=_token(), date_from="2026-13-01", date_to=text)
    assert malformed.value.for_field("date_from").code == "date_invalid"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        request_journal(
            _console(world),
            world.actor(Role.FINANCE),
            form_token=_token(),
            terminal_id=999_999,
            date_from=text,
            date_to=text,
        )
    # a station head of another station, and a role without reconciliation.resolve
    head = world.actor(Role.STATION_HEAD)
    other_station = dataclasses.replace(head, org_path=head.org_path + "999/")
    with pytest.raises(AccessDeniedError):
        request_journal(
            _console(world),
            other_station,
            form_token=_token(),
            terminal_id=_terminal_id(world),
            date_from=text,
            date_to=text,
        )
    with pytest.raises(AccessDeniedError):
        request_journal(
            _console(world),
            dataclasses.replace(head, role=Role.STATION_STAFF),
            form_token=_token(),
            terminal_id=_terminal_id(world),
            date_from=text,
            date_to=text,
        )
    with pytest.raises(JournalRequestError) as unknown:
        request_journal_by_number(
            world.services, terminal_no="99999999", date_from=day, date_to=day, actor="test"
        )
    assert (unknown.value.code, unknown.value.field) == ("terminal_unknown", "terminal_no")
    with pytest.raises(JournalRequestError) as cli_reversed:
        request_journal_by_number(
            world.services,
            terminal_no=TERMINAL,
            date_from=day,
            date_to=day - timedelta(days=1),
            actor="test",
        )
    assert cli_reversed.value.code == "date_range_reversed"
    with world.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(journal_requests)).scalar() == 0
    # the station head of the terminal's own station may ask
    _ask(world, token=_token(), date_from=text, date_to=text, role=Role.STATION_HEAD)
    with world.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(journal_requests)).scalar() == 1


def test_the_command_line_asks_for_a_journal_and_refuses_bad_dates(world: World) -> None:
    runner = CliRunner()
    day = world.today().isoformat()
    base = ["request-journal", TERMINAL, "--database-url", world.url]
    asked = runner.invoke(terminals_cli, [*base, "--from", day, "--to", day])
    assert asked.exit_code == 0, asked.output
    assert f"terminal {TERMINAL}" in asked.output
    reversed_range = runner.invoke(terminals_cli, [*base, "--from", day, "--to", "2000-01-01"])
    assert reversed_range.exit_code == 1
    assert "[date_range_reversed]" in reversed_range.output
    unknown = runner.invoke(
        terminals_cli,
        ["request-journal", "99999999", "--database-url", world.url, "--from", day, "--to", day],
    )
    assert unknown.exit_code == 1
    assert "[terminal_unknown]" in unknown.output
    with world.engine.connect() as connection:
        states = connection.execute(select(journal_requests.c.state)).scalars().all()
    assert states == ["pending"]
