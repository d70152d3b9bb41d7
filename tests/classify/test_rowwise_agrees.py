"""The per-row Python `re` implementation (benchmarks.bench_classify) and the vectorized classifier
run the same rule tables, so they must agree on every label of every posting."""

from __future__ import annotations

import polars as pl

from benchmarks.bench_classify import classify_rowwise
from benchmarks.generate_postings import generate_postings
from tests.classify.devset_metrics import devset_frame, load_devset
from transforms.classify import LABEL_COLUMNS, classify_postings

COMPARED = (*LABEL_COLUMNS, "remote", "salary_min", "salary_max", "salary_currency", "salary_interval")


def _disagreements(frame: pl.DataFrame, cards) -> list[tuple[int, str, object, object]]:
    vectorized = classify_postings(frame, cards).to_dicts()
    rowwise = classify_rowwise(frame.to_dicts(), cards)
    return [
        (i, col, v[col], r[col])
        for i, (v, r) in enumerate(zip(vectorized, rowwise, strict=True))
        for col in COMPARED
        if v[col] != r[col]
    ]


def test_agree_on_the_devset(cards) -> None:
    assert _disagreements(devset_frame(load_devset()), cards) == []


def test_agree_on_generated_postings(cards) -> None:
    assert _disagreements(generate_postings(400, seed=11), cards) == []
