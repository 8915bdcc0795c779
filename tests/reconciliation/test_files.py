"""银电联网 files both ways: our export of a day reads back line for line like the reference MIS's
own file of the same payments; an imported file is checked whole — wrong encoding, a header that
disagrees with its lines, a malformed line, an unknown customer, a date outside the run — and
refused with the line and the reason, nothing kept; a file that reads is reconciled against."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from gridpos.adapters.db.tables import reconciliation_mis_loads, reconciliation_runs
from gridpos.application.reconciliation import (
    ReconciliationError,
    RunRequest,
    export_file,
    import_file,
    reconcile,
    run_outcome,
)
from gridpos.protocol.bank_file import (
    ReconciliationFile,
    ReconciliationLine,
    parse_reconciliation_file,
    render_reconciliation_file,
)

from .world import DAY, C, D, World


def _line(
    number: int, *, account_no: str = C, amount: int = 1000, cash_date: date = DAY
) -> ReconciliationLine:
    return ReconciliationLine(
        serial=f"2026041000000{number:03d}",
        payment_id=f"28010001-{number}-abc",
        account_no=account_no,
        amount_fen=amount,
        penalty_fen=0,
        principal_fen=amount,
        prepaid_fen=0,
        cash_date=cash_date,
        channel="POS",
        station_code="34082802",
        collection_point_id="3408280101",
        terminal_id="28010001",
        operator_id="A340828011",
    )


def _file(*lines: ReconciliationLine, day: date = DAY) -> bytes:
    return render_reconciliation_file(
        ReconciliationFile(business_date=day, batch_no="20260410001", lines=lines)
    )


def _kept(world: World) -> tuple[int, int]:
    with world.engine.connect() as connection:
        loads = connection.execute(select(func.count()).select_from(reconciliation_mis_loads))
        runs = connection.execute(select(func.count()).select_from(reconciliation_runs))
        return int(loads.scalar_one()), int(runs.scalar_one())


def _refused(world: World, data: bytes, **dates: date) -> ReconciliationError:
    before = _kept(world)
    with pytest.raises(ReconciliationError) as refused:
        import_file(world.recon, data, actor="test", file_name="DZ20260410.txt", **dates)
    assert _kept(world) == before  # nothing applied
    assert refused.value.message_zh
    assert refused.value.message_en
    return refused.value


def test_a_file_in_another_encoding_is_refused(world: World) -> None:
    good = _file(_line(1))
    refused = _refused(world, good.decode("gbk").encode("utf-16"))
    assert (refused.code, refused.field) == ("file_encoding", "file")


def test_a_header_that_disagrees_with_its_lines_is_refused(world: World) -> None:
    rows = _file(_line(1), _line(2)).decode("gbk").split("\n")
    header = rows[0].split("|")
    miscounted = "\n".join(["|".join([header[0], "3", header[2], header[3]]), *rows[1:]])
    refused = _refused(world, miscounted.encode("gbk"))
    assert (refused.code, refused.field) == ("file_count_mismatch", "header")
    mistotalled = "\n".join(["|".join([header[0], header[1], "1999", header[3]]), *rows[1:]])
    refused = _refused(world, mistotalled.encode("gbk"))
    assert (refused.code, refused.field) == ("file_total_mismatch", "header")
    assert "1999" in refused.message_en


def test_a_malformed_line_is_refused_with_its_number(world: World) -> None:
    rows = _file(_line(1), _line(2)).decode("gbk").split("\n")
    rows[2] = "|".join(rows[2].split("|")[:12])  # a field short
    refused = _refused(world, "\n".join(rows).encode("gbk"))
    assert (refused.code, refused.field) == ("file_line_malformed", "line 2")
    assert refused.message_en.startswith("line 2:")
    rows = _file(_line(1), _line(2)).decode("gbk").split("\n")
    rows[1] = rows[1].replace("|1000|0|1000|", "|1000|0|999|")  # the funds do not balance
    refused = _refused(world, "\n".join(rows).encode("gbk"))
    assert (refused.code, refused.field) == ("file_amount_unbalanced", "line 1")


def test_an_unknown_customer_is_refused_with_its_line(world: World) -> None:
    refused = _refused(world, _file(_line(1), _line(2, account_no="0999999999"), _line(3)))
    assert (refused.code, refused.field) == ("file_customer_unknown", "line 2")
    assert "0999999999" in refused.message_zh


def test_a_date_outside_the_run_is_refused(world: World) -> None:
    refused = _refused(world, _file(_line(1)), date_from=DAY + timedelta(days=1))
    assert (refused.code, refused.field) == ("file_date_outside_run", "header")
    later = _line(2, cash_date=DAY + timedelta(days=1))
    refused = _refused(world, _file(_line(1), later))
    assert (refused.code, refused.field) == ("file_cash_date_after", "line 2")


def test_our_file_reads_like_the_mis_file_and_an_imported_file_is_reconciled(
    world: World,
) -> None:
    terminal = world.terminal()
    paid = [terminal.pay(view, view.total_due) for view in map(terminal.query_account, (C, D))]
    world.deliver()
    ours = parse_reconciliation_file(export_file(world.recon, business_date=DAY))
    theirs = parse_reconciliation_file(world.client.reconciliation_file(DAY))
    assert (
        (ours.count, ours.total_fen)
        == (theirs.count, theirs.total_fen)
        == (
            2,
            sum(p.cash for p in paid),
        )
    )

    def essence(file: ReconciliationFile) -> set[tuple[object, ...]]:
        return {
            (
                line.payment_id,
                line.account_no,
                line.amount_fen,
                line.penalty_fen,
                line.principal_fen,
                line.prepaid_fen,
                line.cash_date,
                line.channel,
                line.station_code,
                line.collection_point_id,
                line.terminal_id,
                line.operator_id,
            )
            for line in file.lines
        }

    assert essence(ours) == essence(theirs)
    assert all(line.serial.startswith("20260410") for line in ours.lines)

    # the MIS's file, with one posting missing and one of another channel added
    kept = [line for line in theirs.lines if line.payment_id != paid[1].txn_id]
    bank = replace(_line(9, account_no=C, amount=500), channel="BANK", payment_id="BANK-77")
    imported = import_file(
        world.recon,
        render_reconciliation_file(
            ReconciliationFile(business_date=DAY, batch_no=theirs.batch_no, lines=(*kept, bank))
        ),
        actor="test",
        file_name="DZ20260410.txt",
        date_from=DAY,
        date_to=DAY,
    )
    assert (imported.business_date, imported.count, imported.ours, imported.others) == (
        DAY,
        2,
        1,
        1,
    )
    run_id = reconcile(
        world.recon,
        RunRequest(date_from=DAY, date_to=DAY, mis_load_id=imported.load_id, repair=False),
    )
    summary, _kinds, found = run_outcome(world.recon, run_id)
    assert summary.mis_source == "import"
    assert [(d.kind, d.txn_id, d.remedy) for d in found] == [
        ("mis_missing", paid[1].txn_id, "repost")
    ]
    assert (summary.mis.count, summary.mis.amount) == (1, paid[0].cash)
