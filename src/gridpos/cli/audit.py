"""`gridpos audit verify [--json]`: check the ledger's invariants and the audit chain.

Exit status: 0 when every check passes, 1 when anything breaks (every break is named), 2 when
the database cannot be reached or is not migrated (one line on stderr).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import DEFAULT_BREAK_LIMIT, AuditReport, verify_database
from gridpos.cli.db import DatabaseUrl, database_errors, database_url

EXIT_BROKEN = 1

app = typer.Typer(help="Checks of the ledger and the audit chain.", no_args_is_help=True)


@app.command()
def verify(
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"ok", "checks", "breaks"} as JSON.')
    ] = False,
    limit: Annotated[
        int, typer.Option(min=1, help="Name at most this many breaks per check.")
    ] = DEFAULT_BREAK_LIMIT,
    url: DatabaseUrl = None,
) -> None:
    """Every transaction balances, every kept balance equals its entries, allocations match
    receivables, and the audit chain is unbroken and still protected by its triggers."""
    target = database_url(url)
    with database_errors():
        engine = create_engine_for(target)
        try:
            report = verify_database(SqlUnitOfWork(engine, write=False), limit=limit)
        finally:
            engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(_text(report))
    if not report.ok:
        raise typer.Exit(EXIT_BROKEN)


def _text(report: AuditReport) -> str:
    lines: list[str] = []
    for check in report.checks:
        if check.ok:
            lines.append(f"ok      {check.name}: {check.description}")
            continue
        more = " (more not shown)" if check.truncated else ""
        lines.append(f"BROKEN  {check.name}: {len(check.breaks)} break(s){more}")
        lines.extend(f"          {item.describe()}" for item in check.breaks)
    lines.append("all checks pass" if report.ok else f"{len(report.breaks)} break(s) found")
    return "\n".join(lines)
