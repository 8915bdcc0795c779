"""`gridpos audit ...` (filled in with the ledger checks)."""

import typer

app = typer.Typer(help="Checks of the ledger and the audit chain.", no_args_is_help=True)
