"""Recording what a run found: each difference against the work queue's item of the same
(transaction, sides, kind), and every item the run covered and did not find again — cleared, and
said so in the run, so a difference never disappears silently.

What becomes of a difference found:

| the item was | the difference now | outcome |
| --- | --- | --- |
| unknown, or cleared before | new; safe remedy | to repair (the run's repair step applies it) |
| unknown, or cleared before | new; not safe | queued for a person |
| open | again | queued |
| waiting for a decision | again | requested |
| resolved or written off, same figures | again | accepted |
| resolved or written off, other figures | again | reopened (queued) |
| repaired or awaiting, safe and never repaired | again | to repair |
| repaired before and still there | again | queued: a person looks at it |
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from gridpos.adapters.db.reconciliation.runs import ItemRow, RunStore
from gridpos.application.reconciliation.evidence import Evidence, records
from gridpos.application.reconciliation.notes import note
from gridpos.application.reconciliation.scope import Scope
from gridpos.domain.reconciliation import Finding, Remedy, signature

OPEN_OUTCOMES: Final = frozenset({"queued", "reopened", "requested"})


@dataclass(frozen=True, slots=True)
class RunWindow:
    """The run being recorded."""

    run_id: int
    date_from: date
    date_to: date
    scope: Scope
    sides: tuple[str, ...]  # the sides this run compared
    mis_at_day_end: bool
    now: datetime


@dataclass(slots=True)
class Recorded:
    """What recording found, for the run's figures."""

    differences: int = 0
    open: int = 0
    new: int = 0
    again: int = 0
    cleared: int = 0
    accepted: int = 0
    to_repair: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)


def _difference_row(
    window: RunWindow, evidence: Evidence, finding: Finding, *, item_id: int
) -> dict[str, Any]:
    journal, company, mis = records(
        evidence, date_to=window.date_to, mis_at_day_end=window.mis_at_day_end
    )
    terminal_id, agent_id, org_path, account_no = evidence.place
    payment = evidence.payment
    return {
        "run_id": window.run_id,
        "item_id": item_id,
        "sides": finding.between.value,
        "kind": finding.kind.value,
        "remedy": finding.remedy.value,
        "safe": finding.safe,
        "reason": finding.reason,
        "txn_id": evidence.txn_id,
        "payment_id": payment.id if payment is not None else None,
        "terminal_id": terminal_id,
        "agent_id": agent_id,
        "org_path": org_path,
        "business_date": evidence.business_date,
        "account_no": account_no,
        "coverage": evidence.coverage.value,
        "journal_cash": journal.cash if journal else None,
        "journal_state": journal.state if journal else None,
        "journal_offline": journal.offline if journal else None,
        "company_cash": company.cash if company else None,
        "company_state": company.state_at_day_end if company else None,
        "company_state_mis": company.state_for_mis if company else None,
        "company_mis_state": company.mis_state if company else None,
        "mis_cash": mis.cash if mis else None,
        "mis_state": mis.state if mis else None,
        "mis_serial": mis.serial if mis else None,
    }


def _item_values(
    window: RunWindow, evidence: Evidence, finding: Finding, sig: str
) -> dict[str, Any]:
    terminal_id, agent_id, org_path, account_no = evidence.place
    return {
        "remedy": finding.remedy.value,
        "safe": finding.safe,
        "reason": finding.reason,
        "payment_id": evidence.payment.id if evidence.payment is not None else None,
        "terminal_id": terminal_id,
        "agent_id": agent_id,
        "org_path": org_path,
        "business_date": evidence.business_date,
        "account_no": account_no,
        "cash": evidence.largest_cash,
        "signature": sig,
        "last_run_id": window.run_id,
        "updated_at": window.now,
    }


def _fresh(finding: Finding) -> tuple[str, str]:
    """The item's state and the difference's outcome for a difference not seen before."""
    return ("awaiting", "to_repair") if finding.safe else ("open", "queued")


def _decide(item: ItemRow, finding: Finding, sig: str) -> tuple[str, str, str]:
    """(item state, outcome, note) for a difference found again."""
    if item.state == "cleared":
        state, outcome = _fresh(finding)
        return state, outcome, note("found_again").stored()
    if item.state in ("resolved", "written_off"):
        if item.signature == sig:
            return item.state, "accepted", ""
        return "open", "reopened", note("changed_since_resolved").stored()
    if item.state == "requested":
        return "requested", "requested", ""
    if item.state == "open":
        return "open", "queued", ""
    if finding.remedy is Remedy.AWAIT_DELIVERY:
        return "awaiting", "to_repair", ""
    if finding.safe and item.repairs == 0:
        return "awaiting", "to_repair", ""
    return "open", "queued", note("repaired_before").stored()


def record_findings(
    store: RunStore, window: RunWindow, found: Sequence[tuple[Evidence, tuple[Finding, ...]]]
) -> Recorded:
    """Write the run's differences and move their items (see the module docstring)."""
    recorded = Recorded()
    keys = [
        (evidence.txn_id, finding.between.value, finding.kind.value)
        for evidence, findings in found
        for finding in findings
    ]
    items = store.items_by_key(keys)
    last = store.last_differences([item.id for item in items.values()])
    rows: list[dict[str, Any]] = []
    fresh_items: list[dict[str, Any]] = []
    fresh_rows: list[dict[str, Any]] = []  # the rows whose item is written with fresh_items
    for evidence, findings in found:
        journal, company, mis = records(
            evidence, date_to=window.date_to, mis_at_day_end=window.mis_at_day_end
        )
        sig = signature(journal, company, mis)
        for finding in findings:
            key = (evidence.txn_id, finding.between.value, finding.kind.value)
            values = _item_values(window, evidence, finding, sig)
            item = items.get(key)
            row = _difference_row(window, evidence, finding, item_id=0)
            if item is None:
                state, outcome = _fresh(finding)
                fresh_items.append(
                    {
                        **values,
                        "txn_id": evidence.txn_id,
                        "sides": finding.between.value,
                        "kind": finding.kind.value,
                        "state": state,
                        "first_run_id": window.run_id,
                    }
                )
                fresh_rows.append(row)
                row.update(change="new", previous_id=None, outcome=outcome, outcome_note="")
            else:
                state, outcome, said = _decide(item, finding, sig)
                if outcome == "accepted":
                    values = {"last_run_id": window.run_id, "updated_at": window.now}
                if not _move(store, item, {**values, "state": state}):
                    outcome, said = "queued", note("changed_while_recorded").stored()
                row.update(
                    item_id=item.id,
                    change="new" if item.state == "cleared" else "again",
                    previous_id=last.get(item.id),
                    outcome=outcome,
                    outcome_note=said,
                )
            rows.append(row)
            recorded.differences += 1
            recorded.by_kind[finding.kind.value] += 1
            recorded.new += row["change"] == "new"
            recorded.again += row["change"] == "again"
            recorded.open += outcome in OPEN_OUTCOMES
            recorded.accepted += outcome == "accepted"
    fresh_ids = store.add_items(window.run_id, fresh_items)
    for row in fresh_rows:
        row["item_id"] = fresh_ids[(row["txn_id"], row["sides"], row["kind"])]
    store.add_differences(rows)
    recorded.to_repair = sum(row["outcome"] == "to_repair" for row in rows)
    recorded.cleared = _clear(store, window)
    return recorded


def _move(store: RunStore, item: ItemRow, values: dict[str, Any]) -> bool:
    if store.change_item(item.id, version=item.version, values=values):
        return True
    fresh = store.item(item.id)  # an operator acted meanwhile: apply on what they left, once
    return fresh is not None and store.change_item(fresh.id, version=fresh.version, values=values)


def _clear(store: RunStore, window: RunWindow) -> int:
    """Clear every waiting item the run covered and did not find; each said so in the run."""
    scope = window.scope
    gone = store.clearable(
        run_id=window.run_id,
        date_from=window.date_from,
        date_to=window.date_to,
        sides=window.sides,
        org_prefix=scope.org_prefix,
        agent_id=scope.agent_id,
        terminal_id=scope.terminal_id,
    )
    if not gone:
        return 0
    last = store.last_differences([item.id for item in gone])
    rows = []
    for item in gone:
        if not store.change_item(
            item.id,
            version=item.version,
            values={"state": "cleared", "last_run_id": window.run_id, "updated_at": window.now},
        ):
            continue
        rows.append(
            {
                "run_id": window.run_id,
                "item_id": item.id,
                "previous_id": last.get(item.id),
                "change": "cleared",
                "sides": item.sides,
                "kind": item.kind,
                "remedy": item.remedy,
                "safe": item.safe,
                "reason": item.reason,
                "txn_id": item.txn_id,
                "payment_id": item.payment_id,
                "terminal_id": item.terminal_id,
                "agent_id": item.agent_id,
                "org_path": item.org_path,
                "business_date": item.business_date,
                "account_no": item.account_no,
                "outcome": "cleared",
                "outcome_note": note("no_longer_found", was=item.state).stored(),
            }
        )
    store.add_differences(rows)
    return len(rows)
