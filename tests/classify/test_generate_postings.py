"""The benchmark posting generator: canonical §3.1 columns, realistic lengths, deterministic."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from benchmarks.generate_postings import SOURCES, cached_postings, generate_postings

CANONICAL = (
    "source",
    "source_id",
    "board",
    "company",
    "title",
    "location",
    "remote",
    "url",
    "description_html",
    "description_text",
    "posted_at",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_interval",
    "payload_sha256",
    "fetched_at",
)


def test_shape_and_realism() -> None:
    frame = generate_postings(3000, seed=1)
    assert frame.columns == [*CANONICAL, "first_seen"]
    assert frame.height == 3000 and frame["source_id"].n_unique() == 3000
    assert set(frame["source"].unique()) <= set(SOURCES)
    text = pl.coalesce("description_html", "description_text")
    assert frame.select(
        (pl.col("description_html").is_null() ^ pl.col("description_text").is_null()).all()
    ).item()
    words = frame.select(text.str.replace_all("<[^>]*>", " ").str.count_matches(r"\S+")).to_series()
    assert words.median() > 450 and (words.is_between(300, 900)).mean() > 0.95
    assert frame["company"].n_unique() > 2000
    span = frame["first_seen"].max() - frame["first_seen"].min()
    assert span.days >= 360
    assert frame["salary_min"].is_null().mean() > 0.5 and frame["salary_min"].is_not_null().any()
    assert frame["title"].n_unique() > 300


def test_deterministic_per_seed(tmp_path: Path) -> None:
    assert generate_postings(200, seed=3).equals(generate_postings(200, seed=3))
    assert not generate_postings(200, seed=3).equals(generate_postings(200, seed=4))
    first = cached_postings(150, seed=2, cache_dir=tmp_path)
    assert (tmp_path / "postings_n150_seed2.parquet").exists()
    assert cached_postings(150, seed=2, cache_dir=tmp_path).equals(first)
