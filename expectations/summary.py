"""An HTML page summarising validation runs: per suite, the rules that fail most, the latest runs.

Self-contained (inline CSS, no scripts, no external assets) so it can be mailed or opened from disk;
every value from the warehouse is HTML-escaped because batch ids and rule names come from data.
"""

from __future__ import annotations

import html
import json
from typing import Any

import polars as pl

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0 0 2em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#176d2c;font-weight:600}.fail{color:#a31515;font-weight:600}
"""
_COLUMNS = {
    "run_id": pl.String,
    "suite": pl.String,
    "batch": pl.String,
    "success": pl.Boolean,
    "failed_expectations": pl.String,
    "evaluated": pl.Int64,
    "run_time": pl.Datetime("us"),
    "seconds": pl.Float64,
    "rows": pl.Int64,
    "quarantine_id": pl.String,
}
RECENT_RUNS = 200


def render_validation_summary(runs: pl.DataFrame) -> str:
    """The whole page for `runs` (rows of marts.validation_runs, any order)."""
    runs = _complete(runs).sort("run_time", descending=True, nulls_last=True)
    failures = runs.with_columns(
        pl.col("failed_expectations").map_elements(_names, return_dtype=pl.List(pl.String))
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>laborwatch validations</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>Validation runs</h1>",
        f"<p>{runs.height} run(s)" + _span(runs) + "</p>",
        "<h2>By suite</h2>",
        _table(_by_suite(runs), numeric={"runs", "passed", "failed", "rows validated", "median seconds"}),
        "<h2>Failing expectations</h2>",
        _table(_by_rule(failures), numeric={"failed runs"}),
        f"<h2>Latest runs (up to {RECENT_RUNS})</h2>",
        _recent(runs.head(RECENT_RUNS)),
        "</body></html>",
    ]
    return "\n".join(parts)


def _complete(runs: pl.DataFrame) -> pl.DataFrame:
    """Accept frames missing optional columns (older rows, hand-made frames) by adding nulls."""
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in _COLUMNS.items() if c not in runs.columns]
    return runs.with_columns(missing).select(list(_COLUMNS)).cast(_COLUMNS)


def _span(runs: pl.DataFrame) -> str:
    if runs.is_empty() or runs["run_time"].null_count() == runs.height:
        return ""
    return f", from {_esc(runs['run_time'].min())} to {_esc(runs['run_time'].max())} (UTC)"


def _by_suite(runs: pl.DataFrame) -> pl.DataFrame:
    return (
        runs.group_by("suite")
        .agg(
            pl.len().alias("runs"),
            pl.col("success").sum().alias("passed"),
            (~pl.col("success")).sum().alias("failed"),
            pl.col("rows").sum().alias("rows validated"),
            pl.col("seconds").median().round(4).alias("median seconds"),
            pl.col("run_time").max().alias("last run"),
            pl.col("run_time").filter(~pl.col("success")).max().alias("last failure"),
        )
        .sort("suite")
    )


def _by_rule(failures: pl.DataFrame) -> pl.DataFrame:
    exploded = (
        failures.filter(~pl.col("success")).explode("failed_expectations").drop_nulls("failed_expectations")
    )
    return (
        exploded.group_by("suite", "failed_expectations")
        .agg(pl.len().alias("failed runs"), pl.col("run_time").max().alias("last seen"))
        .rename({"failed_expectations": "expectation"})
        .sort(["failed runs", "suite", "expectation"], descending=[True, False, False])
    )


def _recent(runs: pl.DataFrame) -> str:
    head = ["run time", "suite", "batch", "rows", "result", "failed expectations", "seconds", "quarantine"]
    body = []
    for r in runs.iter_rows(named=True):
        result = '<span class="pass">pass</span>' if r["success"] else '<span class="fail">FAIL</span>'
        body.append(
            "<tr>"
            f"<td>{_esc(r['run_time'])}</td><td>{_esc(r['suite'])}</td><td>{_esc(r['batch'])}</td>"
            f'<td class="num">{_esc(r["rows"])}</td><td>{result}</td>'
            f"<td>{_esc(', '.join(_names(r['failed_expectations'])))}</td>"
            f'<td class="num">{_esc(_seconds(r["seconds"]))}</td><td>{_esc(r["quarantine_id"])}</td>'
            "</tr>"
        )
    if not body:
        return "<p>No validation runs recorded.</p>"
    return _html_table(head, body)


def _table(df: pl.DataFrame, numeric: set[str]) -> str:
    if df.is_empty():
        return "<p>None.</p>"
    body = [
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(v)}</td>' if c in numeric else f"<td>{_esc(v)}</td>"
            for c, v in zip(df.columns, row, strict=True)
        )
        + "</tr>"
        for row in df.iter_rows()
    ]
    return _html_table(df.columns, body)


def _html_table(head: list[str], body: list[str]) -> str:
    header = "".join(f"<th>{_esc(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _names(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        return [text]
    return [str(i) for i in items] if isinstance(items, list) else [str(items)]


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _esc(value: Any) -> str:
    return "" if value is None else html.escape(str(value))
