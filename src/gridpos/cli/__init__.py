"""The ``gridpos`` command. Each group lives in its own module and is mounted here.

A command imports only what it needs: ``gridpos link`` does not load the benchmarks, the
terminal's screen or the server. :func:`main` looks at the command named on the command line and
mounts that one alone (:data:`COMMANDS` says where each lives); with no command, ``--help`` or a
name it does not know, it mounts them all, so the listing and the error are Typer's own. ``app``
(every command mounted) is built when first asked for (``from gridpos.cli import app``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import typer

HELP: Final = "gridpos: electricity-bill collection through networked POS terminals."


@dataclass(frozen=True, slots=True)
class Command:
    """Where a command lives: ``group`` is a Typer app of sub-commands, otherwise a function."""

    module: str
    attribute: str
    group: bool


COMMANDS: Final[dict[str, Command]] = {
    "db": Command("gridpos.cli.db", "app", group=True),
    "audit": Command("gridpos.cli.audit", "app", group=True),
    "refmis": Command("gridpos.cli.refmis", "app", group=True),
    "demo": Command("gridpos.cli.demo", "demo", group=False),
    "link": Command("gridpos.cli.link", "link", group=False),
    "serve": Command("gridpos.cli.serve", "serve", group=False),
    "terminals": Command("gridpos.cli.terminals", "app", group=True),
    "terminal": Command("gridpos.cli.terminal", "terminal", group=False),
    "org": Command("gridpos.cli.org", "app", group=True),
    "worker": Command("gridpos.cli.worker", "worker", group=False),
    "fleet": Command("gridpos.cli.fleet", "fleet", group=False),
    "bench": Command("gridpos.cli.bench", "app", group=True),
    "reconcile": Command("gridpos.cli.reconcile", "app", group=True),
}


def build(names: Sequence[str] = tuple(COMMANDS)) -> typer.Typer:
    """The ``gridpos`` app with the commands ``names`` mounted, in :data:`COMMANDS`' order."""
    built = typer.Typer(name="gridpos", help=HELP, no_args_is_help=True, add_completion=False)
    built.callback()(_top)
    for name, command in COMMANDS.items():
        if name not in names:
            continue
        target = getattr(importlib.import_module(command.module), command.attribute)
        if command.group:
            built.add_typer(target, name=name)
        else:
            built.command(name=name)(target)
    return built


def _top() -> None:
    # the app's own callback: with it, one command mounted alone is still named on the line
    return


def named_command(arguments: Sequence[str]) -> str | None:
    """The command the arguments name (the first that is not an option), when it is known."""
    for argument in arguments:
        if not argument.startswith("-"):
            return argument if argument in COMMANDS else None
    return None


def main() -> None:
    """``gridpos``: run the command the command line names, having mounted only it."""
    name = named_command(sys.argv[1:])
    built = build((name,)) if name is not None else _everything()
    built()


@cache
def _everything() -> typer.Typer:
    return build()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _everything()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
