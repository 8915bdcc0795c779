"""`gridpos db ...` (filled in with the database adapter)."""

import typer

app = typer.Typer(help="The server's database.", no_args_is_help=True)
