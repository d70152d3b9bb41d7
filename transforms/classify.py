"""Classify postings: role/SOC, seniority, responsibility tags, salary and remote (DESIGN §3.2)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.role_card import RoleCard
from transforms.role_match import role_exprs
from transforms.seniority import seniority_expr
from transforms.tags import PRODUCTION_TAGS, tags_expr
from transforms.text import html_to_text

CLASSIFIER_VERSION = "0.1.0"


def classify_postings(df: pl.DataFrame | pl.LazyFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """All input columns plus role_id, soc_code, seniority, tags, production_ownership, routine_only."""
    lf = df.lazy()
    names = lf.collect_schema().names()
    for col in ("description_html", "description_text", "remote"):
        if col not in names:
            lf = lf.with_columns(pl.lit(None, dtype=pl.Boolean if col == "remote" else pl.String).alias(col))
    text = pl.coalesce(html_to_text(pl.col("description_html")), pl.col("description_text")).fill_null("")
    title = pl.col("title").fill_null("")
    role, soc = role_exprs(title, cards)
    lf = lf.with_columns(
        role.alias("role_id"),
        soc.alias("soc_code"),
        seniority_expr(title, text).alias("seniority"),
        tags_expr(text).alias("tags"),
    )
    prod = pl.lit(False)
    for tag in PRODUCTION_TAGS:
        prod = prod | pl.col("tags").list.contains(tag)
    lf = lf.with_columns(production_ownership=prod).with_columns(
        routine_only=pl.col("tags").list.contains("routine_adaptation")
        & ~pl.col("production_ownership")
        & ~pl.col("tags").list.contains("research"),
        classifier_version=pl.lit(CLASSIFIER_VERSION),
    )
    return lf.collect()
