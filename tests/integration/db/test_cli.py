"""`gridpos db …` and `gridpos audit verify`: results, exit codes, one line for a bad database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from gridpos.adapters.db.migrate import head_revision
from gridpos.cli import app

from .world import Scenario, World

HEAD = head_revision()

BAD_URLS = [
    "postgresql://gp:s3cret@127.0.0.1:1/gridpos",  # nothing listens on port 1
    "mysql://gp:s3cret@localhost/gridpos",
    "::not a url::",
]


def _run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def test_db_upgrade_creates_the_default_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "does" / "not" / "exist"
    env = {"GRIDPOS_DATA_DIR": str(data_dir), "GRIDPOS_DATABASE_URL": ""}

    upgraded = _run("db", "upgrade", env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert (data_dir / "gridpos.sqlite").is_file()
    assert upgraded.stdout.strip().endswith(f"is at revision {HEAD}")

    current = _run("db", "current", env=env)
    assert current.exit_code == 0
    assert f"at revision {HEAD} (newest: {HEAD})" in current.stdout

    down = _run("db", "downgrade", "base", env=env)
    assert down.exit_code == 0
    assert down.stdout.strip().endswith("is at revision none")


def test_db_upgrade_follows_gridpos_database_url(empty_database_url: str) -> None:
    result = _run("db", "upgrade", env={"GRIDPOS_DATABASE_URL": empty_database_url})
    assert result.exit_code == 0, result.output
    assert f"is at revision {HEAD}" in result.stdout


def test_audit_verify_passes_on_a_consistent_database(
    database_url: str, scenario: Scenario, world: World
) -> None:
    scenario.topup(100_000)
    scenario.collect(5_000, penalties={world.march_id: 100})

    text = _run("audit", "verify", "--database-url", database_url)
    assert text.exit_code == 0, text.output
    assert text.stdout.strip().endswith("all checks pass")

    as_json = _run("audit", "verify", "--json", "--database-url", database_url)
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert report["ok"] is True
    assert report["breaks"] == []
    assert [check["name"] for check in report["checks"]] == [
        "transaction_balanced",
        "kept_balance",
        "receivable_allocations",
        "payment_totals",
        "payment_float",
        "terminal_day_totals",
        "collection_day_totals",
        "audit_append_only",
        "audit_chain",
    ]


def test_audit_verify_names_every_break_and_exits_1(
    database_url: str, engine: Engine, scenario: Scenario, world: World, tamper: Any
) -> None:
    scenario.topup(100_000)
    tamper("UPDATE agents SET float_available = 1")
    tamper("UPDATE customers SET prepaid = 7")

    text = _run("audit", "verify", "--database-url", database_url)
    assert text.exit_code == 1
    assert f"kept_balance: agents {world.agent_id} float_available: expected 100000, found 1" in (
        text.stdout
    )
    assert f"kept_balance: customers {world.customer_id} prepaid: expected 0, found 7" in (
        text.stdout
    )
    assert text.stdout.strip().endswith("2 break(s) found")

    as_json = _run("audit", "verify", "--json", "--database-url", database_url)
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["breaks"] == [
        {
            "check": "kept_balance",
            "table": "agents",
            "row_id": world.agent_id,
            "what": "float_available",
            "expected": 100_000,
            "found": 1,
        },
        {
            "check": "kept_balance",
            "table": "customers",
            "row_id": world.customer_id,
            "what": "prepaid",
            "expected": 0,
            "found": 7,
        },
    ]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", [["audit", "verify", "--json"], ["db", "upgrade"]])
def test_a_bad_database_url_is_one_line_and_exit_2(command: list[str], url: str) -> None:
    result = _run(*command, "--database-url", url)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gridpos: cannot reach the database")
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_verifying_a_database_never_migrated_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).close()
    result = _run("audit", "verify", "--database-url", f"sqlite:///{path}")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"gridpos: the database schema is at revision none, not {HEAD}:"
        " run `gridpos db upgrade` first [database_schema_not_current]"
    )


def test_the_installed_command_prints_one_line_for_an_unreachable_database() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "gridpos", "audit", "verify", "--database-url", BAD_URLS[0]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith(
        "gridpos: cannot reach the database postgresql+psycopg://gp:***@127.0.0.1:1/gridpos:"
    )
