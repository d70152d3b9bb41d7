"""The benchmark suite runs end to end at a tiny size and reports sane figures (no timing assertions).

`make bench` takes many minutes at 1,000,000 postings; this runs every case the same way (each in
its own process, through benchmarks.run) at a few hundred, into a private cache, and checks that
each reports a figure that could be true: all cases present, positive times and rates, peak memory
between the interpreter's size and the machine's, the docs block regenerated with the text around
it kept, and the incremental case's undo leaving the warehouse as it was (it raises otherwise).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.harness import CACHE_ENV

N = 300
PARSE_N = 20  # per source format

EXPECTED = {
    "classify",
    "classify_floor",
    "classify_rowwise",
    "signals_full",
    "outlook_full",
    "incremental",
    "load_bulk_floor",
    "load_upsert",
    *(f"query_{name}" for name in run.QUERY_NAMES),
    *(f"parse_{source}" for source in run.PARSE_SOURCES),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    tmp = tmp_path_factory.mktemp("bench")
    os.environ[CACHE_ENV] = str(tmp / "cache")
    docs = tmp / "benchmarks.md"
    docs.write_text(f"# Benchmarks\n\nwritten by hand\n\n{run.START}\nold figures\n{run.END}\n\nkept too\n")
    try:
        code = run.main(
            [
                "--n", str(N), "--parse-n", str(PARSE_N), "--repeats", "1",
                "--results", str(tmp / "results.json"), "--docs", str(docs),
            ]
        )  # fmt: skip
    finally:
        del os.environ[CACHE_ENV]
    data = json.loads((tmp / "results.json").read_text())
    assert code == (1 if any("error" in f for f in data["figures"]) else 0)
    return data, docs.read_text()


def test_every_case_reports_a_figure(results: tuple[dict, str]) -> None:
    data, _ = results
    figures = {f["case"]: f for f in data["figures"]}
    errors = {name: f["error"] for name, f in figures.items() if "error" in f}
    assert errors == {}
    assert set(figures) == EXPECTED


def test_figures_are_sane(results: tuple[dict, str]) -> None:
    data, _ = results
    memory_mb = int(data["machine"]["memory_gb"]) * 1024
    for f in data["figures"]:
        assert f["median_seconds"] > 0, f
        assert len(f["runs"]) >= 1 and min(f["runs"]) <= f["median_seconds"] <= max(f["runs"]), f
        assert f["per_second"] > 0, f
        assert 30 < f["peak_rss_mb"] < memory_mb, f
        assert 0 < f["n"] <= N, f


def test_sizes_are_the_ones_asked_for(results: tuple[dict, str]) -> None:
    data, _ = results
    figures = {f["case"]: f for f in data["figures"]}
    for name in (
        "classify",
        "classify_floor",
        "signals_full",
        "outlook_full",
        "load_bulk_floor",
        "load_upsert",
    ):
        assert figures[name]["n"] == N
    assert figures["incremental"]["n"] == 20  # 1 %, at least 20
    assert figures["incremental"]["extra"]["history"] == N
    assert all(f["extra"]["postings"] == PARSE_N for name, f in figures.items() if name.startswith("parse_"))
    assert data["n"] == N and data["parse_n"] == PARSE_N


def test_docs_block_is_regenerated_and_the_rest_kept(results: tuple[dict, str]) -> None:
    _, docs = results
    assert docs.startswith("# Benchmarks\n\nwritten by hand\n")
    assert docs.rstrip().endswith("kept too")
    assert "old figures" not in docs
    block = docs.split(run.START, 1)[1].split(run.END, 1)[0]
    assert "| target | measured | verdict |" in block
    for target in run.TARGETS:
        assert target.text in block
    assert "### Analyst queries" in block and "### Parse from raw payloads" in block
    assert "did not run" not in block


def test_docs_created_when_missing(tmp_path: Path, results: tuple[dict, str]) -> None:
    data, _ = results
    page = tmp_path / "new.md"
    run.write_docs(data, page)
    text = page.read_text()
    assert text.startswith("# Benchmarks") and run.START in text and run.END in text
