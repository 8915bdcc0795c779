"""`gridpos demo`: the embedded default with a live demo county."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpos.settings import default_data_dir
from gridpos.sim import demo as demo_runner


def demo(
    customers: Annotated[
        int, typer.Option(help="Customers in the generated county.")
    ] = demo_runner.DEFAULT_CUSTOMERS,
    full: Annotated[
        bool, typer.Option("--full", help="The full-size county (150,000 customers).")
    ] = False,
    months: Annotated[int, typer.Option(help="Months of bills.")] = demo_runner.DEFAULT_MONTHS,
    seed: Annotated[int, typer.Option(help="Same seed, same county.")] = 7,
    regenerate: Annotated[bool, typer.Option(help="Generate the county again.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the demo keeps its files.")] = None,
    host: Annotated[str, typer.Option(help="Address the services listen on.")] = "127.0.0.1",
    refmis_port: Annotated[int, typer.Option(help="Port of the reference MIS.")] = 8700,
) -> None:
    """Generate a county, create the databases, start every part, and keep them running."""
    plan = demo_runner.DemoPlan(
        data_dir=(data_dir or default_data_dir() / "demo").resolve(),
        customers=demo_runner.FULL_CUSTOMERS if full else customers,
        months=months,
        seed=seed,
        host=host,
        refmis_port=refmis_port,
        refmis_api_key="demo-refmis-key",
        regenerate=regenerate,
    )
    raise typer.Exit(demo_runner.run(plan))
