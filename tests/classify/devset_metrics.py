"""Precision / recall / F1 per label of the classifier on the development set.

python -m tests.classify.devset_metrics        # prints the Markdown table for docs/classification.md
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from laborwatch.role_cards import load_role_cards
from transforms.classify import classify_postings
from transforms.seniority import SENIORITY_LEVELS
from transforms.tags import TAGS

DEVSET_PATH = Path(__file__).resolve().parents[1] / "data" / "classification_devset.jsonl"


@dataclass(frozen=True)
class Score:
    label: str
    support: int
    precision: float
    recall: float
    f1: float


def load_devset(path: Path = DEVSET_PATH) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def devset_frame(postings: list[dict[str, Any]]) -> pl.DataFrame:
    """The dev set as classifier input: HTML postings in description_html, plain ones in description_text."""
    return pl.DataFrame(
        {
            "id": [p["id"] for p in postings],
            "title": [p["title"] for p in postings],
            "company": [p["company"] for p in postings],
            "location": [p["location"] for p in postings],
            "description_html": [p["description"] if p["format"] == "html" else None for p in postings],
            "description_text": [p["description"] if p["format"] == "text" else None for p in postings],
        },
        schema_overrides={"description_html": pl.String, "description_text": pl.String},
    )


def _score(label: str, gold: list[bool], predicted: list[bool]) -> Score:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(label, sum(gold), precision, recall, f1)


def scores(postings: list[dict[str, Any]] | None = None) -> list[Score]:
    """One Score per seniority class, per tag, per role id, and SOC code exact match."""
    postings = load_devset() if postings is None else postings
    cards = load_role_cards()
    predicted = classify_postings(devset_frame(postings), cards).to_dicts()
    gold = [p["labels"] for p in postings]
    out = [
        _score(
            f"seniority={level}",
            [g["seniority"] == level for g in gold],
            [p["seniority"] == level for p in predicted],
        )
        for level in SENIORITY_LEVELS
    ]
    out += [
        _score(f"tag={tag}", [tag in g["tags"] for g in gold], [tag in p["tags"] for p in predicted])
        for tag in TAGS
    ]
    out += [
        _score(
            f"role_id={card.id}",
            [g["role_id"] == card.id for g in gold],
            [p["role_id"] == card.id for p in predicted],
        )
        for card in cards
    ]
    out.append(
        _score(
            "role_id=null", [g["role_id"] is None for g in gold], [p["role_id"] is None for p in predicted]
        )
    )
    for code in sorted({g["soc_code"] for g in gold if g["soc_code"]}):
        out.append(
            _score(
                f"soc_code={code}",
                [g["soc_code"] == code for g in gold],
                [p["soc_code"] == code for p in predicted],
            )
        )
    return out


def markdown_table(rows: list[Score]) -> str:
    lines = ["| label | support | precision | recall | F1 |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {s.label} | {s.support} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |" for s in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table(scores()))
