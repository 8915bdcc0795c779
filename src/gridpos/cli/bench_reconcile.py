"""`gridpos bench reconcile`: a month of payments reconciled three ways against the bare full
outer join of the same three sets, measured in the same run (see
:mod:`gridpos.sim.bench.reconcile`). Prints JSON with ``--json`` (a short table otherwise);
exit status 1 when the run is over its limit or found other differences than were made."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from gridpos.sim.bench.reconcile import DEFAULT_PG_ADMIN, run_bench
from gridpos.sim.bench.reconcile_data import BenchCounty


def reconcile(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    database: Annotated[
        str, typer.Option(help="postgresql (a new database, dropped after) or sqlite.")
    ] = "postgresql",
    payments: Annotated[int, typer.Option(min=1_000, max=20_000_000)] = 1_000_000,
    days: Annotated[int, typer.Option(min=1, max=62, help="Business dates.")] = 30,
    terminals: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
    customers: Annotated[int, typer.Option(min=1, max=10_000_000)] = 50_000,
    pg_admin: Annotated[
        str, typer.Option(help="libpq DSN allowed to create and drop the bench database.")
    ] = DEFAULT_PG_ADMIN,
) -> None:
    """Reconcile a generated month (1,000,000 payments by default) and print the run's time,
    the bare join's time and their ratio."""
    if database not in {"postgresql", "sqlite"}:
        raise typer.BadParameter("postgresql or sqlite", param_hint="--database")
    county = BenchCounty(payments=payments, days=days, terminals=terminals, customers=customers)
    result = run_bench(database=database, county=county, pg_admin=pg_admin)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else _table(result))
    if not result["ok"]:
        raise typer.Exit(1)


def _table(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"{result['database']}: {result['payments']} payments over"
            f" {result['county']['days']} days",
            f"run {result['seconds']} s, bare full outer join {result['baseline_seconds']} s,"
            f" ratio {result['ratio']} ({result['limit']}: "
            f"{'met' if result['within_limit'] else 'NOT met'})",
            f"differences {result['differences']}"
            f" ({'as made' if result['differences_as_expected'] else 'NOT as made'})",
        ]
    )
