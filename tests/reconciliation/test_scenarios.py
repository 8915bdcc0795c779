"""Every kind of difference produced on purpose through the real terminal, the link emulator and
the reference MIS — reconciled, repaired or resolved under maker-checker, reconciled again clean,
and `gridpos audit verify` clean after."""

from __future__ import annotations

import pytest

from gridpos.application.console.access import Role
from gridpos.application.reconciliation import (
    ReconciliationError,
    ResolutionRequest,
    approve_resolution,
    item_detail,
    request_resolution,
)
from gridpos.application.reconciliation.notes import Note
from gridpos.domain.payment_state import PaymentState
from gridpos.domain.reconciliation import Action

from .world import B, C, D, World

PAY = "^/t/v1/pay$"


def _resolve(world: World, item_id: int, action: Action, reason: str) -> Note:
    """A station head asks, finance approves; what was done."""
    head, finance = world.actor(Role.STATION_HEAD), world.actor(Role.FINANCE)
    detail = item_detail(world.recon, head, item_id)
    assert action in detail.actions
    resolution = request_resolution(
        world.recon,
        head,
        ResolutionRequest(
            item_id=item_id, version=detail.item.version, action=action.value, reason=reason
        ),
    )
    return approve_resolution(world.recon, finance, resolution_id=resolution)


def test_mis_down_then_a_posting_lost_is_posted_again(world: World) -> None:
    terminal = world.terminal()
    view = terminal.query_account(C)
    world.mis.set_faults("down")
    paid = terminal.pay(view, view.total_due)
    assert paid.state is PaymentState.CONFIRMED
    assert world.deliver() == 0  # the MIS is down: the outbox only grows
    world.mis.set_faults("normal")
    assert world.deliver() == 1
    lost = world.mis_admin(f"/postings/{paid.txn_id}/lose")
    assert lost["amount_fen"] == view.total_due

    run, found = world.reconcile()
    assert [(d.kind, d.remedy, d.outcome) for d in found] == [("mis_missing", "repost", "repaired")]
    assert (run.company.count, run.company.amount) == (1, view.total_due)
    assert (run.mis.count, run.unreported.count) == (0, 1)  # the batch is not closed yet
    assert run.repaired == 1
    assert run.open == 0
    assert world.payment(paid.txn_id).mis_state == "pending"

    assert world.deliver() == 1
    assert world.mis.posting_counts() == {paid.txn_id: 1}
    again, found_again = world.reconcile()
    assert found_again == []
    assert (again.cleared, again.mis.count, again.mis.amount) == (1, 1, view.total_due)
    assert again.clean
    assert again.previous_run_id == run.id
    world.audit_clean()
    terminal.close()


def test_a_posting_edited_at_the_mis_is_written_off_by_two_people(world: World) -> None:
    terminal = world.terminal()
    view = terminal.query_account(D)
    paid = terminal.pay(view, view.total_due)
    world.deliver()
    world.mis_admin(f"/postings/{paid.txn_id}/edit", {"amount_fen": view.total_due + 100})

    run, found = world.reconcile()
    assert [(d.sides, d.kind, d.company_cash, d.mis_cash, d.outcome) for d in found] == [
        ("company_mis", "amount_differs", view.total_due, view.total_due + 100, "queued")
    ]
    assert run.open == 1
    assert not run.clean
    item_id = found[0].item_id

    head, finance = world.actor(Role.STATION_HEAD), world.actor(Role.FINANCE)
    detail = item_detail(world.recon, head, item_id)
    assert Action.WRITE_OFF in detail.actions
    asked = request_resolution(
        world.recon,
        head,
        ResolutionRequest(
            item_id, detail.item.version, "write_off", "营销系统已更正，工单 2026-117"
        ),
    )
    # a second operator on the same view of the difference: one wins, the other is told
    with pytest.raises(ReconciliationError) as stale:
        request_resolution(
            world.recon,
            finance,
            ResolutionRequest(item_id, detail.item.version, "write_off", "同一差异"),
        )
    assert stale.value.code == "difference_changed"
    # maker-checker: the requester cannot approve
    with pytest.raises(ReconciliationError) as own:
        approve_resolution(world.recon, head, resolution_id=asked)
    assert own.value.code == "same_operator"
    outcome = approve_resolution(world.recon, finance, resolution_id=asked)
    assert (outcome.code, outcome.en) == (
        "written_off",
        "written off: 营销系统已更正，工单 2026-117",
    )
    with pytest.raises(ReconciliationError) as twice:
        approve_resolution(world.recon, world.actor(Role.FINANCE, index=1), resolution_id=asked)
    assert twice.value.code == "resolution_decided"

    again, found_again = world.reconcile()
    assert [(d.kind, d.outcome) for d in found_again] == [("amount_differs", "accepted")]
    assert again.clean  # written off by two people: nothing left open
    world.audit_clean()
    terminal.close()


def test_cut_after_commit_and_the_collector_cancelling_is_reversed_under_maker_checker(
    world: World,
) -> None:
    terminal = world.terminal()
    view = terminal.query_account(C)
    world.script({"method": "POST", "path": PAY, "nth": 1, "cut": "cut_before_answer"})
    cut = terminal.pay(view, view.total_due)
    assert cut.state is PaymentState.UNKNOWN  # the server committed; the answer was lost
    world.script({"method": "POST", "path": "^/t/v1/reverse$", "cut": "drop_request"})
    # the customer took the cash back; the reversal does not get through
    terminal.cancel_unknown(cut.txn_id)
    closed = terminal.close_batch(0, resolve_first=False)
    assert closed.balanced is False
    assert closed.differences is not None
    assert [(d.kind, d.txn_id) for d in closed.differences] == [("state_differs", cut.txn_id)]
    world.deliver()

    run, found = world.reconcile()
    assert [(d.sides, d.kind, d.remedy, d.journal_state, d.company_state) for d in found] == [
        ("terminal_company", "status_differs", "confirm_or_reverse", "unknown", "confirmed")
    ]
    assert (run.terminal.count, run.company.count, run.mis.count) == (0, 1, 1)
    assert run.open == 1
    float_before = world.float_of_agent()

    outcome = _resolve(world, found[0].item_id, Action.REVERSE, "顾客取回现金，冲正未到达")
    assert (outcome.code, outcome.values) == ("reversal_recorded", {"txn": cut.txn_id})
    assert world.payment(cut.txn_id).state == "reversed"
    assert world.float_of_agent()[0] == float_before[0] + view.total_due
    world.script()
    terminal.sign_out()  # the batch is closed: a new sign-in opens the day again
    world.sign_in(terminal)
    assert terminal.resolve_pending().complete  # its own reversal now finds the payment reversed
    assert terminal.payment(cut.txn_id).state is PaymentState.REVERSED
    assert world.deliver() == 1  # the reversal, to the MIS
    assert world.mis.posting_states() == {cut.txn_id: "reversed"}

    again, found_again = world.reconcile()
    assert found_again == []
    assert again.clean
    assert (again.company.count, again.company_undone.count, again.mis_undone.count) == (0, 1, 1)
    world.audit_clean()
    terminal.close()


def test_an_offline_payment_uploaded_late_is_confirmed_from_the_journal(world: World) -> None:
    terminal = world.terminal(allowance=50_000)
    world.link.partition(True)
    view = terminal.query_account(B)
    assert view.offline
    taken = terminal.pay(view, view.total_due)
    assert taken.offline
    world.link.partition(False)
    # the offline upload does not get through; the batch is closed with its detail
    world.script({"method": "POST", "path": "^/t/v1/offline$", "cut": "drop_request"})
    closed = terminal.close_batch(view.total_due, resolve_first=False)
    assert closed.differences is not None
    assert [(d.kind, d.txn_id) for d in closed.differences] == [("missing_on_server", taken.txn_id)]
    available, held = world.float_of_agent()

    run, found = world.reconcile()
    assert [(d.kind, d.remedy, d.safe, d.journal_state, d.outcome) for d in found] == [
        ("terminal_only", "confirm_from_journal", True, "pending", "repaired")
    ]
    assert run.repaired == 1
    payment = world.payment(taken.txn_id)
    assert (payment.state, payment.cash, payment.offline) == ("confirmed", view.total_due, True)
    # the original cash time, as the terminal journalled it
    assert payment.cash_time == terminal.journal.txn(taken.txn_id).cash_time
    assert world.float_of_agent() == (available, held - view.total_due)  # from the allowance
    assert world.deliver() == 1

    world.script()
    assert terminal.resolve_pending().complete  # the late upload is answered with that payment
    assert terminal.payment(taken.txn_id).state is PaymentState.CONFIRMED
    assert world.payment_count(taken.txn_id) == 1
    assert world.float_of_agent() == (available, held - view.total_due)  # taken once

    again, found_again = world.reconcile()
    assert found_again == []
    assert again.clean
    assert again.cleared == 1
    world.audit_clean()
    terminal.close()


def test_a_journal_uploaded_twice_counts_once_and_is_confirmed_by_two_people(
    world: World,
) -> None:
    terminal = world.terminal()
    first = terminal.pay(terminal.query_account(C), terminal.query_account(C).total_due)
    world.script({"method": "POST", "path": PAY, "nth": 1, "cut": "cut_before_answer"})
    view = terminal.query_account(D)
    unknown = terminal.pay(view, view.total_due)
    assert unknown.state is PaymentState.UNKNOWN
    # the upload's answer is lost: the terminal sends the detail again
    world.script(
        {"method": "POST", "path": "^/t/v1/batch/upload$", "nth": 1, "cut": "cut_before_answer"}
    )
    closed = terminal.close_batch(first.cash + view.total_due, resolve_first=False)
    assert closed.closed
    world.deliver()

    run, found = world.reconcile()
    assert [(d.kind, d.txn_id, d.remedy) for d in found] == [
        ("status_differs", unknown.txn_id, "confirm_or_reverse")
    ]
    assert (run.terminal.count, run.terminal.amount) == (1, first.cash)  # once, not twice
    assert run.company.count == 2

    outcome = _resolve(world, found[0].item_id, Action.CONFIRM, "收费员确认已收现金，补打收据")
    assert outcome.code == "confirmed_as_recorded"
    world.script()
    assert terminal.resolve_pending().complete
    assert terminal.payment(unknown.txn_id).state is PaymentState.CONFIRMED

    again, found_again = world.reconcile()
    # the uploaded journal still says unknown: the same difference, accepted as confirmed
    assert [(d.kind, d.outcome) for d in found_again] == [("status_differs", "accepted")]
    assert again.clean
    world.audit_clean()
    terminal.close()
