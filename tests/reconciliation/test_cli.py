"""`gridpos reconcile` on the command line: a run printed as text or JSON with the exit status
saying whether anything waits for a person, our day's file exported in GBK, a file imported and
reconciled against, and every refusal one line with status 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gridpos.cli.reconcile import app
from gridpos.protocol.bank_file import parse_reconciliation_file
from mis.harness import API_KEY

from .world import DAY, C, D, World

runner = CliRunner()


def _run(world: World, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", world.url], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_run_from_the_command_line(world: World) -> None:
    terminal = world.terminal()
    view = terminal.query_account(C)
    paid = terminal.pay(view, view.total_due)
    world.deliver()
    world.mis_admin(f"/postings/{paid.txn_id}/edit", {"amount_fen": view.total_due + 5})
    mis = ["--mis-url", world.mis.url, "--mis-api-key", API_KEY]
    code, out, _err = _run(world, "--from", DAY.isoformat(), "--json", *mis)
    assert code == 1  # a difference waits for a person
    body = json.loads(out)
    assert (body["company"]["count"], body["company"]["amount"]) == (1, view.total_due)
    assert (body["mis"]["count"], body["mis"]["amount"]) == (1, view.total_due + 5)
    assert body["clean"] is False
    assert [(d["kind"], d["txn_id"], d["mis_cash"]) for d in body["differences"]] == [
        ("amount_differs", paid.txn_id, view.total_due + 5)
    ]
    code, out, _err = _run(world, "--from", DAY.isoformat(), "--source", "none")
    assert code == 0  # without the MIS, the journal and the payments agree
    assert "MIS: none — the MIS was not compared (asked so)" in out
    assert "clean: nothing left for a person" in out
    terminal.close()


def test_files_on_the_command_line(world: World, tmp_path: Path) -> None:
    terminal = world.terminal()
    paid = [terminal.pay(view, view.total_due) for view in map(terminal.query_account, (C, D))]
    target = tmp_path / "DZ20260410.txt"
    code, _out, err = _run(world, "export-file", "--date", DAY.isoformat(), "--output", str(target))
    assert code == 0, err
    exported = parse_reconciliation_file(target.read_bytes())
    assert {line.payment_id for line in exported.lines} == {p.txn_id for p in paid}
    code, out, err = _run(world, "import-file", str(target), "--date", DAY.isoformat(), "--json")
    assert code == 0, err
    assert json.loads(out)["mis_source"] == "import"
    assert "2 line(s)" in err

    broken = tmp_path / "broken.txt"
    rows = target.read_bytes().decode("gbk").split("\n")
    rows[2] = rows[2].replace(D, "0999999999")
    broken.write_bytes("\n".join(rows).encode("gbk"))
    code, _out, err = _run(world, "import-file", str(broken))
    assert code == 2
    assert "line 2" in err
    assert "file_customer_unknown" in err
    terminal.close()


def test_refusals_are_one_line(world: World) -> None:
    code, _out, err = _run(world, "--from", "2026-04-10", "--to", "2026-04-01")
    assert (code, "date_range_invalid" in err) == (2, True)
    code, _out, err = _run(world, "--from", "2026-04-10", "--org", "NOSUCH")
    assert (code, "scope_unknown" in err) == (2, True)
    code, _out, err = _run(world, "--from", "yesterday")
    assert code == 2
    assert "YYYY-MM-DD" in err
