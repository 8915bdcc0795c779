"""`gridpos link` as a process: starts, proxies, answers its control endpoint, stops on SIGTERM."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gridpos.cli import app

from .upstream import Upstream, client, get

STARTED = re.compile(
    r"link listening on 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:(\d+) \(profile (\S+), seed (\d+)\);"
    r" control http://127\.0\.0\.1:(\d+)"
)


def _lines(stream: object) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_the_command_proxies_is_controlled_and_stops_on_sigterm(
    upstream: Upstream, tmp_path: Path
) -> None:
    script = tmp_path / "cuts.json"
    script.write_text(json.dumps({"rules": [{"request": 2, "cut": "cut_before_answer"}]}))
    host, port = upstream.address
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gridpos",
            "link",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            f"{host}:{port}",
            "--profile",
            '{"base": "good", "one_way_ms": 5}',
            "--seed",
            "3",
            "--script",
            str(script),
            "--control",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(process.stdout)
        first = lines.get(timeout=20)
        match = STARTED.match(first)
        assert match, first
        listen_port, upstream_port, profile, seed, control_port = match.groups()
        assert (int(upstream_port), profile, seed) == (port, "good", "3")
        address = ("127.0.0.1", int(listen_port))
        conn = client(address)
        assert get(conn, "/one") == b"ok /one"
        conn.request("GET", "/two")
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
        upstream.wait_for("/two", answered=True)
        control = httpx.Client(base_url=f"http://127.0.0.1:{control_port}", timeout=5)
        stats = control.get("/stats").json()
        assert (stats["requests"], stats["cuts"]["cut_before_answer"]) == (2, 1)
        assert control.get("/control").json()["profile"]["one_way_ms"] == 5
        changed = control.post("/control", json={"script": None, "profile": "good"}).json()
        assert changed["script"] == {"rules": []}
        conn.close()
        assert get(conn, "/three") == b"ok /three"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        last = lines.get(timeout=5)
        assert last.startswith("link stopped ")
        totals = json.loads(last.removeprefix("link stopped "))
        assert totals["requests"] == 3
        assert totals["answers_delivered"] == 2
        assert totals["connections_open"] == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (["--upstream", "nowhere"], "link_address_invalid"),
        (["--listen", "127.0.0.1:99999"], "link_address_invalid"),
        (["--profile", "lan"], "link_profile_unknown"),
        (["--profile", "{broken"], "link_profile_invalid"),
        (["--profile", '{"one_way_ms": -1}'], "link_profile_invalid"),
        (["--script", "/nonexistent/cuts.json"], "link_script_invalid"),
    ],
)
def test_bad_arguments_are_refused_before_listening(arguments: list[str], code: str) -> None:
    result = CliRunner().invoke(app, ["link", *arguments])
    assert result.exit_code == 2
    assert code in result.output


def test_a_bad_script_file_is_refused_naming_the_rule(tmp_path: Path) -> None:
    script = tmp_path / "cuts.json"
    script.write_text('[{"request": 1, "cut": "snip"}]')
    result = CliRunner().invoke(app, ["link", "--script", str(script)])
    assert result.exit_code == 2
    assert "script.rules[0].cut" in result.output
