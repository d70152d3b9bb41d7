"""Responsibility tags: what the posting asks the hire to do (DESIGN §3.2)."""

from __future__ import annotations

import polars as pl

TAGS = (
    "data_quality",
    "deployment",
    "evaluation",
    "failure_response",
    "monitoring",
    "research",
    "routine_adaptation",
)
PRODUCTION_TAGS = ("deployment", "evaluation", "monitoring", "data_quality", "failure_response")

PHRASES: dict[str, list[str]] = {
    "deployment": ["deploy", "to production", "into production", "serving", "inference service", "ci/cd"],
    "evaluation": ["evaluat", "eval harness", "benchmark", "a/b test", "offline metrics"],
    "monitoring": ["monitor", "observability", "alerting", "drift"],
    "data_quality": ["data quality", "data validation", "data contracts", "label quality"],
    "failure_response": ["on-call", "on call", "incident", "postmortem", "post-mortem", "root cause"],
    "routine_adaptation": ["fine-tun", "fine tun", "finetun", "prompt engineering", "openai api", "baseline"],
    "research": ["research", "publish", "neurips", "icml", "iclr", "novel algorithm"],
}


def tags_expr(text: pl.Expr) -> pl.Expr:
    """Sorted list of tags whose phrases occur in `text`."""
    parts = [
        pl.when(text.str.contains_any(PHRASES[tag], ascii_case_insensitive=True))
        .then(pl.lit(tag))
        .otherwise(None)
        for tag in TAGS
    ]
    return pl.concat_list(parts).list.drop_nulls()
