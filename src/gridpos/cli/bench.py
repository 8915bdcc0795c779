"""``gridpos bench …``: benchmarks that start what they measure, drive it, and print figures.

Each benchmark is one command of this group, printing JSON with ``--json`` (a short table
otherwise) and its progress on stderr. ``gridpos bench payments`` is the payment server against
raw SQL on PostgreSQL, plus the SQLite embedded figure (see :mod:`gridpos.sim.bench.payments`).
A new benchmark adds its command here: ``app.command(name="…")(function)``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from gridpos.cli.bench_reconcile import reconcile
from gridpos.sim.bench import BenchConfig, run_payments_bench
from gridpos.sim.bench.baseline import BaselineUnavailableError
from gridpos.sim.bench.console_cli import console
from gridpos.sim.bench.payments import DEFAULT_ADMIN_URL

app = typer.Typer(help="Benchmarks that print JSON.", no_args_is_help=True)


def _counts(text: str, option: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        counts = ()
    if any(count < 1 for count in counts):
        counts = ()
    if not counts and text.strip():
        raise typer.BadParameter(
            "a comma-separated list of whole numbers, 1 or more", param_hint=option
        )
    return counts


def payments(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    admin_url: Annotated[
        str,
        typer.Option(help="A PostgreSQL URL allowed to create and drop the bench database."),
    ] = DEFAULT_ADMIN_URL,
    levels: Annotated[str, typer.Option(help="Concurrent terminals, comma-separated.")] = "1,8,32",
    duration: Annotated[float, typer.Option(min=0.5, help="Measured seconds per level.")] = 10.0,
    warmup: Annotated[float, typer.Option(min=0.0, help="Seconds before measuring.")] = 2.0,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=16, help="Server processes (default: try 1, 2, 3; keep the best)."),
    ] = None,
    selection: Annotated[
        float, typer.Option(min=0.5, help="Measured seconds per worker count tried.")
    ] = 5.0,
    sqlite_levels: Annotated[
        str, typer.Option(help="Terminals for the SQLite figure ('' to skip).")
    ] = "1,8",
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Run audit verify over the result.")
    ] = True,
    baseline_customers: Annotated[
        int, typer.Option(min=100, help="Customers the baseline pays (at random).")
    ] = 50_000,
) -> None:
    """Payments per second through `gridpos serve` on PostgreSQL at each level of concurrent
    signed terminals, p50/p99 latency, the raw-SQL baseline at the same concurrency and the ratio;
    then the SQLite embedded figure."""
    config = BenchConfig(
        admin_url=admin_url,
        levels=_counts(levels, "--levels"),
        duration_s=duration,
        warmup_s=warmup,
        workers=workers,
        selection_duration_s=selection,
        sqlite_levels=_counts(sqlite_levels, "--sqlite-levels"),
        baseline_customers=baseline_customers,
        verify=verify,
    )
    try:
        result = run_payments_bench(config, progress=lambda line: typer.echo(line, err=True))
    except BaselineUnavailableError as exc:
        typer.echo(f"gridpos: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else _table(result))


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"server: {result['server']['workers']} worker(s);"
        f" {result['machine']['cpus']} CPUs; PostgreSQL {result['machine']['postgresql']}",
        "terminals  payments/s  p50 ms  p99 ms  baseline/s  ratio",
    ]
    lines.extend(
        f"{level['terminals']:>9}  {level['payments_per_s']:>10}  {level['p50_ms']:>6}"
        f"  {level['p99_ms']:>6}  {level['baseline_per_s']:>10}  {level['ratio']}"
        for level in result["levels"]
    )
    lines.extend(
        f"SQLite {level['terminals']:>2} terminal(s): {level['payments_per_s']}/s,"
        f" p99 {level['p99_ms']} ms"
        for level in result["sqlite"]
    )
    return "\n".join(lines)


app.command(name="payments")(payments)
app.command(name="reconcile")(reconcile)
app.command(name="console")(console)
