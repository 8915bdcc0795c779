"""`gridpos refmis ...`: serve the reference MIS, generate its demo county, run a billing month.

Database: ``--database-url``, else ``GRIDPOS_REFMIS_DATABASE_URL``, else ``refmis.sqlite`` in the
data directory. API key: ``--api-key``, else ``GRIDPOS_REFMIS_API_KEY`` (required to serve).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime
from typing import Annotated

import typer
import uvicorn

from gridpos.domain.dates import add_months, period_of
from gridpos.domain.errors import DomainError
from gridpos.domain.penalty import default_penalty_rules
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.accounts import CHINA_TIME
from gridpos.refmis.app import create_app
from gridpos.refmis.billing import run_billing
from gridpos.refmis.engine import make_engine
from gridpos.refmis.faults import FaultState, parse_fault_setting
from gridpos.refmis.generator import CountySpec, load_county
from gridpos.refmis.pricing import BillingPolicy
from gridpos.refmis.tables import create_schema
from gridpos.settings import default_data_dir

app = typer.Typer(help="The reference marketing MIS (营销MIS).", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="SQLAlchemy URL of the MIS database [env GRIDPOS_REFMIS_DATABASE_URL]."),
]


def _database_url(given: str | None) -> str:
    return (
        given
        or os.environ.get("GRIDPOS_REFMIS_DATABASE_URL")
        or f"sqlite:///{default_data_dir() / 'refmis.sqlite'}"
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(error: DomainError) -> typer.Exit:
    typer.echo(f"refmis: {error}", err=True)
    return typer.Exit(2)


@app.command()
def serve(
    database_url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    api_key: Annotated[
        str | None, typer.Option(help="API key clients send [env GRIDPOS_REFMIS_API_KEY].")
    ] = None,
    faults: Annotated[
        str | None,
        typer.Option(
            help="normal | slow:<ms> | error:<percent> | down [env GRIDPOS_REFMIS_FAULTS]."
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the MIS's HTTP interface (OpenAPI at /docs) until interrupted."""
    key = api_key or os.environ.get("GRIDPOS_REFMIS_API_KEY")
    if not key:
        typer.echo("refmis: an API key is required (--api-key or GRIDPOS_REFMIS_API_KEY)", err=True)
        raise typer.Exit(2)
    try:
        fault_text = faults or os.environ.get("GRIDPOS_REFMIS_FAULTS") or "normal"
        fault_state = FaultState(parse_fault_setting(fault_text))
        engine = make_engine(_database_url(database_url))
    except DomainError as exc:
        raise _fail(exc) from exc
    create_schema(engine)
    application = create_app(engine=engine, api_key=key, clock=_now, faults=fault_state)
    uvicorn.run(application, host=host, port=port, log_level=log_level)


def _default_last_period(today: date) -> str:
    return add_months(period_of(today), -1)


@app.command()
def generate(
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 150_000,
    months: Annotated[int, typer.Option(help="Months of bills per customer.")] = 12,
    seed: Annotated[int, typer.Option(help="Same seed, same county.")] = 7,
    last_period: Annotated[
        str | None, typer.Option(help="Last billing month YYYYMM [default: last month].")
    ] = None,
    database_url: DatabaseUrl = None,
    replace: Annotated[bool, typer.Option(help="Empty a database that holds a county.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Generate a county modelled on 岳西 into an empty MIS database and print the time taken."""
    today = _now().astimezone(CHINA_TIME).date()
    try:
        spec = CountySpec(
            customers=customers,
            months=months,
            seed=seed,
            last_period=last_period or _default_last_period(today),
            as_of=today,
        )
        engine = make_engine(_database_url(database_url))
        try:
            summary = load_county(
                engine,
                spec,
                schedule=default_tariff_schedule(),
                rules=default_penalty_rules(),
                replace=replace,
            )
        finally:
            engine.dispose()
    except DomainError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, sort_keys=True))
        return
    typer.echo(
        f"generated {summary.customers} customers in {summary.stations} stations and"
        f" {summary.villages} villages, {summary.receivables} receivables"
        f" ({spec.periods[0]}–{spec.periods[-1]}), {summary.overdue_receivables} overdue,"
        f" in {summary.seconds:.1f} s"
    )
    sys.stdout.flush()


@app.command()
def bill(
    period: Annotated[str, typer.Option(help="Billing month YYYYMM to bill.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Run billing for a month: customers not yet billed get new receivables."""
    try:
        engine = make_engine(_database_url(database_url))
        try:
            create_schema(engine)
            result = run_billing(
                engine,
                period=period,
                today=_now().astimezone(CHINA_TIME).date(),
                schedule=default_tariff_schedule(),
                policy=BillingPolicy(),
            )
        finally:
            engine.dispose()
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
