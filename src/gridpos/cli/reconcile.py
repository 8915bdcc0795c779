"""`gridpos reconcile`: 对账 from the command line and for scheduling.

    gridpos reconcile --from 2026-04-01 --to 2026-04-30 [--org CODE] [--json]
    gridpos reconcile export-file --date 2026-04-10 [--org CODE] [--output FILE]
    gridpos reconcile import-file FILE [--date 2026-04-10] [--json]

The run matches the terminals' journals, the company's payments and the MIS's postings (its daily
posting detail, or ``--source file`` its reconciliation files; ``--source none`` leaves the MIS
out), records every difference against the work queue, repairs what is safe (``--no-repair`` to
only look) and prints the figures per side and every difference. ``import-file`` checks a
银电联网 file whole (nothing is kept when any line is wrong: the line and the reason are printed)
and reconciles its business date against it.

Exit status: 0 when nothing is left for a person; 1 when differences wait in the work queue; 2
for a refusal (bad dates, an unknown node, a file that does not read) or an unreachable or
unmigrated database.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from gridpos.adapters.mis import MisClient
from gridpos.application.reconciliation import (
    ReconciliationError,
    ReconciliationServices,
    RunRequest,
    export_file,
    import_file,
    reconcile,
    run_outcome,
)
from gridpos.application.reconciliation.notes import in_english
from gridpos.bootstrap import SystemClock
from gridpos.cli.db import EXIT_DATABASE, DatabaseUrl, database_errors
from gridpos.cli.mis_options import MisApiKey, MisUrl, current_engine, settings_with

EXIT_OPEN = 1
MIS_TIMEOUT_S = 30.0
ACTOR = "system:cli"

app = typer.Typer(
    help="对账: reconcile terminals, company and MIS; export or import 银电联网 files.",
    invoke_without_command=True,
)

OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Organisation code, agent code or terminal number (default: everything).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("a date written YYYY-MM-DD", param_hint=option) from None


def _services(
    url: str | None, mis_url: str | None, mis_api_key: str | None
) -> tuple[ReconciliationServices, MisClient | None]:
    settings = settings_with(url, mis_url, mis_api_key)
    engine = current_engine(settings)
    client = (
        MisClient(
            base_url=settings.mis_url,
            api_key=settings.mis_api_key or "",
            timeout_s=MIS_TIMEOUT_S,
        )
        if settings.mis_url
        else None
    )
    return ReconciliationServices.build(engine=engine, clock=SystemClock(), mis=client), client


def _refused(exc: ReconciliationError) -> typer.Exit:
    typer.echo(f"gridpos: {exc.field or 'reconcile'}: {exc.message_en} [{exc.code}]", err=True)
    typer.echo(f"gridpos: {exc.message_zh}", err=True)
    return typer.Exit(EXIT_DATABASE)


def _report(services: ReconciliationServices, run_id: int, *, as_json: bool) -> None:
    summary, by_kind, differences = run_outcome(services, run_id)
    if as_json:
        payload: dict[str, Any] = {
            **asdict(summary),
            "mis_note": in_english(summary.mis_note),
            "clean": summary.clean,
            "by_kind": [asdict(count) for count in by_kind],
            "differences": [
                {**asdict(difference), "outcome_note": in_english(difference.outcome_note)}
                for difference in differences
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(_text(summary, by_kind, differences))
    if not summary.clean:
        raise typer.Exit(EXIT_OPEN)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _text(summary: Any, by_kind: Any, differences: Any) -> str:
    s = summary
    lines = [
        f"run {s.id}: {s.date_from} .. {s.date_to}, {s.scope_kind} {s.scope_code} {s.scope_name}",
        f"MIS: {s.mis_source} — {in_english(s.mis_note)}",
        f"terminal journals  {s.terminal.count:>9}  {_yuan(s.terminal.amount):>14}"
        f"   (+ attested by balanced batches {s.attested.count}, {_yuan(s.attested.amount)};"
        f" not yet reported {s.unreported.count}, {_yuan(s.unreported.amount)})",
        f"company payments   {s.company.count:>9}  {_yuan(s.company.amount):>14}"
        f"   (undone {s.company_undone.count}, {_yuan(s.company_undone.amount)})",
        f"MIS postings       {s.mis.count:>9}  {_yuan(s.mis.amount):>14}"
        f"   (undone {s.mis_undone.count}, {_yuan(s.mis_undone.amount)})",
        f"matched {s.matched}; differences {s.differences} (new {s.new}, again {s.again});"
        f" repaired {s.repaired}; cleared since {s.cleared}; open {s.open}",
    ]
    lines.extend(
        f"  {count.sides:<16} {count.kind:<15} {count.change:<7} {count.count:>6}"
        f"  still open {count.still_open}"
        for count in by_kind
    )
    lines.extend(
        f"  {d.kind:<15} {d.txn_id}  journal {d.journal_cash}/{d.journal_state}"
        f"  company {d.company_cash}/{d.company_state}  MIS {d.mis_cash}/{d.mis_state}"
        f"  → {d.remedy}: {d.outcome} {in_english(d.outcome_note)}".rstrip()
        for d in differences
        if d.change != "cleared"
    )
    lines.append("clean: nothing left for a person" if s.clean else f"{s.open} difference(s) wait")
    return "\n".join(lines)


@app.callback()
def run(
    ctx: typer.Context,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First business date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last business date (default: --from).")
    ] = None,
    org: OrgOption = None,
    source: Annotated[
        str, typer.Option(help="The MIS side: report (posting detail), file or none.")
    ] = "report",
    repair: Annotated[
        bool, typer.Option("--repair/--no-repair", help="Apply the safe remedies.")
    ] = True,
    as_json: JsonOption = False,
    url: DatabaseUrl = None,
    mis_url: MisUrl = None,
    mis_api_key: MisApiKey = None,
) -> None:
    """Reconcile a range of business dates for a node (see the module docstring)."""
    if ctx.invoked_subcommand is not None:
        return
    first = _day(date_from, "--from")
    if first is None:
        raise typer.BadParameter("give the first business date", param_hint="--from")
    last = _day(date_to, "--to") or first
    with database_errors():
        services, client = _services(url, mis_url, mis_api_key)
    try:
        with database_errors():
            try:
                run_id = reconcile(
                    services,
                    RunRequest(
                        date_from=first,
                        date_to=last,
                        scope_code=org,
                        mis_source=source,
                        origin="command",
                        actor=ACTOR,
                        repair=repair,
                    ),
                )
            except ReconciliationError as exc:
                raise _refused(exc) from exc
            _report(services, run_id, as_json=as_json)
    finally:
        if client is not None:
            client.close()
        services.engine.dispose()


@app.command("export-file")
def export(
    day: Annotated[str, typer.Option("--date", help="The business date (YYYY-MM-DD).")],
    org: OrgOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write here (default: standard output).")
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Our 银电联网 reconciliation file of a business date, in GBK."""
    business_date = _day(day, "--date")
    assert business_date is not None  # noqa: S101 - the option is required
    with database_errors():
        services, _client = _services(url, None, None)
    try:
        with database_errors():
            try:
                data = export_file(services, business_date=business_date, scope_code=org)
            except ReconciliationError as exc:
                raise _refused(exc) from exc
    finally:
        services.engine.dispose()
    if output is None:
        typer.get_binary_stream("stdout").write(data)
    else:
        output.write_bytes(data)
        typer.echo(f"{output}: {len(data)} bytes", err=True)


@app.command("import-file")
def import_(
    path: Annotated[Path, typer.Argument(help="A 银电联网 reconciliation file (GBK).")],
    day: Annotated[
        str | None, typer.Option("--date", help="Refuse a file of another date.")
    ] = None,
    repair: Annotated[
        bool, typer.Option("--repair/--no-repair", help="Apply the safe remedies.")
    ] = True,
    as_json: JsonOption = False,
    url: DatabaseUrl = None,
) -> None:
    """Check a file whole, keep it, and reconcile its business date against it."""
    expected = _day(day, "--date")
    try:
        data = path.read_bytes()
    except OSError as exc:
        typer.echo(f"gridpos: cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(EXIT_DATABASE) from exc
    with database_errors():
        services, _client = _services(url, None, None)
    try:
        with database_errors():
            try:
                imported = import_file(
                    services,
                    data,
                    actor=ACTOR,
                    file_name=path.name,
                    date_from=expected,
                    date_to=expected,
                )
            except ReconciliationError as exc:
                raise _refused(exc) from exc
            typer.echo(
                f"{path.name}: {imported.business_date}, {imported.count} line(s),"
                f" {_yuan(imported.total_fen)} yuan; {imported.ours} of ours compared",
                err=True,
            )
            run_id = reconcile(
                services,
                RunRequest(
                    date_from=imported.business_date,
                    date_to=imported.business_date,
                    mis_load_id=imported.load_id,
                    origin="import",
                    actor=ACTOR,
                    repair=repair,
                ),
            )
            _report(services, run_id, as_json=as_json)
    finally:
        services.engine.dispose()
