"""Build tests/data/classification_devset.jsonl from the hand-written sources in tests/classify/devset/.

The sources are plain text so a reviewer can read each posting and its labels side by side; the
JSONL is what tests and the CLI consume. Run `python -m tests.classify.build_devset` after editing a
source; tests/classify/test_devset.py fails when the two disagree.

Source format, one block per posting:

    ### dv001
    title: ...            company / location: free text
    format: html|text     (how the description is written)
    role: ai_ml_engineer  soc: 15-2051   ("(none)" for null)
    seniority: senior     tags: deployment, monitoring   ("(none)" for no tags)
    remote: true|false    salary: 185000-225000 USD year   (optional: what the text states)
    ---
    description ...
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOURCE_DIR = Path(__file__).resolve().parent / "devset"
DEVSET_PATH = Path(__file__).resolve().parents[1] / "data" / "classification_devset.jsonl"
_HEADER_KEYS = {
    "title",
    "company",
    "location",
    "format",
    "role",
    "soc",
    "seniority",
    "tags",
    "remote",
    "salary",
}


def _none(value: str) -> str | None:
    return None if value == "(none)" else value


def _parse_block(block: str, origin: str) -> dict[str, Any]:
    head, sep, body = block.partition("\n---\n")
    if not sep:
        raise ValueError(f"{origin}: missing '---' line between labels and description")
    lines = head.strip().splitlines()
    posting_id = lines[0].strip()
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key not in _HEADER_KEYS:
            raise ValueError(f"{origin} {posting_id}: unknown label line {line!r}")
        fields[key] = value.strip()
    for key in ("title", "format", "role", "soc", "seniority", "tags"):
        if key not in fields:
            raise ValueError(f"{origin} {posting_id}: missing '{key}'")
    tags = [] if fields["tags"] == "(none)" else sorted(t.strip() for t in fields["tags"].split(","))
    labels: dict[str, Any] = {
        "role_id": _none(fields["role"]),
        "soc_code": _none(fields["soc"]),
        "seniority": fields["seniority"],
        "tags": tags,
    }
    if "remote" in fields:
        labels["remote"] = {"true": True, "false": False}[fields["remote"]]
    if "salary" in fields:
        amounts, currency, interval = fields["salary"].split()
        low, _, high = amounts.partition("-")
        labels.update(
            salary_min=float(low), salary_max=float(high), salary_currency=currency, salary_interval=interval
        )
    return {
        "id": posting_id,
        "title": fields["title"],
        "company": fields.get("company"),
        "location": fields.get("location"),
        "format": fields["format"],
        "description": body.strip("\n"),
        "labels": labels,
    }


def load_sources(source_dir: Path = SOURCE_DIR) -> list[dict[str, Any]]:
    """Every posting of every source file, in file order."""
    postings: list[dict[str, Any]] = []
    for path in sorted(source_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for block in text.split("### ")[1:]:
            postings.append(_parse_block(block, path.name))
    ids = [p["id"] for p in postings]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate posting ids: {sorted(duplicates)}")
    return postings


def render(postings: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in postings)


def main() -> None:
    postings = load_sources()
    DEVSET_PATH.write_text(render(postings), encoding="utf-8")
    print(f"wrote {len(postings)} postings to {DEVSET_PATH}")


if __name__ == "__main__":
    main()
