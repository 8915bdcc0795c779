"""`gridpos terminal` on the command line: its options, and start-up refusals by name."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gridpos.cli import app

runner = CliRunner()


def test_help_names_every_option() -> None:
    result = runner.invoke(app, ["terminal", "--help"])
    assert result.exit_code == 0
    for option in ("--server", "--data-dir", "--lang", "--printer", "--paper", "--copies"):
        assert option in result.output
    assert "--enrol" in result.output
    assert "--pdf-copies" in result.output


def test_a_bad_printer_address_is_refused_in_both_languages(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "terminal",
            "--server",
            "http://127.0.0.1:1",
            "--data-dir",
            str(tmp_path),
            "--printer",
            "lpt1",
        ],
    )
    assert result.exit_code == 1
    assert "打印机地址格式不正确" in result.output
    assert "Printer address must look like" in result.output
    assert "[printer_address_invalid]" in result.output
    assert not (tmp_path / "journal.sqlite3").exists()


def test_a_journal_that_cannot_be_created_stops_the_program(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    result = runner.invoke(
        app, ["terminal", "--server", "http://127.0.0.1:1", "--data-dir", str(blocker / "pos")]
    )
    assert result.exit_code == 1
    assert "终端流水无法写入" in result.output
    assert "[journal_unwritable]" in result.output


def test_an_unknown_language_or_paper_is_refused(tmp_path: Path) -> None:
    base = ["terminal", "--server", "http://x", "--data-dir", str(tmp_path / "pos")]
    assert runner.invoke(app, [*base, "--lang", "fr"]).exit_code == 2
    assert runner.invoke(app, [*base, "--paper", "57"]).exit_code == 2
    assert runner.invoke(app, [*base, "--copies", "3"]).exit_code == 2
    assert not (tmp_path / "pos").exists()
