"""The fleet's report: one JSON object (``--json``) or a readable summary.

The keys the issue asks for are always there — ``attempted``, ``confirmed``, ``lost``,
``duplicated``, ``one_sided``, ``audit_ok``, ``bytes_per_payment``,
``round_trips_per_payment``, ``served_p50_s`` — with the rest of the day's figures beside them.
``served_p50_s``/``served_p99_s`` are over the customers served online (account query and
payment over the link, from the query to the payment's answer, the collector's typing left
out); customers served offline from the download have ``served_offline_p50_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gridpos.sim.fleet.chaos import DoneFault
from gridpos.sim.fleet.truth import Truth, percentile
from gridpos.sim.fleet.wire import WireFigures


@dataclass(frozen=True, slots=True)
class FloatCheck:
    """Each agent's float against the day: start less what its confirmed payments took."""

    agents: int
    mismatches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True, slots=True)
class AuditResult:
    """``gridpos audit verify --json``: ok, and the checks that failed."""

    ok: bool
    failed: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class FleetReport:
    """Everything a fleet run measured."""

    profile: str
    seed: int
    terminals: int
    data_dir: str
    seconds: float
    truth: Truth
    wire: WireFigures | None
    audit: AuditResult
    floats: FloatCheck
    outbox_pending: int
    outbox_dead: int
    waiting_left: int
    faults: list[DoneFault]
    terminal_crashes: int
    terminal_restarts: int
    batches: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    visits: int = 0
    planned_visits: int = 0
    signed_in: int = 0
    damaged_journals: int = 0

    @property
    def worked(self) -> bool:
        """Every terminal opened its day, and customers came (a day where nothing happened
        proves nothing)."""
        return self.signed_in == self.terminals and (self.visits > 0 or self.planned_visits == 0)

    @property
    def ok(self) -> bool:
        truth = self.truth
        return (
            self.worked
            and truth.lost == 0
            and truth.duplicated == 0
            and truth.one_sided == 0
            and truth.unmatched_server_payments == 0
            and truth.receipts_without_payment == 0
            and truth.mis_ok
            and self.audit.ok
            and self.floats.ok
            and self.waiting_left == 0
            and self.outbox_pending == 0
            and "collector_still_running" not in self.problems
            and self.damaged_journals == 0
        )

    def as_dict(self) -> dict[str, Any]:
        truth, wire = self.truth, self.wire
        served_p50 = percentile(truth.served_s, 0.5)
        served_p99 = percentile(truth.served_s, 0.99)
        offline_p50 = percentile(truth.served_offline_s, 0.5)
        kinds = [fault.kind.value for fault in self.faults if fault.ok]
        body: dict[str, Any] = {
            "ok": self.ok,
            "profile": self.profile,
            "seed": self.seed,
            "terminals": self.terminals,
            "seconds": self.seconds,
            "timings": self.timings,
            "terminals_signed_in": self.signed_in,
            "customers_served": self.visits,
            "customers_planned": self.planned_visits,
            "customers_without_service": self.queries.get("no_answer", 0),
            "queries": self.queries,
            "attempted": truth.attempted,
            "taken": truth.taken,
            "confirmed": truth.confirmed,
            "confirmed_at_counter": truth.confirmed_at_counter,
            "unknown_at_counter": truth.unknown_at_counter,
            "resolved_after_unknown": truth.resolved_after_unknown,
            "reversed": truth.reversed,
            "voided": truth.voided,
            "offline": truth.offline,
            "rejected": truth.rejected,
            "rejected_after_unknown": truth.rejected_after_unknown,
            "refused_at_terminal": truth.refused_at_terminal,
            "handed_back_at_crash": truth.handed_back_at_crash,
            "lost": truth.lost,
            "duplicated": truth.duplicated,
            "one_sided": truth.one_sided,
            "unmatched_server_payments": truth.unmatched_server_payments,
            "waiting_left": self.waiting_left,
            "damaged_journals": self.damaged_journals,
            "receipts_printed": truth.receipts_printed,
            "receipts_without_payment": truth.receipts_without_payment,
            "audit_ok": self.audit.ok,
            "audit_failed": list(self.audit.failed),
            "audit_error": self.audit.error,
            "ledger_ok": self.audit.ok,
            "float_ok": self.floats.ok,
            "float_agents": self.floats.agents,
            "float_mismatches": list(self.floats.mismatches),
            "mis_ok": truth.mis_ok and self.outbox_pending == 0,
            "mis_posted_once": truth.mis_posted_once,
            "mis_missing": truth.mis_missing,
            "mis_duplicated": truth.mis_duplicated,
            "mis_extra": truth.mis_extra,
            "outbox_pending": self.outbox_pending,
            "outbox_dead": self.outbox_dead,
            "bytes_per_payment": wire.bytes_per_payment if wire else None,
            "pay_request_bytes": wire.pay_request_bytes if wire else None,
            "pay_answer_bytes": wire.pay_answer_bytes if wire else None,
            "pay_bytes_max": wire.pay_bytes_max if wire else None,
            "round_trips_per_payment": wire.round_trips_per_payment if wire else None,
            "round_trips_per_warm_payment": wire.round_trips_per_warm_payment if wire else None,
            "warm_pay_p50_s": wire.warm_pay_p50_s if wire else None,
            "wire_bytes_per_payment": round(wire.bytes_total / truth.confirmed, 1)
            if wire and truth.confirmed
            else None,
            "served_p50_s": served_p50,
            "served_p99_s": served_p99,
            "served_offline_p50_s": offline_p50,
            "faults": {
                "terminal_crashes": self.terminal_crashes,
                "terminal_restarts": self.terminal_restarts,
                "server_kills": kinds.count("server_kill"),
                "partitions": kinds.count("partition"),
                "failed": [fault.detail for fault in self.faults if not fault.ok],
                "link_cuts": wire.cuts if wire else {},
                "link_stalls": wire.stalls if wire else 0,
            },
            "link": wire.as_dict() if wire else None,
            "batches": self.batches,
            "problems": self.problems,
            "examples": dict(truth.examples),
            "data_dir": self.data_dir,
        }
        return body

    def text(self) -> str:
        """The readable summary."""
        data = self.as_dict()
        faults = data["faults"]
        lines = [
            f"gridpos fleet: {self.terminals} terminals on {self.profile}, seed {self.seed},"
            f" {self.seconds:.0f} s — {'OK' if self.ok else 'PROBLEMS'}",
            f"  terminals signed in {self.signed_in} of {self.terminals}; customers served"
            f" {data['customers_served']} of {data['customers_planned']}"
            f" ({data['customers_without_service']} without service);"
            f" payments attempted {data['attempted']}, confirmed {data['confirmed']}"
            f" (at the counter {data['confirmed_at_counter']}), offline {data['offline']}",
            f"  unknown at the counter {data['unknown_at_counter']}, resolved after"
            f" {data['resolved_after_unknown']}, reversed {data['reversed']},"
            f" voided {data['voided']}, rejected {data['rejected']}",
            f"  lost {data['lost']}, duplicated {data['duplicated']}, one-sided"
            f" {data['one_sided']}, waiting left {data['waiting_left']}",
            f"  audit {'ok' if data['audit_ok'] else 'BROKEN'}, floats"
            f" {'ok' if data['float_ok'] else 'WRONG'}, MIS"
            f" {'ok' if data['mis_ok'] else 'WRONG'} ({data['mis_posted_once']} posted once)",
            f"  bytes per payment {data['bytes_per_payment']}, round trips per payment"
            f" {data['round_trips_per_payment']} (warm {data['round_trips_per_warm_payment']}),"
            f" served p50 {data['served_p50_s']} s, p99 {data['served_p99_s']} s",
            f"  faults: {faults['terminal_crashes']} terminal crashes, {faults['server_kills']}"
            f" server kills, {faults['partitions']} partitions, cuts {faults['link_cuts']},"
            f" stalls {faults['link_stalls']}",
            f"  data: {self.data_dir}",
        ]
        for kind, examples in data["examples"].items():
            lines.append(f"  {kind}: {', '.join(examples)}")
        return "\n".join(lines)
