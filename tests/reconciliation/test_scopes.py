"""A run covers one node of the tree — the county, a station, an agent, a terminal — on each
side alike, and clears only what it covered."""

from __future__ import annotations

from typer.testing import CliRunner

from gridpos.cli import app as gridpos

from .world import AGENT, POINT, STATION, TERMINAL, C, D, World


def test_each_node_sees_its_own_payments_on_every_side(world: World) -> None:
    terminal = world.terminal()
    paid = [terminal.pay(view, view.total_due) for view in map(terminal.query_account, (C, D))]
    total = sum(p.cash for p in paid)
    world.deliver()
    lost = paid[1]
    world.mis_admin(f"/postings/{lost.txn_id}/lose")

    for code in (None, STATION, POINT, AGENT, TERMINAL):
        run, found = world.reconcile(repair=False, scope_code=code)
        assert (run.company.count, run.company.amount) == (2, total), code
        assert (run.mis.count, run.mis.amount) == (1, paid[0].cash), code
        assert [(d.kind, d.txn_id) for d in found] == [("mis_missing", lost.txn_id)], code
    other, nothing = world.reconcile(repair=False, scope_code="34082802")  # another station
    assert (other.scope_kind, other.company.count, other.mis.count, nothing) == (
        "organisation",
        0,
        0,
        [],
    )
    assert other.cleared == 0  # it did not cover the difference: it does not clear it
    terminal_run, _found = world.reconcile(repair=False, scope_code=TERMINAL)
    assert (terminal_run.scope_kind, terminal_run.scope_code) == ("terminal", TERMINAL)
    agent_run, _found = world.reconcile(repair=False, scope_code=AGENT)
    assert agent_run.scope_kind == "agent"

    repaired, _found = world.reconcile(scope_code=STATION)
    assert repaired.repaired == 1
    world.deliver()
    clean, found_clean = world.reconcile(scope_code=STATION)
    assert (found_clean, clean.cleared, clean.clean) == ([], 1, True)
    # the command itself finds the ledger and the audit chain intact
    result = CliRunner().invoke(gridpos, ["audit", "verify", "--database-url", world.url])
    assert result.exit_code == 0, result.stdout
    assert "all checks pass" in result.stdout
    terminal.close()
