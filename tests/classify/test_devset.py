"""The labelled development set: well-formed, in sync with its sources, and classified with F1 >= 0.90
for every label (each seniority class, each tag, each role id)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.classify.build_devset import DEVSET_PATH, load_sources, render
from tests.classify.devset_metrics import load_devset, scores
from transforms.seniority import SENIORITY_LEVELS
from transforms.tags import TAGS

MIN_F1 = 0.90


def test_devset_jsonl_is_built_from_the_sources() -> None:
    assert DEVSET_PATH.read_text(encoding="utf-8") == render(load_sources()), (
        "tests/data/classification_devset.jsonl is stale: run python -m tests.classify.build_devset"
    )


def test_devset_is_large_and_varied() -> None:
    postings = load_devset()
    assert len(postings) >= 200
    assert len({p["id"] for p in postings}) == len(postings)
    formats = Counter(p["format"] for p in postings)
    assert formats["html"] >= 60 and formats["text"] >= 60
    assert len({p["company"] for p in postings}) >= 180
    levels = Counter(p["labels"]["seniority"] for p in postings)
    assert all(levels[level] >= 15 for level in SENIORITY_LEVELS), levels
    tag_counts = Counter(t for p in postings for t in p["labels"]["tags"])
    assert all(tag_counts[tag] >= 25 for tag in TAGS), tag_counts
    assert sum(1 for p in postings if not p["labels"]["tags"]) >= 15  # postings asking for none of them
    assert sum(1 for p in postings if p["labels"]["role_id"] is None) >= 30  # non-ML roles


def test_devset_labels_use_the_design_vocabulary() -> None:
    for posting in load_devset():
        labels = posting["labels"]
        assert labels["seniority"] in SENIORITY_LEVELS, posting["id"]
        assert set(labels["tags"]) <= set(TAGS), posting["id"]
        assert labels["tags"] == sorted(labels["tags"]), posting["id"]


@pytest.mark.parametrize("score", scores(), ids=lambda s: s.label)
def test_label_f1_at_least_0_90(score) -> None:
    assert score.support > 0
    assert score.f1 >= MIN_F1, (
        f"{score.label}: P={score.precision:.3f} R={score.recall:.3f} F1={score.f1:.3f}"
    )
