"""`gridpos org import-mis | demo-setup`: the organisation from the MIS, and the demo's people.

``import-mis`` creates the county company and its supply stations from the MIS's
``GET /organisation`` (idempotent). ``demo-setup`` then creates, under every station, collection
points with funded agents, terminals and operators, and prints how to sign in (see
:mod:`gridpos.application.demo_setup`). Exit status 1 when the MIS or the database refuses, 2 when
either cannot be reached or nothing is configured.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated

import typer
from argon2 import PasswordHasher

from gridpos.adapters.mis import MisClient, MisError
from gridpos.application.demo_setup import (
    DEFAULT_FLOAT_FEN,
    DEFAULT_SEED,
    DemoSetup,
    DemoSetupError,
    set_up_demo,
)
from gridpos.application.floats import FloatError
from gridpos.application.organisation_import import import_organisation
from gridpos.cli.db import EXIT_DATABASE, DatabaseUrl, database_errors
from gridpos.cli.mis_options import MisApiKey, MisUrl, current_engine, require_mis, settings_with
from gridpos.domain.errors import DomainError
from gridpos.domain.money import parse_yuan
from gridpos.interfaces.workers import UtcClock

app = typer.Typer(
    help="The organisation tree: import from the MIS, demo setup.", no_args_is_help=True
)


def _refused(exc: DomainError) -> typer.Exit:
    typer.echo(f"gridpos: {exc.message_en} [{exc.code}]", err=True)
    return typer.Exit(EXIT_DATABASE if exc.code.startswith("mis_unreach") else 1)


@app.command(name="import-mis")
def import_mis(
    url: DatabaseUrl = None, mis_url: MisUrl = None, mis_api_key: MisApiKey = None
) -> None:
    """Create the county company and its supply stations with the MIS's codes."""
    settings = settings_with(url, mis_url, mis_api_key)
    require_mis(settings)
    assert settings.mis_url is not None  # noqa: S101 - checked by require_mis
    with database_errors():
        engine = current_engine(settings)
    client = MisClient(base_url=settings.mis_url, api_key=settings.mis_api_key or "")
    try:
        with client, database_errors():
            try:
                result = import_organisation(engine, client, clock=UtcClock())
            except MisError as exc:
                raise _refused(exc) from exc
    finally:
        engine.dispose()
    typer.echo(
        f"county {result.county_code}: {len(result.created)} created, {len(result.renamed)}"
        f" renamed, {len(result.unchanged)} unchanged"
    )


@app.command(name="demo-setup")
def demo_setup(
    url: DatabaseUrl = None,
    seed: Annotated[str, typer.Option(help="Same seed, same passwords.")] = DEFAULT_SEED,
    float_yuan: Annotated[str, typer.Option("--float", help="Each new agent's float, yuan.")] = str(
        Decimal(DEFAULT_FLOAT_FEN) / 100
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the sign-ins as JSON.")] = False,
) -> None:
    """Create collection points, funded agents, terminals and operators under every station,
    and print how to sign in."""
    try:
        float_fen = parse_yuan(float_yuan, field="float")
    except DomainError as exc:
        raise _refused(exc) from exc
    settings = settings_with(url, None, None)
    with database_errors():
        engine = current_engine(settings)
    try:
        with database_errors():
            try:
                result = set_up_demo(
                    engine, clock=UtcClock(), hasher=PasswordHasher(), seed=seed,
                    float_fen=float_fen,
                )  # fmt: skip
            except (DemoSetupError, FloatError) as exc:
                raise _refused(exc) from exc
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in result.sign_ins], ensure_ascii=False, indent=1))
        return
    typer.echo(_table(result))


def _table(result: DemoSetup) -> str:
    lines = [
        f"created {result.created_points} collection points, {result.created_operators}"
        f" operators, {result.created_terminals} terminals; funded {result.funded_agents} agents",
        "",
        f"{'role':<13} {'organisation code':<18} {'account':<12} {'password':<11} terminal",
    ]
    for s in result.sign_ins:
        lines.append(
            f"{s.role:<13} {s.org_code:<18} {s.account:<12} {s.password:<11}"
            f" {s.terminal_no or ''}  {s.org_name}"
        )
    lines.append("")
    lines.append(
        "Agents sign in on a terminal with account, password and the collection point's code;"
        " enrol each terminal first with `gridpos terminals enrol-code <terminal>`."
    )
    return "\n".join(lines)
