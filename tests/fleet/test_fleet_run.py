"""A small fleet with faults, end to end: the reference MIS, `gridpos serve` and `gridpos link` as
real processes, four terminals (one a process that is killed with SIGKILL mid-payment), the
server killed once, coverage lost once, and cuts forced on every kind of write through the link.
Nothing may be lost, duplicated or left one-sided, and every check must pass."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gridpos.cli import app
from gridpos.sim.fleet import FleetOptions, run_fleet
from gridpos.sim.link import LinkProfile
from gridpos.terminal import Timeouts

# mountain-like, scaled down so the day takes seconds: small latencies, short stalls and a
# terminal that gives up on a black hole after two seconds
SMALL_MOUNTAIN = LinkProfile(
    name="small-mountain",
    one_way_ms=15,
    jitter_ms=5,
    stall_probability=0.03,
    stall_min_s=0.2,
    stall_max_s=0.8,
    drop_request_probability=0.02,
    cut_before_answer_probability=0.03,
    cut_mid_answer_probability=0.02,
    black_hole_probability=0.01,
)
PAY = "^/t/v1/pay$"
# every write operation cut at least once, whatever the chances draw
FORCED_CUTS = [
    {"method": "POST", "path": PAY, "nth": 2, "cut": "cut_before_answer"},
    {"method": "POST", "path": PAY, "nth": 4, "cut": "drop_request"},
    {"method": "POST", "path": PAY, "nth": 6, "cut": "cut_mid_answer", "answer_bytes": 40},
    {"method": "POST", "path": PAY, "nth": 9, "cut": "black_hole"},
    {"method": "POST", "path": PAY, "nth": 11, "cut": "cut_before_answer"},
    {"method": "POST", "path": "^/t/v1/reverse$", "nth": 1, "cut": "cut_before_answer"},
    {"method": "POST", "path": "^/t/v1/offline$", "nth": 1, "cut": "cut_before_answer"},
    {"method": "POST", "path": "^/t/v1/batch/close$", "nth": 1, "cut": "cut_before_answer"},
]
# what a failure shows
WHY = (
    "attempted", "confirmed", "reversed", "voided", "rejected", "rejected_after_unknown",
    "refused_at_terminal", "handed_back_at_crash", "unknown_at_counter", "resolved_after_unknown",
    "lost", "duplicated", "one_sided", "unmatched_server_payments", "receipts_without_payment",
    "waiting_left", "audit_ok", "audit_error", "audit_failed", "float_mismatches", "mis_missing",
    "mis_duplicated", "mis_extra", "outbox_pending", "faults", "problems", "examples", "timings",
    "terminals_signed_in", "customers_served", "data_dir",
)  # fmt: skip


def test_a_small_fleet_with_faults_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    options = FleetOptions(
        terminals=4,
        profile=SMALL_MOUNTAIN,
        seed=11,
        customers_per_terminal=12,
        payments_per_terminal=10,
        duration_s=60.0,
        think_min_s=0.05,
        think_max_s=0.3,
        terminal_crashes=1,
        server_kills=1,
        partitions=1,
        partition_s=1.5,
        fault_gap_s=1.0,
        timeouts=Timeouts(connect_s=2.0, read_s=2.0, write_s=2.0, pool_s=2.0),
        script=FORCED_CUTS,
        county_customers=300,
        county_months=3,
        data_dir=tmp_path / "fleet",
        sync_timeout_s=40.0,
        drain_timeout_s=30.0,
    )
    report = run_fleet(options)
    data = report.as_dict()
    why = {key: data[key] for key in WHY}
    assert data["attempted"] >= 25, why
    assert (data["lost"], data["duplicated"], data["one_sided"]) == (0, 0, 0), why
    assert data["unmatched_server_payments"] == 0, why
    assert data["receipts_without_payment"] == 0, why
    assert data["waiting_left"] == 0, why
    assert data["audit_ok"], why
    assert data["float_ok"], why
    assert data["mis_ok"], why
    assert data["mis_posted_once"] == data["confirmed"], why
    assert data["ok"], why
    # the faults really happened
    faults = data["faults"]
    assert faults["server_kills"] == 1, why
    assert faults["terminal_crashes"] == 1, why
    assert faults["terminal_restarts"] >= 1, why
    assert sum(faults["link_cuts"].values()) >= len(FORCED_CUTS) - 2, why
    assert data["unknown_at_counter"] >= 1, why
    assert data["resolved_after_unknown"] == data["unknown_at_counter"], why
    # every payment the customer handed cash for is accounted for, one way or another
    accounted = (
        data["confirmed"]
        + data["reversed"]
        + data["voided"]
        + data["rejected"]
        + data["rejected_after_unknown"]
        + data["refused_at_terminal"]
        + data["handed_back_at_crash"]
    )
    assert accounted == data["attempted"], why
    # figures on the wire were measured and printed
    assert 0 < data["bytes_per_payment"] <= 1500, why
    assert data["round_trips_per_payment"] >= 1.0, why
    assert data["served_p50_s"] is not None, why


def test_the_command_refuses_a_fleet_it_cannot_run_by_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["fleet", "--terminals", "0", "--json"])
    assert result.exit_code == 2
    assert "fleet_option_invalid" in result.output
    assert "--terminals" in result.output
    result = CliRunner().invoke(app, ["fleet", "--profile", "swamp"])
    assert result.exit_code == 2
    assert "link_profile_unknown" in result.output
