"""The ``gridpos`` command. Each group lives in its own module and is mounted here."""

from __future__ import annotations

import typer

from gridpos.cli import (
    audit,
    bench,
    db,
    demo,
    fleet,
    link,
    org,
    reconcile,
    refmis,
    serve,
    terminal,
    terminals,
    worker,
)

app = typer.Typer(
    name="gridpos",
    help="gridpos: electricity-bill collection through networked POS terminals.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(refmis.app, name="refmis")
app.command(name="demo")(demo.demo)
app.command(name="link")(link.link)
app.command(name="serve")(serve.serve)
app.add_typer(terminals.app, name="terminals")
app.command(name="terminal")(terminal.terminal)
app.add_typer(org.app, name="org")
app.command(name="worker")(worker.worker)
app.command(name="fleet")(fleet.fleet)
app.add_typer(bench.app, name="bench")
app.add_typer(reconcile.app, name="reconcile")
