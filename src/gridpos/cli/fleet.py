"""`gridpos fleet`: many headless terminals working a collection day through the link emulator.

    gridpos fleet --terminals 8 --profile mountain --seed 7 --json

Unless pointed at running services (``--server-url``, ``--mis-url``, ``--link-url``) it starts
its own reference MIS, server and link emulator in a fresh data directory. Exit status: 0 when
nothing was lost, duplicated or left one-sided and every check passed, 1 when anything did not
(the report says what), 2 when the fleet could not run (one line on stderr).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from gridpos.domain.errors import DomainError
from gridpos.sim.fleet import FleetOptions, run_fleet
from gridpos.sim.link import profile_from_data
from gridpos.terminal import Timeouts

EXIT_PROBLEMS = 1
EXIT_CANNOT_RUN = 2


def _profile(text: str) -> object:
    return json.loads(text) if text.lstrip().startswith("{") else text


def _stop(signum: int, frame: FrameType | None) -> None:
    del frame
    raise KeyboardInterrupt(f"signal {signum}")


def fleet(
    terminals: Annotated[int, typer.Option(help="Terminals, one per collection point.")] = 4,
    skip_seats: Annotated[
        int, typer.Option(help="Leave the first collection points to people (demo).")
    ] = 0,
    profile: Annotated[
        str, typer.Option(help='good | gprs | mountain, or JSON such as \'{"base":"gprs"}\'.')
    ] = "gprs",
    seed: Annotated[int, typer.Option(help="Same seed, same day (as far as timing allows).")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    customers_per_terminal: Annotated[int, typer.Option(help="Customers of each terminal.")] = 30,
    payments_per_terminal: Annotated[int, typer.Option(help="Customers served at most.")] = 20,
    duration: Annotated[float, typer.Option(help="Seconds the day may last at most.")] = 900.0,
    think_min: Annotated[float, typer.Option(help="Least typing between customers, s.")] = 0.5,
    think_max: Annotated[float, typer.Option(help="Most typing between customers, s.")] = 3.0,
    terminal_crashes: Annotated[
        int | None, typer.Option(help="Terminals killed (SIGKILL) once mid-payment.")
    ] = None,
    server_kills: Annotated[
        int | None, typer.Option(help="Server kills (default 3 on mountain).")
    ] = None,
    partitions: Annotated[int | None, typer.Option(help="Times coverage is lost.")] = None,
    partition_s: Annotated[float, typer.Option(help="Seconds each loss lasts.")] = 15.0,
    fault_gap: Annotated[float, typer.Option(help="Least seconds between two faults.")] = 10.0,
    read_timeout: Annotated[
        float | None, typer.Option(help="Terminal read timeout, s (default: the server's).")
    ] = None,
    county_customers: Annotated[int, typer.Option(help="Customers in the county.")] = 3_000,
    county_months: Annotated[int, typer.Option(help="Months of bills.")] = 12,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where everything is kept (default: a new temp dir).")
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="The server's database URL.")] = None,
    server_url: Annotated[str | None, typer.Option(help="A running server.")] = None,
    mis_url: Annotated[str | None, typer.Option(help="A running MIS.")] = None,
    mis_api_key: Annotated[
        str | None, typer.Option(help="Its API key.", envvar="GRIDPOS_MIS_API_KEY")
    ] = None,
    link_url: Annotated[str | None, typer.Option(help="A running link emulator.")] = None,
    link_control: Annotated[str | None, typer.Option(help="Its control endpoint URL.")] = None,
    script: Annotated[
        Path | None, typer.Option(help="JSON rules for the link (cuts by request).")
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial/--no-partial", help="Allow partial payment.")
    ] = True,
    sync_timeout: Annotated[float, typer.Option(help="Seconds to sync at the end.")] = 300.0,
    drain_timeout: Annotated[float, typer.Option(help="Seconds to drain the outbox.")] = 120.0,
) -> None:
    """Run a collection day of many terminals and print what happened to every payment."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        rules = json.loads(script.read_text(encoding="utf-8")) if script else []
        options = FleetOptions(
            terminals=terminals,
            skip_seats=skip_seats,
            profile=profile_from_data(_profile(profile)),
            seed=seed,
            customers_per_terminal=customers_per_terminal,
            payments_per_terminal=payments_per_terminal,
            duration_s=duration,
            think_min_s=think_min,
            think_max_s=think_max,
            terminal_crashes=terminal_crashes,
            server_kills=server_kills,
            partitions=partitions,
            partition_s=partition_s,
            fault_gap_s=fault_gap,
            timeouts=None if read_timeout is None else Timeouts(read_s=read_timeout),
            script=list(rules.get("rules", []) if isinstance(rules, dict) else rules),
            county_customers=county_customers,
            county_months=county_months,
            data_dir=data_dir,
            database_url=database_url,
            server_url=server_url,
            mis_url=mis_url,
            mis_api_key=mis_api_key,
            link_url=link_url,
            link_control_url=link_control,
            allow_partial=partial,
            sync_timeout_s=sync_timeout,
            drain_timeout_s=drain_timeout,
        )
        say = None if as_json else (lambda line: typer.echo(f"» {line}", err=True))
        report = run_fleet(options, say=say)
    except (DomainError, OSError, ValueError) as exc:
        typer.echo(f"fleet: {exc}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from exc
    except KeyboardInterrupt:
        typer.echo("fleet: stopped", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True))
    else:
        typer.echo(report.text())
    sys.stdout.flush()
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)
