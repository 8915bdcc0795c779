"""`gridpos refmis ...` (filled in with the reference MIS)."""

import typer

app = typer.Typer(help="The reference marketing MIS (营销MIS).", no_args_is_help=True)
