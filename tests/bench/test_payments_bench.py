"""`gridpos bench payments --json` end to end, at a scale of seconds: it seeds its own database,
starts the server, drives signed terminals, runs the pgbench baseline, seals and verifies, and
prints the figures the issue asks for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

LEVEL_KEYS = {"terminals", "payments_per_s", "p50_ms", "p99_ms", "baseline_per_s", "ratio"}


def _admin_url() -> str:
    """The PostgreSQL the tests use (``GRIDPOS_TEST_PG_DSN``, as tests/conftest.py reads it)."""
    dsn = os.environ.get(
        "GRIDPOS_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    )
    params = dict(part.split("=", 1) for part in dsn.split())
    user, host, port = params.get("user"), params.get("host"), params.get("port", "5432")
    return f"postgresql://{user}@{host}:{port}/{params.get('dbname', 'postgres')}"


@pytest.mark.usefixtures("pg_available")
def test_the_payments_benchmark_prints_its_figures() -> None:
    if shutil.which("pgbench") is None:
        pytest.skip("pgbench is not installed")
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "gridpos",
            "bench",
            "payments",
            "--json",
            f"--admin-url={_admin_url()}",
            "--levels=1,2",
            "--duration=1",
            "--warmup=0",
            "--workers=1",
            "--sqlite-levels=1",
            "--baseline-customers=500",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout)
    levels = result["levels"]
    assert [level["terminals"] for level in levels] == [1, 2]
    for level in levels:
        assert set(level) >= LEVEL_KEYS
        assert level["payments_per_s"] > 0
        assert level["baseline_per_s"] > 0
        assert level["ratio"] == pytest.approx(
            level["payments_per_s"] / level["baseline_per_s"], rel=0.01
        )
        assert 0 < level["p50_ms"] <= level["p99_ms"]
        assert (level["errors"], level["refused"]) == (0, {})
    assert result["server"]["workers"] == 1
    assert [level["terminals"] for level in result["sqlite"]] == [1]
    assert result["sqlite"][0]["payments_per_s"] > 0
    assert result["audit"]["verify_ok"] is True
    assert result["audit"]["sealed"] > 0  # the payments' audit entries, chained at the end
    assert result["target"]["terminals"] == 32
    assert "seeding" in finished.stderr
