"""`gridpos terminals add | enrol-code | list | disable | enable | request-journal`: terminals.

The enrolment code is twelve random digits shown once; the installer types it on the terminal,
which enrols itself with it (the server keeps only the code's hash).
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Annotated

import typer

from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.admin import add_terminal, list_terminals, set_terminal_disabled
from gridpos.application.terminals.enrolment import issue_enrolment_code
from gridpos.application.terminals.journal_requests import (
    JournalRequestError,
    request_journal_by_number,
)
from gridpos.bootstrap import build_services
from gridpos.cli.db import DatabaseUrl, database_errors, database_url
from gridpos.settings import Settings

app = typer.Typer(
    help="POS terminals: add, enrolment codes, list, disable, ask for a journal.",
    no_args_is_help=True,
)

_ACTOR = "cli"


def _services(url: str | None) -> Services:
    settings = Settings.from_env()
    return build_services(Settings(data_dir=settings.data_dir, database_url=database_url(url)))


def _refused(exc: RefusalError) -> typer.Exit:
    typer.echo(f"gridpos: {exc.message_en} [{exc.code}]", err=True)
    return typer.Exit(1)


@app.command()
def add(
    terminal_no: Annotated[str, typer.Argument(help="Eight-digit terminal number.")],
    org: Annotated[str, typer.Option(help="Code of the collection point (or station).")],
    agent: Annotated[str | None, typer.Option(help="Code of the agent it collects for.")] = None,
    url: DatabaseUrl = None,
) -> None:
    """Issue a terminal; it enrols with a code from `enrol-code`."""
    with database_errors():
        try:
            add_terminal(
                _services(url),
                terminal_no=terminal_no,
                org_code=org,
                agent_code=agent,
                actor=_ACTOR,
            )
        except RefusalError as exc:
            raise _refused(exc) from exc
    typer.echo(f"terminal {terminal_no} issued at {org}")


@app.command(name="enrol-code")
def enrol_code(
    terminal_no: Annotated[str, typer.Argument(help="Eight-digit terminal number.")],
    hours: Annotated[int, typer.Option(min=1, max=168, help="Hours the code is valid.")] = 24,
    url: DatabaseUrl = None,
) -> None:
    """Make a one-time enrolment code (shown once) for a terminal."""
    code = f"{secrets.randbelow(10**12):012d}"
    with database_errors():
        try:
            expires = issue_enrolment_code(
                _services(url),
                terminal_no=terminal_no,
                code=code,
                actor=_ACTOR,
                valid_for=timedelta(hours=hours),
            )
        except RefusalError as exc:
            raise _refused(exc) from exc
    typer.echo(f"enrolment code for {terminal_no}: {code} (valid until {expires.isoformat()})")


@app.command(name="list")
def list_(url: DatabaseUrl = None) -> None:
    """Every terminal: number, state, business date, last seen counter."""
    with database_errors():
        records = list_terminals(_services(url))
    for record in records:
        day = record.business_date.isoformat() if record.business_date else "-"
        typer.echo(f"{record.terminal_no}  {record.state:8}  {day}  counter {record.last_counter}")


@app.command()
def disable(
    terminal_no: Annotated[str, typer.Argument(help="Eight-digit terminal number.")],
    url: DatabaseUrl = None,
) -> None:
    """Disable a terminal: its next request is refused."""
    with database_errors():
        try:
            set_terminal_disabled(
                _services(url), terminal_no=terminal_no, disabled=True, actor=_ACTOR
            )
        except RefusalError as exc:
            raise _refused(exc) from exc
    typer.echo(f"terminal {terminal_no} disabled")


@app.command()
def enable(
    terminal_no: Annotated[str, typer.Argument(help="Eight-digit terminal number.")],
    url: DatabaseUrl = None,
) -> None:
    """Enable a disabled terminal again."""
    with database_errors():
        try:
            set_terminal_disabled(
                _services(url), terminal_no=terminal_no, disabled=False, actor=_ACTOR
            )
        except RefusalError as exc:
            raise _refused(exc) from exc
    typer.echo(f"terminal {terminal_no} enabled")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("a date written YYYY-MM-DD", param_hint=option) from None


@app.command(name="request-journal")
def request_journal(
    terminal_no: Annotated[str, typer.Argument(help="Eight-digit terminal number.")],
    date_from: Annotated[str, typer.Option("--from", help="First business date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last business date, YYYY-MM-DD.")],
    url: DatabaseUrl = None,
) -> None:
    """Ask a terminal for its journal of these business dates (终端流水调阅): it uploads it after
    its next heartbeat, and reconciliation reads it as the terminal's side."""
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    with database_errors():
        try:
            request_id = request_journal_by_number(
                _services(url), terminal_no=terminal_no, date_from=first, date_to=last, actor=_ACTOR
            )
        except JournalRequestError as exc:
            typer.echo(f"gridpos: {exc.message_en} [{exc.code}]", err=True)
            raise typer.Exit(1) from exc
    typer.echo(
        f"journal request {request_id}: terminal {terminal_no}, {first.isoformat()} to"
        f" {last.isoformat()}, pending until its next heartbeat"
    )
