from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from laborwatch import pipeline
from laborwatch.cli import build_parser, main
from laborwatch.settings import load_settings

COMMANDS = [
    "demo",
    "run",
    "ingest",
    "outlook",
    "classify",
    "sql",
    "report",
    "alerts",
    "quarantine",
    "validations",
]


def test_help_describes_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    top = capsys.readouterr().out
    for command in COMMANDS:
        assert command in top
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert f"usage: laborwatch {command}" in text
        assert len(text.splitlines()) > 3


def test_design_flags_are_accepted() -> None:
    parser = build_parser()
    args = parser.parse_args(["demo", "--scenario", "junior-cut", "--weeks", "4", "--warehouse", "w.duckdb"])
    assert (args.scenario, args.weeks, args.warehouse) == ("junior-cut", 4, "w.duckdb")
    args = parser.parse_args(["run", "--config", "c.toml", "--warehouse", "w", "--as-of", "2026-01-05"])
    assert args.as_of == "2026-01-05"
    args = parser.parse_args(["ingest", "bls", "--as-of", "2026-01-05"])
    assert args.what == "bls"
    args = parser.parse_args(["sql", "SELECT 1", "--format", "json"])
    assert args.format == "json"
    assert parser.parse_args(["classify", "in.jsonl", "-o", "out.jsonl"]).output == "out.jsonl"
    assert parser.parse_args(["report", "-o", "r.html"]).output == "r.html"
    assert str(parser.parse_args(["alerts", "--since", "2026-01-01"]).since) == "2026-01-01"


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    settings = load_settings(warehouse=tmp_path / "w.duckdb")
    return Path(pipeline.publish(settings))


def test_sql_answers_in_each_format(snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT role_id, total FROM role_cards ORDER BY role_id"
    assert main(["sql", query, "--warehouse", str(snapshot), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["role_id,total", "ai_ml_engineer,52.0"]
    assert main(["sql", query, "--warehouse", str(snapshot), "--format", "json"]) == 0
    assert '"role_id": "ai_ml_engineer"' in capsys.readouterr().out
    assert main(["sql", query, "--warehouse", str(snapshot)]) == 0
    assert "ai_ml_engineer" in capsys.readouterr().out


def test_a_write_through_laborwatch_sql_is_refused(snapshot: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "laborwatch.cli",
            "sql",
            "DELETE FROM staging.role_cards",
            "--warehouse",
            str(snapshot),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "read-only" in result.stderr
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "laborwatch.cli",
            "sql",
            "SELECT count(*) AS n FROM role_cards",
            "--warehouse",
            str(snapshot),
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
    )
    assert check.stdout.split() == ["n", "2"]


def test_sql_without_a_snapshot_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sql", "SELECT 1", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    assert "no analyst snapshot yet" in capsys.readouterr().err
