"""`laborwatch classify IN.jsonl [-o OUT.jsonl]` (DESIGN §3.3) and the re-classification report."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from laborwatch.classify_cmd import OUTPUT_FIELDS, ClassifyInputError, classify_jsonl, reclassify_report
from laborwatch.cli import main
from transforms.classify import CLASSIFIER_VERSION

LINES = [
    {
        "id": "p1",
        "title": "Senior Machine Learning Engineer",
        "company": "Acme",
        "location": "Remote",
        "description": "<h3>What you'll do</h3><ul><li>Ship models to production</li><li>Join the on-call rotation</li></ul>",
        "extra": {"kept": True},
    },
    {
        "id": 2,
        "title": "Data Scientist Intern",
        "company": "Beta",
        "location": "NYC",
        "description": "Fine-tune pretrained models.\nNice to have: experience deploying models.",
    },
    {"id": "p3", "title": "Backend Developer", "company": None, "location": None, "description": None},
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_output_is_each_input_line_plus_the_labels(tmp_path: Path, cards) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(x) for x in LINES])
    out_path = tmp_path / "out.jsonl"
    assert classify_jsonl(src, out_path, cards) == 3
    out = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    for given, got in zip(LINES, out, strict=True):
        assert {k: got[k] for k in given} == given  # the input line, unchanged
        assert set(got) == set(given) | set(OUTPUT_FIELDS)
        assert got["classifier_version"] == CLASSIFIER_VERSION
    assert out[0]["role_id"] == "ai_ml_engineer" and out[0]["seniority"] == "senior"
    assert out[0]["tags"] == ["deployment", "failure_response"] and out[0]["production_ownership"] is True
    assert out[1]["role_id"] == "data_scientist" and out[1]["seniority"] == "intern"
    assert out[1]["tags"] == ["routine_adaptation"] and out[1]["routine_only"] is True
    assert (out[2]["role_id"], out[2]["soc_code"], out[2]["tags"]) == (None, "15-1252", [])


def test_stdout_when_no_output_file(tmp_path: Path, cards, capsys) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(LINES[0]), "", json.dumps(LINES[1])])
    assert classify_jsonl(src, None, cards) == 2
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["id"] for p in printed] == ["p1", 2]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": 1, "title": "x"', "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object, got list"),
        ('{"id": 1, "title": 5}', "line 2: 'title' must be a string or null"),
    ],
)
def test_bad_line_is_a_clear_error_naming_the_line(tmp_path: Path, cards, line: str, message: str) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(LINES[0]), line])
    out_path = tmp_path / "out.jsonl"
    with pytest.raises(ClassifyInputError, match=message):
        classify_jsonl(src, out_path, cards)
    assert not out_path.exists()  # nothing half-written


def test_cli_wiring(tmp_path: Path, capsys) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps(LINES[0]), "{broken"])
    assert main(["classify", str(src)]) != 0
    assert "line 2" in capsys.readouterr().err
    good = _write(tmp_path / "good.jsonl", [json.dumps(LINES[0])])
    out_path = tmp_path / "out.jsonl"
    assert main(["classify", str(good), "-o", str(out_path)]) == 0
    assert json.loads(out_path.read_text(encoding="utf-8"))["role_id"] == "ai_ml_engineer"


def test_missing_input_file(tmp_path: Path, cards) -> None:
    with pytest.raises(FileNotFoundError):
        classify_jsonl(tmp_path / "nope.jsonl", None, cards)


def _classified(rows: list[tuple[str | None, str, list[str]]], version: str) -> pl.DataFrame:
    production = {"deployment", "evaluation", "monitoring", "data_quality", "failure_response"}
    return pl.DataFrame(
        {
            "posting_key": [f"k{i}" for i in range(len(rows))],
            "role_id": [r[0] for r in rows],
            "seniority": [r[1] for r in rows],
            "tags": [r[2] for r in rows],
            "production_ownership": [bool(set(r[2]) & production) for r in rows],
            "routine_only": [r[2] == ["routine_adaptation"] for r in rows],
            "classifier_version": [version] * len(rows),
        },
        schema_overrides={"role_id": pl.String},
    )


def test_reclassify_report_gives_the_change_in_every_share() -> None:
    before = _classified(
        [
            ("ai_ml_engineer", "entry", ["routine_adaptation"]),
            ("ai_ml_engineer", "entry", ["routine_adaptation"]),
            ("ai_ml_engineer", "senior", ["deployment"]),
            (None, "mid", []),
        ],
        "1.0.0+aaaa",
    )
    after = _classified(
        [
            ("ai_ml_engineer", "entry", ["deployment", "routine_adaptation"]),
            ("ai_ml_engineer", "entry", ["routine_adaptation"]),
            ("ai_ml_engineer", "senior", ["deployment"]),
            ("data_scientist", "mid", []),
        ],
        "1.1.0+bbbb",
    )
    report = reclassify_report(before, after)

    def row(scope: str, label: str) -> dict:
        return report.filter((pl.col("scope") == scope) & (pl.col("label") == label)).to_dicts()[0]

    entry = row("ai_ml_engineer", "entry_production_share")
    assert (entry["share_before"], entry["share_after"], entry["delta"]) == (0.0, 0.5, 0.5)
    assert entry["n_before"] == entry["n_after"] == 2
    assert row("all", "routine_only")["delta"] == pytest.approx(-0.25)
    assert row("all", "tag:deployment")["share_after"] == pytest.approx(0.5)
    assert row("all", "role:data_scientist")["share_before"] == 0.0  # label absent before: share 0
    assert row("all", "role:data_scientist")["share_after"] == 0.25
    assert row("all", "seniority:entry")["delta"] == 0.0
    assert set(report["version_before"]) == {"1.0.0+aaaa"} and set(report["version_after"]) == {"1.1.0+bbbb"}
    assert {"scope", "label", "n_before", "n_after", "share_before", "share_after", "delta"} <= set(
        report.columns
    )
