"""``gridpos bench console``: the command (mounted in :mod:`gridpos.cli.bench`).

Prints the figures as JSON with ``--json`` (a short table otherwise) and its progress on stderr.
Exit status 2 when PostgreSQL, the server or the MIS cannot be used, or a kept dataset is missing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import psycopg
import typer

from gridpos.sim.bench.console import (
    DEFAULT_ADMIN_URL,
    ConsoleBenchConfig,
    DatasetSize,
    run_console_bench,
)
from gridpos.sim.bench.console_http import SignInFailedError
from gridpos.sim.bench.console_live import LiveCheckError

_SIZE = DatasetSize()


def console(  # noqa: PLR0917 - a command's options
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    admin_url: Annotated[
        str,
        typer.Option(help="A PostgreSQL URL allowed to create and drop the bench databases."),
    ] = DEFAULT_ADMIN_URL,
    customers: Annotated[int, typer.Option(min=10, help="Customers of the county.")] = (
        _SIZE.customers
    ),
    months: Annotated[int, typer.Option(min=1, max=24, help="Months of bills.")] = _SIZE.months,
    payments: Annotated[int, typer.Option(min=100, help="Payments in the history.")] = (
        _SIZE.payments
    ),
    days: Annotated[int, typer.Option(min=2, max=366, help="Business dates they span.")] = (
        _SIZE.days
    ),
    terminals: Annotated[int, typer.Option(min=2, help="Terminals that collect.")] = (
        _SIZE.terminals
    ),
    requests: Annotated[int, typer.Option(min=1, help="Timed answers per page.")] = 100,
    page_seconds: Annotated[
        float, typer.Option(min=1.0, help="At most this long timing one page.")
    ] = 60.0,
    live_samples: Annotated[int, typer.Option(min=1, max=50, help="Live-check payments.")] = 5,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Server processes.")] = 1,
    keep: Annotated[
        bool, typer.Option("--keep/--no-keep", help="Keep the databases (see --reuse).")
    ] = False,
    reuse: Annotated[
        str | None,
        typer.Option(help="Measure a dataset kept by --keep (its database name), not a new one."),
    ] = None,
) -> None:
    """Every console list and search page over a county-sized PostgreSQL dataset (p50/p95 per
    page, per person and filter), and how long a terminal's payment takes to reach the
    monitoring page."""
    config = ConsoleBenchConfig(
        admin_url=admin_url,
        size=DatasetSize(
            customers=customers, months=months, payments=payments, days=days, terminals=terminals
        ),
        requests=requests,
        page_time_limit_s=page_seconds,
        live_samples=live_samples,
        workers=workers,
        keep=keep,
        reuse=reuse,
    )
    try:
        result = run_console_bench(config, progress=lambda line: typer.echo(line, err=True))
    except (
        psycopg.Error,
        httpx.HTTPError,
        LookupError,
        SignInFailedError,
        LiveCheckError,
        TimeoutError,
    ) as exc:
        typer.echo(f"gridpos: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else _table(result))


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['customers']} customers, {result['payments']} payments;"
        f" PostgreSQL {result['postgresql']}; {result['server_workers']} server process(es)",
        f"{'page':<22} {'p50 ms':>8} {'p95 ms':>8} {'requests':>9}",
    ]
    lines.extend(
        f"{page['page']:<22} {page['p50_ms']!s:>8} {page['p95_ms']!s:>8} {page['requests']:>9}"
        for page in result["pages"]
    )
    over = ", ".join(result["over_limit"]) or "none"
    lines.append(f"over {result['limits']['p95_ms']:.0f} ms p95: {over}")
    lines.append(f"payment to monitoring page: {result['monitoring_latency_s']} s (at most)")
    return "\n".join(lines)
