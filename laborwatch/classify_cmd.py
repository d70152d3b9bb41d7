"""`laborwatch classify IN.jsonl [-o OUT.jsonl]` and the re-classification report.

The command is the classifier's public face for scripts: each output line is the input line
unchanged plus the §3.2 labels, so callers can join results back on their own ids.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import polars as pl

from transforms.classify import LABEL_COLUMNS, classify_postings
from transforms.role_card import RoleCard
from transforms.tags import TAGS
from warehouse.db import Warehouse

OUTPUT_FIELDS = (
    "role_id",
    "soc_code",
    "seniority",
    "tags",
    "production_ownership",
    "routine_only",
    "classifier_version",
)
# Classify this many lines at a time: whole-column speed without holding a huge file in memory.
BATCH_LINES = 20_000
_HTML = r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>"


class ClassifyInputError(ValueError):
    """An input line that is not a JSON object; the message names the file and line number."""


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ClassifyInputError(f"{path}: line {number}: not valid JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise ClassifyInputError(
                    f"{path}: line {number}: expected a JSON object, got {type(record).__name__}"
                )
            for key in ("title", "description"):
                value = record.get(key)
                if value is not None and not isinstance(value, str):
                    raise ClassifyInputError(f"{path}: line {number}: '{key}' must be a string or null")
            yield record


def _labels(batch: list[dict[str, Any]], cards: Sequence[RoleCard]) -> list[dict[str, Any]]:
    description = pl.Series("description", [r.get("description") for r in batch], dtype=pl.String)
    is_html = description.str.contains(_HTML).fill_null(False)
    frame = pl.DataFrame(
        {
            "title": pl.Series([r.get("title") for r in batch], dtype=pl.String),
            "company": pl.Series([r.get("company") for r in batch], dtype=pl.String),
            "location": pl.Series([r.get("location") for r in batch], dtype=pl.String),
            "description_html": pl.select(pl.when(is_html).then(description)).to_series(),
            "description_text": pl.select(pl.when(~is_html).then(description)).to_series(),
        }
    )
    return classify_postings(frame, cards).select(OUTPUT_FIELDS).to_dicts()


def _write(batch: list[dict[str, Any]], cards: Sequence[RoleCard], out: IO[str]) -> None:
    for record, labels in zip(batch, _labels(batch, cards), strict=True):
        out.write(json.dumps({**record, **labels}, ensure_ascii=False) + "\n")


def classify_jsonl(in_path: Path, out_path: Path | None, cards: Sequence[RoleCard]) -> int:
    """Classify every line of `in_path` into `out_path` (stdout when None); return the line count.

    The whole input is validated before anything is written, so a bad line leaves no half-written
    output file behind.
    """
    in_path = Path(in_path)
    if not in_path.exists():
        raise FileNotFoundError(f"{in_path}: no such file")
    for _ in _records(in_path):
        pass
    count = 0
    out: IO[str]
    out = sys.stdout if out_path is None else Path(out_path).open("w", encoding="utf-8")
    try:
        batch: list[dict[str, Any]] = []
        for record in _records(in_path):
            batch.append(record)
            if len(batch) >= BATCH_LINES:
                _write(batch, cards, out)
                count += len(batch)
                batch = []
        if batch:
            _write(batch, cards, out)
            count += len(batch)
    finally:
        if out_path is not None:
            out.close()
        else:
            out.flush()
    return count


def _shares(df: pl.DataFrame) -> pl.DataFrame:
    """Long table (scope, label, n, share) of one classified set; scope is a role id or 'all'."""
    frame = df.select(
        pl.col("role_id").fill_null("(none)"),
        "seniority",
        pl.col("tags").fill_null([]),
        pl.col("production_ownership").fill_null(False),
        pl.col("routine_only").fill_null(False),
    )
    total = max(frame.height, 1)
    rows = [
        frame.group_by("role_id")
        .agg(pl.len().alias("n"))
        .select(
            pl.lit("all").alias("scope"),
            pl.format("role:{}", "role_id").alias("label"),
            pl.lit(frame.height, dtype=pl.Int64).alias("n"),
            (pl.col("n") / total).alias("share"),
        )
    ]
    scoped = pl.concat([frame, frame.with_columns(role_id=pl.lit("all"))])
    label_exprs = {
        **{f"seniority:{s}": pl.col("seniority") == s for s in ("intern", "entry", "mid", "senior", "lead")},
        **{f"tag:{t}": pl.col("tags").list.contains(t) for t in TAGS},
        "production_ownership": pl.col("production_ownership"),
        "routine_only": pl.col("routine_only"),
    }
    for label, expr in label_exprs.items():
        rows.append(
            scoped.group_by("role_id")
            .agg(pl.lit(label).alias("label"), pl.len().cast(pl.Int64).alias("n"), expr.mean().alias("share"))
            .rename({"role_id": "scope"})
            .select("scope", "label", "n", "share")
        )
    entry = scoped.filter(pl.col("seniority") == "entry")
    rows.append(
        entry.group_by("role_id")
        .agg(
            pl.lit("entry_production_share").alias("label"),
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("production_ownership").mean().alias("share"),
        )
        .rename({"role_id": "scope"})
        .select("scope", "label", "n", "share")
    )
    return pl.concat(rows).with_columns(pl.col("n").cast(pl.Int64), pl.col("share").cast(pl.Float64))


def reclassify_report(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Change in every label share between an old classification and a re-classification.

    One row per (scope, label): scope is 'all' or a role id; labels are role shares, the seniority
    mix, each tag share, production_ownership, routine_only and entry_production_share (the key
    watch: production work among entry-level postings). A label present on one side only counts
    as share 0 on the other, so a rule change that creates or removes a label still shows up.
    """
    old = _shares(before).rename({"n": "n_before", "share": "share_before"})
    new = _shares(after).rename({"n": "n_after", "share": "share_after"})
    versions = {
        "version_before": ",".join(sorted(before["classifier_version"].drop_nulls().unique().to_list())),
        "version_after": ",".join(sorted(after["classifier_version"].drop_nulls().unique().to_list())),
    }
    return (
        old.join(new, on=["scope", "label"], how="full", coalesce=True)
        .with_columns(
            pl.col("n_before", "n_after").fill_null(0),
            pl.col("share_before", "share_after").fill_null(0.0),
        )
        .with_columns(
            delta=pl.col("share_after") - pl.col("share_before"),
            version_before=pl.lit(versions["version_before"]),
            version_after=pl.lit(versions["version_after"]),
        )
        .sort("scope", "label")
    )


def reclassify_warehouse(wh: Warehouse, cards: Sequence[RoleCard], apply: bool = True) -> pl.DataFrame:
    """Re-classify every stored posting with the current rules and report the change per label.

    With `apply`, the new labels (and classifier_version) replace the stored ones in one transaction;
    the next outlook run sees the changed postings and recomputes the weeks they touch.
    """
    before = wh.query("SELECT * FROM staging.postings")
    after = classify_postings(before.drop(*LABEL_COLUMNS), cards).select(before.columns)
    if apply:
        changed = after.join(before, on=after.columns, how="anti", nulls_equal=True)
        wh.upsert("staging.postings", changed, ["posting_key"])
    return reclassify_report(before, after)
