"""The work queue and what reads it: a repair that would break an invariant is refused and queued
with nothing applied, then confirmed by two people once the float can take it; who may see and
do what, in which subtree; the agent's float statement reconciled and the T+1 handover checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gridpos.adapters.db.tables import agents, audit_log, cash_handovers, holds
from gridpos.application.console.access import Role
from gridpos.application.console.errors import AccessDeniedError
from gridpos.application.floats import approve_topup, release_hold, request_topup
from gridpos.application.reconciliation import (
    ReconciliationError,
    ResolutionRequest,
    approve_resolution,
    float_reconciliation,
    item_detail,
    list_differences,
    list_runs,
    open_differences,
    record_handover,
    reject_resolution,
    request_resolution,
    run_detail,
    run_report,
    work_queue,
)
from gridpos.application.reconciliation.notes import read_note, say
from gridpos.domain.payment_state import PaymentState
from gridpos.domain.reconciliation import Action

from .world import AGENT, A, B, C, World


def _agent_id(world: World) -> int:
    with world.engine.connect() as connection:
        return int(
            connection.execute(select(agents.c.id).where(agents.c.code == AGENT)).scalar_one()
        )


def test_a_repair_the_float_cannot_take_is_refused_then_confirmed_by_two_people(
    world: World,
) -> None:
    terminal = world.terminal(allowance=5_000)
    world.link.partition(True)
    view = terminal.query_account(B)
    taken = terminal.pay(view, view.total_due)
    assert taken.offline
    world.link.partition(False)
    world.script({"method": "POST", "path": "^/t/v1/offline$", "cut": "drop_request"})
    terminal.close_batch(view.total_due, resolve_first=False)
    terminal.sign_out()
    # finance gives the allowance back to the float: the offline payment never arrived
    finance, checker = world.actor(Role.FINANCE), world.actor(Role.FINANCE, index=1)
    with world.engine.connect() as connection:
        hold_id = connection.execute(select(holds.c.id).where(holds.c.state == "open")).scalar_one()
    release_hold(
        world.engine,
        hold_id=hold_id,
        business_date=world.today(),
        operator_id=finance.operator_id,
        clock=world.clock,
    )
    world.sign_in(terminal)
    available, held = world.float_of_agent()
    assert held == 0
    # a big prepayment leaves less float than the offline payment needs
    big = terminal.query_account(A)
    spent = terminal.pay(big, available - 1_000)
    assert spent.state is PaymentState.CONFIRMED
    assert world.float_of_agent() == (1_000, 0)
    world.deliver()

    run, found = world.reconcile()
    assert [(d.kind, d.safe, d.outcome) for d in found] == [("terminal_only", True, "refused")]
    refused = read_note(found[0].outcome_note)
    assert refused is not None
    assert (refused.code, refused.values["code"]) == ("repair_refused", "float_insufficient")
    assert say(refused, lambda message: message, "zh").startswith("automatic repair refused: ")
    assert "float_insufficient" in refused.en
    assert (run.repaired, run.open) == (0, 1)
    assert world.payment_count(taken.txn_id) == 0  # nothing applied
    assert world.float_of_agent() == (1_000, 0)
    with world.engine.connect() as connection:
        actions = connection.execute(select(audit_log.c.action)).scalars().all()
    assert "reconciliation.repair_refused" in actions

    # the agent tops the float up; two people confirm the payment from the journal
    topup = request_topup(
        world.engine,
        agent_id=_agent_id(world),
        amount=10_000,
        requested_by=finance.operator_id,
        clock=world.clock,
    )
    approve_topup(
        world.engine,
        topup_id=topup.id,
        decided_by=checker.operator_id,
        business_date=world.today(),
        clock=world.clock,
    )
    head = world.actor(Role.STATION_HEAD)
    detail = item_detail(world.recon, head, found[0].item_id)
    assert detail.item.state == "open"
    assert detail.actions == (Action.CONFIRM, Action.WRITE_OFF)
    asked = request_resolution(
        world.recon,
        head,
        ResolutionRequest(detail.item.id, detail.item.version, "confirm", "收费员脱机收款属实"),
    )
    assert work_queue(world.recon, head, waiting_decision=True).total == 1
    confirmed = approve_resolution(world.recon, finance, resolution_id=asked)
    assert confirmed.code == "confirmed_from_journal"
    assert confirmed.en.startswith("confirmed from the terminal's journal as payment ")
    payment = world.payment(taken.txn_id)
    assert (payment.state, payment.cash) == ("confirmed", view.total_due)
    assert world.float_of_agent() == (1_000 + 10_000 - view.total_due, 0)
    world.deliver()
    world.script()
    assert terminal.resolve_pending().complete
    assert terminal.payment(taken.txn_id).state is PaymentState.CONFIRMED

    again, found_again = world.reconcile()
    assert found_again == []
    assert again.clean
    world.audit_clean()
    terminal.close()


def test_who_sees_and_does_what(world: World) -> None:
    terminal = world.terminal()
    view = terminal.query_account(C)
    paid = terminal.pay(view, view.total_due)
    world.deliver()
    world.mis_admin(f"/postings/{paid.txn_id}/edit", {"amount_fen": view.total_due + 1})
    run, found = world.reconcile()
    (difference,) = found
    head, other_head = world.actor(Role.STATION_HEAD), world.actor(Role.STATION_HEAD, index=1)
    auditor, finance = world.actor(Role.AUDITOR), world.actor(Role.FINANCE)

    # finance and auditors at the county see the run; the head of another station does not
    assert [r.id for r in list_runs(world.recon, finance).items] == [run.id]
    assert [r.id for r in list_runs(world.recon, auditor).items] == [run.id]
    assert list_runs(world.recon, other_head).items == []
    with pytest.raises(AccessDeniedError):
        run_detail(world.recon, other_head, run.id)
    detail = run_detail(world.recon, finance, run.id)
    assert [(k.kind, k.change, k.count, k.still_open) for k in detail.by_kind] == [
        ("amount_differs", "new", 1, 1)
    ]
    page = list_differences(world.recon, auditor, run.id, kind="amount_differs")
    assert [d.txn_id for d in page.items] == [paid.txn_id]
    assert list_differences(world.recon, auditor, run.id, kind="mis_only").total == 0
    assert list_differences(world.recon, auditor, run.id, search=paid.txn_id[:10]).total == 1
    with pytest.raises(ReconciliationError) as bad:
        list_differences(world.recon, auditor, run.id, kind="nonsense")
    assert bad.value.field == "kind"
    report = run_report(world.recon, finance, run.id)
    assert (report.summary.id, len(report.differences), report.truncated) == (run.id, 1, False)
    assert open_differences(world.recon, head) == 1
    assert open_differences(world.recon, other_head) == 0

    # the auditor reads but may not resolve; the other station's head may not even look
    assert item_detail(world.recon, auditor, difference.item_id).actions == ()
    with pytest.raises(AccessDeniedError):
        request_resolution(
            world.recon,
            auditor,
            ResolutionRequest(difference.item_id, 1, "write_off", "稽查无权处理"),
        )
    with pytest.raises(AccessDeniedError):
        item_detail(world.recon, other_head, difference.item_id)

    # an action the kind does not allow, and a reason missing, are refused by field
    version = item_detail(world.recon, head, difference.item_id).item.version
    with pytest.raises(ReconciliationError) as wrong:
        request_resolution(
            world.recon, head, ResolutionRequest(difference.item_id, version, "confirm", "x")
        )
    assert (wrong.value.code, wrong.value.field) == ("action_not_allowed", "action")
    with pytest.raises(ReconciliationError) as silent:
        request_resolution(
            world.recon, head, ResolutionRequest(difference.item_id, version, "write_off", " ")
        )
    assert (silent.value.code, silent.value.field) == ("reason_required", "reason")

    # a request rejected goes back to the queue, open
    asked = request_resolution(
        world.recon, head, ResolutionRequest(difference.item_id, version, "write_off", "试一试")
    )
    reject_resolution(world.recon, finance, resolution_id=asked, note="须先查明营销系统金额")
    item = item_detail(world.recon, head, difference.item_id)
    assert item.item.state == "open"
    assert [(r.action, r.state) for r in item.resolutions] == [("write_off", "rejected")]
    assert [d.kind for d in item.history] == ["amount_differs"]
    terminal.close()


def test_the_float_statement_and_the_t_plus_one_handover(world: World) -> None:
    terminal = world.terminal()
    views = [terminal.query_account(account) for account in (A, C)]
    paid = [terminal.pay(view, view.total_due) for view in views]
    collected = sum(p.cash for p in paid)
    finance, head = world.actor(Role.FINANCE), world.actor(Role.STATION_HEAD)
    day = world.today()

    checked = float_reconciliation(
        world.recon, finance, agent_code=AGENT, date_from=day, date_to=day
    )
    assert checked.problems == ()
    assert (checked.payments_collected, checked.statement.collections) == (collected, collected)
    assert [(d.held, d.handed_over, d.status) for d in checked.days] == [(collected, 0, "due")]
    assert checked.ok

    # handed over the next day, short by 1.00 yuan
    world.advance(days=1)
    record_handover(
        world.recon,
        head,
        agent_code=AGENT,
        covers_date=day,
        amount=collected - 100,
        received_on=day + timedelta(days=1),
        note="少交一元，次日补",
    )
    owing = float_reconciliation(world.recon, finance, agent_code=AGENT, date_from=day, date_to=day)
    assert [(d.held, d.handed_over, d.difference, d.status) for d in owing.days] == [
        (collected, collected - 100, -100, "due")  # the due day is not over yet
    ]
    world.advance(days=1)
    short = float_reconciliation(world.recon, finance, agent_code=AGENT, date_from=day, date_to=day)
    assert [(d.difference, d.status) for d in short.days] == [(-100, "short")]
    assert not short.ok
    # the rest two days after
    record_handover(
        world.recon,
        head,
        agent_code=AGENT,
        covers_date=day,
        amount=100,
        received_on=day + timedelta(days=2),
    )
    late = float_reconciliation(world.recon, finance, agent_code=AGENT, date_from=day, date_to=day)
    assert [(d.handed_over, d.status, d.last_received_on) for d in late.days] == [
        (collected, "late", day + timedelta(days=2))
    ]
    with world.engine.connect() as connection:
        assert len(connection.execute(select(cash_handovers.c.id)).all()) == 2

    with pytest.raises(ReconciliationError) as zero:
        record_handover(
            world.recon, head, agent_code=AGENT, covers_date=day, amount=0, received_on=day
        )
    assert (zero.value.code, zero.value.field) == ("amount_invalid", "amount")
    with pytest.raises(ReconciliationError) as early:
        record_handover(
            world.recon,
            head,
            agent_code=AGENT,
            covers_date=day,
            amount=5,
            received_on=day - timedelta(days=1),
        )
    assert early.value.field == "received_on"
    with pytest.raises(AccessDeniedError):
        record_handover(
            world.recon,
            world.actor(Role.AUDITOR),
            agent_code=AGENT,
            covers_date=day,
            amount=5,
            received_on=day,
        )
    with pytest.raises(AccessDeniedError):
        float_reconciliation(
            world.recon,
            world.actor(Role.STATION_HEAD, index=1),
            agent_code=AGENT,
            date_from=day,
            date_to=day,
        )
    terminal.close()
