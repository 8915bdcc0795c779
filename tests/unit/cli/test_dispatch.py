"""The ``gridpos`` command mounts only the command named: each runs as before, and a light
command does not pay for loading the server, the benchmarks or the terminal's screen."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gridpos.cli import COMMANDS, build, named_command

RUNNER = CliRunner()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["serve", "--port", "1"], "serve"),
        (["refmis", "generate"], "refmis"),
        (["--help"], None),
        ([], None),
        (["nosuch"], None),
        (["--help", "db"], "db"),
    ],
)
def test_the_command_named_is_the_first_argument_that_is_no_option(
    arguments: list[str], named: str | None
) -> None:
    assert named_command(arguments) == named


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_mounted_alone_answers_under_its_own_name(name: str) -> None:
    answer = RUNNER.invoke(build((name,)), [name, "--help"])

    assert answer.exit_code == 0, answer.output
    assert f"Usage: gridpos {name}" in answer.output


def test_the_whole_command_lists_every_command() -> None:
    answer = RUNNER.invoke(build(), ["--help"])

    assert answer.exit_code == 0
    listed = answer.output
    assert all(f" {name} " in listed for name in COMMANDS)


def test_the_link_emulator_starts_without_the_server_or_the_benchmarks() -> None:
    probe = (
        "import sys; sys.argv = ['gridpos', 'link', '--help']\n"
        "from gridpos.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('gridpos.bootstrap', 'gridpos.sim.bench', 'gridpos.terminal.ui',"
        " 'sqlalchemy', 'fastapi') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )

    assert "Usage: gridpos link" in ran.stdout
    assert "HEAVY []" in ran.stdout
